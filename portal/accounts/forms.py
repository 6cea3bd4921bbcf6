"""The account forms: signing in, changing one's password, and an administrator creating a user. The rules of a user
(name, password strength, role and its office) are AccountService's."""

from __future__ import annotations

from portal.accounts.rules.roles import Role
from portal.core.formfields import Choice, PortalForm, RowId, Text


class LoginForm(PortalForm):
    username = Text()
    password = Text(strip=False)  # as typed: spaces may be part of it
    next = Text()


class PasswordForm(PortalForm):
    current = Text(strip=False)
    new = Text(strip=False)
    again = Text(strip=False)
    next = Text()


class UserForm(PortalForm):
    username = Text()
    display_name = Text()
    email = Text()
    password = Text(strip=False)
    role = Choice(choices=[role.value for role in Role], message="请选择角色")
    department_id = RowId()
    institution_id = RowId()

    @staticmethod
    def row_id(field: RowId) -> int | None:
        """Blank is None; anything else that is no valid id is 0, which names no row (the
        service then reports the department or institution as not found)."""
        return (field.data or 0) if field.text else None
