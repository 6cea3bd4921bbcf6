"""Domain exceptions of the complaints package; messages are safe to show (Chinese)."""

from __future__ import annotations


class ComplaintError(Exception):
    """Base class for complaint errors."""


class InvalidComplaint(ComplaintError):
    """Input failed validation; `errors` maps field name → Chinese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class NotAllowed(ComplaintError):
    """The action does not fit the complaint's state or the user's office."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
