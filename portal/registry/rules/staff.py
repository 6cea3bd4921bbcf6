"""Importing staff accounts (operators, department staff, supervisors, administrators): one row
per account, keyed by its login, so importing the same file again changes nothing. The file
never holds a password: a new account gets a random initial password, shown once by the import
(the accounts code has no reset link; the admin hands it over, as the welcome e-mail says).
An existing account keeps its password. Institution accounts are made in the back office, tied
to their institution. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portal.accounts.rules.roles import NEEDS_DEPARTMENT, ROLE_LABELS, Role
from portal.registry.rules.cells import CellError, choice, text, yes_no
from portal.registry.rules.imports import Column, Headers, Plan, Problem, each_row

SHEET = "工作人员账号"
STAFF_ROLES = {role.value: label for role, label in ROLE_LABELS.items()
               if role is not Role.INSTITUTION}
_LOGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,49}")


def login(value: Any) -> str:
    raw = str(value).strip()
    if not _LOGIN.fullmatch(raw):
        raise CellError(f"登录名应为2–50个字母、数字或 . _ @ -，以字母或数字开头：{raw}")
    return raw


def email(value: Any) -> str:
    raw = str(value).strip()
    if len(raw) > 120 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", raw):
        raise CellError(f"电子邮箱格式不正确：{raw}")
    return raw


COLUMNS: tuple[Column, ...] = (
    Column("登录名", "username", True, "2–50个字母、数字或 . _ @ -", login,
           aliases=("用户名", "账号")),
    Column("姓名", "display_name", True, "文本，≤50字", text(50), aliases=("显示名称", "名称")),
    Column("角色", "role", True, "文本", choice(STAFF_ROLES), "、".join(STAFF_ROLES.values())),
    Column("所属部门", "office", False, "本市已有的部门名称（如 示范市民政局）；部门经办人和民政督办必填",
           text(80), aliases=("部门", "所属单位", "部门名称")),
    Column("电子邮箱", "email", False, "选填；填写后新账号开通时发送通知邮件", email,
           aliases=("邮箱", "Email", "email")),
    Column("是否启用", "is_active", False, "是/否；留空为是（已有账号留空则不变）", yes_no,
           aliases=("启用", "状态")),
)
NOT_KEPT = ("密码", "初始密码")


@dataclass(frozen=True)
class StoredUser:
    id: int
    display_name: str
    role: str
    department_id: int | None
    email: str
    is_active: bool


@dataclass
class StaffPlan(Plan):
    new_users: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # id, username + changed fields


def plan(headers: Headers, rows: Iterable[tuple[int, tuple[Any, ...]]], *,
         offices: dict[str, int], stored: dict[str, StoredUser]) -> StaffPlan:
    """Every row checked (office, a login twice, an institution's login) and what the valid
    rows add or change. `offices`: the offices' ids by name."""
    result = StaffPlan(problems=list(headers.problems))
    first_row: dict[str, int] = {}
    for number, parsed in each_row(result, headers, rows):
        values, problems, header = parsed.values, parsed.problems, parsed.headers
        username, role, office = values.get("username"), values.get("role"), values.get("office")
        department_id = None
        if username is not None:
            first = first_row.setdefault(username.lower(), number)
            if first != number:
                problems.append(Problem(number, header["username"], f"与行 {first} 重复"))
            old = stored.get(username)
            if old is not None and old.role == Role.INSTITUTION:
                problems.append(Problem(number, header["username"],
                                        "该登录名是机构账号，请在后台管理，不能在此导入"))
        if office is not None:
            department_id = offices.get(office)
            if department_id is None:
                problems.append(Problem(number, header["office"], f"本市没有该部门：{office}"))
        elif role is not None and Role(role) in NEEDS_DEPARTMENT:
            problems.append(Problem(number, header.get("office", "所属部门"),
                                    f"{STAFF_ROLES[role]}必须填写所属部门"))
        if problems or username is None or role is None:
            for problem in problems:
                result.reject(problem)
            continue
        wanted = {"display_name": values["display_name"], "role": role,
                  "department_id": department_id if Role(role) in NEEDS_DEPARTMENT else None}
        for optional in ("email", "is_active"):
            if optional in values:
                wanted[optional] = values[optional]
        old = stored.get(username)
        if old is None:
            result.new_users.append({"username": username, "email": "", "is_active": True} | wanted)
            result.count(added=True, updated=False)
            continue
        changes = {name: value for name, value in wanted.items() if getattr(old, name) != value}
        if changes:
            result.changed.append({"id": old.id, "username": username, **changes})
        result.count(added=False, updated=bool(changes))
    return result
