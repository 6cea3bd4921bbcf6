"""Importing the city's districts (区县) and their streets and towns (乡镇、街道): one row per
street or town, or a district alone. Keyed by name (a street by its district and name), so
importing the same file again changes nothing; nothing is ever deleted. A new district needs
its code (the 6-digit GB/T 2260 行政区划代码 every district has; the open data publish it); a
street's code (the 9- or 12-digit 统计用区划代码) is kept when the city has one. Pure: the
stored districts come in as plain values (portal/registry/sheets.py reads and writes them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from portal.registry.rules.cells import digits, text
from portal.registry.rules.imports import Column, Headers, Plan, Problem, each_row

SHEET = "区县和乡镇（街道）"

COLUMNS: tuple[Column, ...] = (
    Column("区县名称", "district", True, "文本，≤50字", text(50),
           aliases=("区县", "所在区县", "区（县）", "所属区县")),
    Column("区县代码", "district_code", False,
           "6位行政区划代码（GB/T 2260）；新区县必填，已有区县留空则不变", digits(6),
           aliases=("行政区划代码", "区划代码")),
    Column("乡镇（街道）名称", "street", False, "文本，≤50字；留空表示这一行只登记区县", text(50),
           aliases=("乡镇（街道）", "乡镇(街道)", "街道", "乡镇", "街道名称", "乡镇名称")),
    Column("乡镇（街道）代码", "street_code", False, "9位或12位统计用区划代码；选填",
           digits(9, 12), aliases=("街道代码", "乡镇代码", "乡镇（街道）区划代码")),
)


@dataclass(frozen=True)
class StoredDistrict:
    id: int
    code: str
    streets: dict[str, tuple[int, str | None]]  # street name -> (id, code)


@dataclass
class DistrictPlan(Plan):
    new_districts: list[dict[str, Any]] = field(default_factory=list)  # name, code
    district_codes: list[dict[str, Any]] = field(default_factory=list)  # id, code
    new_streets: list[dict[str, Any]] = field(default_factory=list)  # district (name), name, code
    street_codes: list[dict[str, Any]] = field(default_factory=list)  # id, code


def plan(headers: Headers, rows: Iterable[tuple[int, tuple[Any, ...]]],
         stored: dict[str, StoredDistrict]) -> DistrictPlan:
    """Every row checked (codes against the file and the stored ones, a street twice) and what
    the valid rows add or change."""
    result = DistrictPlan(problems=list(headers.problems))
    code_owner = {d.code: name for name, d in stored.items()}
    street_code_owner = {code: (name, street) for name, d in stored.items()
                         for street, (_id, code) in d.streets.items() if code}
    code_of: dict[str, tuple[str, int]] = {}  # district -> (its code, the row that gave it)
    file_code_owner: dict[str, tuple[str, int]] = {}
    street_row: dict[tuple[str, str], int] = {}
    file_street_code: dict[str, tuple[tuple[str, str], int]] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for number, parsed in each_row(result, headers, rows):
        values, problems, header = parsed.values, parsed.problems, parsed.headers
        name, code = values.get("district"), values.get("district_code")
        street, street_code = values.get("street"), values.get("street_code")
        if name and code:
            given = code_of.get(name)
            owner = file_code_owner.get(code)
            if given and given[0] != code:
                problems.append(Problem(number, header["district_code"],
                                        f"与行 {given[1]} 填写的{name}代码 {given[0]} 不同"))
            elif owner and owner[0] != name:
                problems.append(Problem(number, header["district_code"],
                                        f"与行 {owner[1]} 的{owner[0]}代码相同"))
            elif code_owner.get(code, name) != name:
                problems.append(Problem(number, header["district_code"],
                                        f"该代码已属于本市的{code_owner[code]}"))
        if street_code and not street and "street" not in parsed.failed:
            problems.append(Problem(number, header["street_code"],
                                    "填写乡镇（街道）代码时须同时填写乡镇（街道）名称"))
        if name and street:
            first = street_row.get((name, street))
            if first is not None:
                problems.append(Problem(number, header["street"], f"与行 {first} 重复"))
            if street_code:
                seen = file_street_code.get(street_code)
                stored_owner = street_code_owner.get(street_code, (name, street))
                if seen and seen[0] != (name, street):
                    problems.append(Problem(number, header["street_code"],
                                            f"与行 {seen[1]} 的{seen[0][1]}代码相同"))
                elif stored_owner != (name, street):
                    problems.append(Problem(number, header["street_code"],
                                            f"该代码已属于{stored_owner[0]}{stored_owner[1]}"))
        if problems:
            for problem in problems:
                result.reject(problem)
            continue
        name = values["district"]  # required: a row without one has a problem above
        if code:
            code_of.setdefault(name, (code, number))
            file_code_owner.setdefault(code, (name, number))
        if street:
            street_row[(name, street)] = number
            if street_code:
                file_street_code.setdefault(street_code, ((name, street), number))
        valid.append((number, values))
    _emit(result, valid, stored, code_of)
    return result


def _emit(result: DistrictPlan, valid: list[tuple[int, dict[str, Any]]],
          stored: dict[str, StoredDistrict], code_of: dict[str, tuple[str, int]]) -> None:
    added_districts: set[str] = set()
    recoded: set[str] = set()
    for number, values in valid:
        name = values["district"]
        district = stored.get(name)
        if district is None and name not in code_of:
            result.reject(Problem(number, "区县代码",
                                  f"{name}是新区县，须在文件中填写其6位行政区划代码"))
            continue
        added = updated = False
        if district is None:
            if name not in added_districts:
                added_districts.add(name)
                result.new_districts.append({"name": name, "code": code_of[name][0]})
                added = True
        elif name in code_of and code_of[name][0] != district.code and name not in recoded:
            recoded.add(name)
            result.district_codes.append({"id": district.id, "code": code_of[name][0]})
            updated = True
        street, street_code = values.get("street"), values.get("street_code")
        if street:
            known = district.streets.get(street) if district else None
            if known is None:
                result.new_streets.append({"district": name, "name": street, "code": street_code})
                added = True
            elif street_code and street_code != known[1]:
                result.street_codes.append({"id": known[0], "code": street_code})
                updated = True
        result.count(added=added, updated=updated)
