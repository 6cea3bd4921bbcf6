"""Importing unregistered places (未登记/未备案场所, issue 20 "Imports"): a list of places found
by inspections, complaints or market regulation's registration records, as a city keeps it in a
spreadsheet. The columns, each row's checks and what an import would change; in Chinese where a
user reads it.

A row is a place: its name, district and address (the institution columns' rules: the same
cells, the same messages, portal/registry/rules/imports.py), an optional 统一社会信用代码 (a
market-regulation record has one: the place is 登记未备案, else 未登记), and how, when and by
whom it was found — the day its on-site check deadline and indicator 2.6 count from. Upserted
by the credit code when the row has one, else by district, name and address: importing the same
file again changes nothing. A credit code held by a registered institution that is no place is
refused (that is the institutions import's).

Pure: no database, no files. portal/registry/place_import.py reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portal.institutions import vocab
from portal.registry.rules import imports
from portal.registry.rules.cells import DATE_FORMATS, a_date, choice, count, text
from portal.registry.rules.imports import Column, Problem

SHEET = "未登记场所"
_SHARED = {c.field: c for c in imports.COLUMNS}  # the institution columns a place shares
COLUMNS: tuple[Column, ...] = (
    Column("场所名称", "name", True, "文本，≤100字", text(100), aliases=("名称", "机构名称")),
    Column("统一社会信用代码", "credit_code", False, "18位，GB 32100 校验位；没有的留空",
           _SHARED["credit_code"].parse, aliases=_SHARED["credit_code"].aliases),
    Column("服务类型", "kind", False, "文本；留空为养老机构", choice(vocab.KINDS),
           "、".join(vocab.KINDS.values()), aliases=("机构类型",)),
    Column("性质", "nature", False, "文本；留空为民办营利", _SHARED["nature"].parse,
           _SHARED["nature"].allowed, aliases=("机构性质",)),
    _SHARED["district"],
    _SHARED["street"],
    _SHARED["address"],
    Column("经营者或负责人", "legal_representative", False, "文本，≤50字", text(50),
           aliases=("负责人", "经营者", "法定代表人")),
    _SHARED["phone"],
    Column("床位数", "beds_total", False, "不小于0的整数", count, aliases=("总床位数",)),
    Column("发现途径", "discovered_via", True, "文本", choice(vocab.DISCOVERY_CHANNELS, {
        "检查": "inspection", "投诉": "complaint", "举报": "complaint",
        "市场监管": "market_record", "市场监管推送": "market_record"}),
        "、".join(vocab.DISCOVERY_CHANNELS.values()), aliases=("来源", "线索来源")),
    Column("发现日期", "discovered_on", True, DATE_FORMATS, a_date, aliases=("发现时间",)),
    Column("发现单位或人员", "discovered_by", True, "文本，≤100字", text(100),
           aliases=("发现单位", "发现人")),
)
DEFAULTS = {"kind": "residential", "nature": "private_forprofit"}
_HEADERS = {c.field: c.header for c in COLUMNS}
# What a place's row may change of a stored place (not its registration: a conversion's).
KEPT = ("name", "credit_code", "kind", "nature", "district_id", "street_id", "address",
        "legal_representative", "phone", "beds_total", "discovered_via", "discovered_on",
        "discovered_by", "filing_status")

Key = tuple[Any, ...]


def map_headers(headers: Iterable[Any]) -> imports.Headers:
    return imports.map_headers(headers, COLUMNS)


def key_of(values: dict[str, Any]) -> Key:
    """The same place: by credit code, else by district, name and address."""
    if values.get("credit_code"):
        return ("code", values["credit_code"])
    return ("place", values["district_id"], values["name"], values["address"])


@dataclass(frozen=True)
class Stored:
    """A stored institution a row may meet: its id, whether it is a place, its kept fields."""

    id: int
    name: str
    is_place: bool
    values: dict[str, Any]


@dataclass
class PlacePlan(imports.Checked):
    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)  # with "id"
    unchanged: int = 0


def plan(headers: imports.Headers, rows: Iterable[tuple[int, tuple[Any, ...]]],
         city: imports.Places, stored: dict[Key, Stored], today: date) -> PlacePlan:
    """Every row checked; the valid ones compared with what is stored."""
    result = PlacePlan(problems=list(headers.problems))
    if headers.problems:
        return result
    first: dict[Key, int] = {}
    for number, cells in rows:
        if all(imports._blank(cell) for cell in cells):
            continue
        result.total += 1
        values, problems = imports._check_row(headers.index, number, cells, city)
        on = values.get("discovered_on")
        if on is not None and on > today:
            problems.append(Problem(number, _HEADERS["discovered_on"],
                                    f"不能晚于今天（{today.isoformat()}）"))
        key = None
        if values.get("credit_code") or all(values.get(k) for k in ("district_id", "name",
                                                                     "address")):
            key = key_of(values)  # a bad row's place still counts as seen
            seen = first.setdefault(key, number)
            if seen != number:
                column = _HEADERS["credit_code" if key[0] == "code" else "name"]
                problems.append(Problem(number, column, f"与行 {seen} 是同一场所"))
        if not problems and key is not None:
            values = {**DEFAULTS, **values}
            values["filing_status"] = ("registered_unfiled" if values.get("credit_code")
                                       else "unregistered")
            old = stored.get(key)
            if old is not None and not old.is_place:
                problems.append(Problem(number, _HEADERS["credit_code"],
                                        f"已登记为机构“{old.name}”（编号 {old.id}），不是未登记场所"))
        if problems or key is None:
            result.problems.extend(problems)
            result.bad_rows.add(number)
            continue
        old = stored.get(key)
        if old is None:
            result.new.append(values)
            continue
        kept: tuple[str, ...] = KEPT
        if old.values.get("filing_status") != "unregistered":
            # Registered or filed since (converted, portal/registry/places.py): the file does
            # not take its registration back.
            kept = tuple(name for name in KEPT if name not in ("credit_code", "filing_status"))
        changes = {name: value for name, value in values.items()
                   if name in kept and old.values.get(name) != value}
        if changes:
            result.changed.append({**changes, "id": old.id})
        else:
            result.unchanged += 1
    return result

