"""Open-day errors; `message` is shown to the user (Chinese), `status` is the HTTP answer."""

from __future__ import annotations


class OpenDayError(Exception):
    """Base of the open-day errors; `message` is shown to the user."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(OpenDayError):
    """The form has problems, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


class OpenDayNotFound(OpenDayError):
    status = 404


class NotYourInstitution(OpenDayError):
    """Another institution's record: answered as if it did not exist (no probing)."""

    status = 404


class SignupRefused(OpenDayError):
    """Full, past the deadline, or no longer open: the message says which."""

    status = 409


class AlreadySignedUp(SignupRefused):
    """The phone holds seats for this event already; no second sign-up, no second seat.
    `same_browser`: the post came from the browser that made that sign-up (a double click),
    which may be sent to it."""

    def __init__(self, message: str, signup_id: int, same_browser: bool) -> None:
        super().__init__(message)
        self.signup_id = signup_id
        self.same_browser = same_browser


class WrongCode(OpenDayError):
    """The SMS code was wrong, expired or used up. Raised after writes that must be kept (the
    attempt counted, an expired hold released): the caller commits, then shows the message."""

    status = 400
