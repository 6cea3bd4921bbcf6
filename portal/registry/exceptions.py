"""The registry's errors, each with its Chinese message and status (answered by
`portal.app.domain_error` where a view lets one through)."""

from __future__ import annotations


class RegistryError(Exception):
    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(RegistryError):
    status = 403


class NotFound(RegistryError):
    status = 404


class InvalidEntry(RegistryError):
    """A form with problems: {field: message}, shown beside the fields."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("请修改标出的内容后再保存")
        self.errors = errors
