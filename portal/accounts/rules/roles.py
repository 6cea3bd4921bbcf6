"""The roles of SPEC §1 and what binds each to an organisation."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    INSTITUTION = "institution"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.OPERATOR: "热线坐席",
    Role.DEPARTMENT: "部门经办人",
    Role.SUPERVISOR: "民政督办",
    Role.INSTITUTION: "机构账号",
    Role.ADMIN: "系统管理员",
}

# Which organisation a user of each role must belong to.
NEEDS_DEPARTMENT = {Role.DEPARTMENT, Role.SUPERVISOR}
NEEDS_INSTITUTION = {Role.INSTITUTION}

# Staff roles that may see every complaint's personal data when assigned; see SPEC §3.
GOVERNMENT_ROLES = frozenset({Role.OPERATOR, Role.DEPARTMENT, Role.SUPERVISOR, Role.ADMIN})
