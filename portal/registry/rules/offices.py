"""Importing the government departments' offices: one row per office of one of the sixteen
department types (portal/orgs/vocab.py, SPEC §3) at city level (区县 left blank) or in a
district. Keyed by (department type, district) as the routing finds an office
(complaints/rules/routing.py), so importing the same file again changes nothing; a blank name
gives the usual one (示范市民政局, 东城区消防救援大队). Pure.

Street tier: offices of a 乡镇（街道） are added in the back office (/admin/street-offices), not
by this import, and `sheets.stored_offices` leaves them out (their district_id is NULL, so they
would look like the city office of their type). Importing them would extend `office_key` with
the street's id and COLUMNS with a 乡镇（街道） column resolved like the district.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portal.orgs.vocab import DEPARTMENT_TYPES, DISTRICT_NAME_OVERRIDES, office_name
from portal.registry.rules.cells import choice, text
from portal.registry.rules.imports import Column, Headers, Plan, Problem, each_row

SHEET = "部门"
CITY_LEVEL = ("市级", "市本级", "全市", "市")

COLUMNS: tuple[Column, ...] = (
    Column("部门类型", "type_code", True, "十六类部门之一（名称或代码）",
           choice(DEPARTMENT_TYPES, {label: code for code, label in DISTRICT_NAME_OVERRIDES.items()}),
           "、".join(DEPARTMENT_TYPES.values()), aliases=("部门类别", "类型")),
    Column("所在区县", "district", False, f"本市已有的区县名称；留空或填“{CITY_LEVEL[0]}”为市级部门",
           text(50), aliases=("区县", "所属区县", "层级")),
    Column("部门名称", "name", False, "文本，≤80字；留空时按“区县名+部门类型”命名", text(80),
           aliases=("单位名称", "办公室名称", "名称")),
    Column("联系电话", "phone", False, "文本，≤30字", text(30), aliases=("电话", "办公电话")),
)

OfficeKey = tuple[str, int | None]  # (type_code, district_id or None for the city's)


def office_key(type_code: str, district_id: int | None) -> OfficeKey:
    """The natural key of an office (the street tier adds the street's id here)."""
    return (type_code, district_id)


@dataclass(frozen=True)
class StoredOffice:
    id: int
    name: str
    phone: str


@dataclass
class OfficePlan(Plan):
    new_offices: list[dict[str, Any]] = field(default_factory=list)  # type_code, district_id, name, phone
    changed: list[dict[str, Any]] = field(default_factory=list)  # id + the changed fields


def plan(headers: Headers, rows: Iterable[tuple[int, tuple[Any, ...]]], *, city: str,
         districts: dict[str, int], stored: dict[OfficeKey, StoredOffice]) -> OfficePlan:
    """Every row checked (district, a key or a name twice, a name another office has) and what
    the valid rows add or change. `districts`: the city's district ids by name."""
    result = OfficePlan(problems=list(headers.problems))
    name_owner = {office.name: key for key, office in stored.items()}
    key_row: dict[OfficeKey, int] = {}
    name_row: dict[str, tuple[OfficeKey, int]] = {}
    for number, parsed in each_row(result, headers, rows):
        values, problems, header = parsed.values, parsed.problems, parsed.headers
        type_code = values.get("type_code")
        place = values.get("district", "")
        district_id = None
        if place and place not in CITY_LEVEL:
            district_id = districts.get(place)
            if district_id is None:
                problems.append(Problem(number, header["district"], f"本市没有该区县：{place}"))
        if type_code is None or problems:
            for problem in problems:
                result.reject(problem)
            continue
        key = office_key(type_code, district_id)
        old = stored.get(key)
        name = values.get("name") or (old.name if old else office_name(
            type_code, place if district_id else city, city_level=district_id is None))
        level = place if district_id else "市级"
        if key in key_row:
            problems.append(Problem(number, header["type_code"],
                                    f"与行 {key_row[key]} 重复（{level}{DEPARTMENT_TYPES[type_code]}）"))
        seen = name_row.get(name)
        if seen and seen[0] != key:
            problems.append(Problem(number, header.get("name", "部门名称"),
                                    f"与行 {seen[1]} 的部门同名：{name}"))
        elif name_owner.get(name, key) != key:
            problems.append(Problem(number, header.get("name", "部门名称"),
                                    f"本市已有同名的另一个部门：{name}"))
        if problems:
            for problem in problems:
                result.reject(problem)
            continue
        key_row[key] = number
        name_row.setdefault(name, (key, number))
        phone = values.get("phone")
        if old is None:
            result.new_offices.append({"type_code": type_code, "district_id": district_id,
                                       "name": name, "phone": phone or ""})
            result.count(added=True, updated=False)
            continue
        changes = {field_: value for field_, value in (("name", name), ("phone", phone))
                   if value is not None and value != getattr(old, field_)}
        if changes:
            result.changed.append({"id": old.id, **changes})
        result.count(added=False, updated=bool(changes))
    return result
