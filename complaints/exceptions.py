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


class StatusChanged(NotAllowed):
    """Another request moved the complaint first (a double click, a second tab, a colleague):
    a step that happens once must not happen twice."""

    def __init__(self, message: str = "该投诉的状态刚刚已被更新（可能是重复提交），请刷新页面查看最新情况。") -> None:
        super().__init__(message)
