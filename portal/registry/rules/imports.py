"""Importing the institution registry: the columns, each cell's checks, each row's checks and
what an import would change, all in Chinese where a user reads it (the report of an import is
portal/registry/rules/report.py).

Pure: no database, no files. `portal.registry.services` reads a file into rows of cell values,
passes them here with the city's districts and streets and the institutions already stored,
and writes what comes back (issue 20, "Imports").

About 400 lines: the columns of the institutions' file and the row checks every kind shares
(headers, cells, rows, the checker) read together; the report is rules/report.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from portal.institutions import vocab
from portal.registry.rules.cells import (
    DATE_FORMATS,
    CellError,
    a_date,
    choice,
    count,
    credit_code,
    degrees,
    text,
    year,
    yes_no,
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: its row (as the spreadsheet numbers it), column, message."""

    row: int
    column: str
    message: str

    def line(self) -> str:
        where = "表头" if self.row <= 1 else f"行 {self.row}"
        return f"{where}，{self.column}：{self.message}" if self.column else f"{where}：{self.message}"


@dataclass(frozen=True)
class Column:
    header: str
    field: str  # the Institution attribute; district/street are resolved per row
    required: bool
    fmt: str
    parse: Callable[[Any], Any]
    allowed: str = ""
    aliases: tuple[str, ...] = ()


def _labels(labels: dict[str, str]) -> str:
    return "、".join(labels.values())


COLUMNS: tuple[Column, ...] = (
    Column("机构名称", "name", True, "文本，≤100字", text(100), aliases=("名称", "单位名称")),
    Column("统一社会信用代码", "credit_code", True, "18位，GB 32100 校验位", credit_code,
           aliases=("信用代码", "社会信用代码")),
    Column("登记证号", "registration_no", False, "文本，≤40字", text(40),
           aliases=("登记证书号", "登记号")),
    Column("登记日期", "registration_date", False, DATE_FORMATS, a_date,
           aliases=("成立日期", "登记时间")),
    Column("备案号", "filing_no", False, "文本，≤40字", text(40), aliases=("备案编号", "备案回执号")),
    Column("备案日期", "filing_date", False, DATE_FORMATS, a_date, aliases=("备案时间",)),
    Column("备案状态", "filing_status", False, "文本；留空时有备案号为已备案，否则为登记未备案",
           choice(vocab.FILING_STATUSES), _labels(vocab.FILING_STATUSES)),
    Column("机构类型", "kind", True, "文本", choice(vocab.KINDS), _labels(vocab.KINDS),
           aliases=("机构类别",)),
    Column("机构性质", "nature", True, "文本",
           choice(vocab.NATURES, {"民办非营利性": "private_nonprofit",
                                  "民办营利性": "private_forprofit"}),
           _labels(vocab.NATURES), aliases=("运营性质", "举办性质")),
    Column("床位数", "beds_total", False, "不小于0的整数", count, aliases=("总床位数", "核定床位数")),
    Column("空余床位数", "beds_vacant", False, "不小于0的整数，不大于床位数", count,
           aliases=("空置床位数",)),
    Column("所在区县", "district", True, "本市已有的区县名称", text(50),
           aliases=("区县", "所属区县", "所在区（县）")),
    Column("乡镇（街道）", "street", False, "该区县已有的乡镇（街道）名称", text(50),
           aliases=("乡镇(街道)", "街道", "乡镇", "街道（乡镇）", "所在街道")),
    Column("地址", "address", True, "文本，≤200字", text(200), aliases=("详细地址", "机构地址")),
    Column("法定代表人", "legal_representative", False, "文本，≤50字", text(50),
           aliases=("法人代表", "负责人")),
    Column("联系电话", "phone", False, "文本，≤30字", text(30), aliases=("电话", "联系方式")),
    Column("开业年份", "opened_year", False, "四位年份", year, aliases=("开办年份",)),
    Column("收住自理老人", "admits_self_care", False, "是/否", yes_no),
    Column("收住轻度失能老人", "admits_mild", False, "是/否", yes_no),
    Column("收住中重度失能老人", "admits_severe", False, "是/否", yes_no),
    Column("医养结合", "medical_integration", False, "是/否", yes_no),
    Column("内设医疗机构", "internal_clinic", False, "是/否", yes_no),
    Column("医保定点", "insurance_designated", False, "是/否", yes_no),
    # WGS-84 degrees (portal/institutions/rules/geo.py); both or neither (the row check).
    Column("纬度", "latitude", False, "WGS-84 纬度，-90 到 90，如 39.908", degrees(-90, 90),
           aliases=("纬度（WGS-84）", "纬度（WGS84）")),
    Column("经度", "longitude", False, "WGS-84 经度，-180 到 180，如 116.397", degrees(-180, 180),
           aliases=("经度（WGS-84）", "经度（WGS84）")),
)

# Columns that offices' exports carry and the registry does not keep (named in the report):
# the registration authority follows the nature (vocab.REGISTRATION_AUTHORITY), the filing
# authority is the district's civil-affairs office.
NOT_KEPT = ("登记机关", "备案机关")

_KEY = "credit_code"


def _norm_header(header: Any) -> str:
    raw = "" if header is None else str(header)
    return re.sub(r"\s+", "", raw).replace("(", "（").replace(")", "）").lstrip("*")


# Notes offices' exports add after a header, in brackets: a unit, or whether it is required.
_NOTES = re.compile(r"（(?:张|个|人|元|年|全称|必填|选填|可选|必填项|选填项|如有)）$")


def _bare(name: str) -> str:
    """A header without such a note (床位数（张）, 机构名称（全称）, 地址（必填）): the column is
    known by the rest. Other brackets stay (机构名称（曾用名） is another column)."""
    return _NOTES.sub("", name)


def by_header(columns: Iterable[Column]) -> dict[str, Column]:
    return {_norm_header(name): column for column in columns
            for name in (column.header, *column.aliases)}


_BY_HEADER = by_header(COLUMNS)


@dataclass
class Headers:
    """Where each known column is in the file, what it has that we do not keep, what is missing."""

    index: dict[int, Column]
    ignored: list[str]
    problems: list[Problem]


def map_headers(headers: Iterable[Any], columns: tuple[Column, ...] = COLUMNS) -> Headers:
    """Which column of the file is which of `columns` (a kind's; the institutions' by default)."""
    known = _BY_HEADER if columns is COLUMNS else by_header(columns)
    index: dict[int, Column] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for position, header in enumerate(headers):
        name = _norm_header(header)
        if not name:
            continue
        column = known.get(name) or known.get(_bare(name))
        if column is None:
            ignored.append(name)
        elif column.field in seen:
            problems.append(Problem(1, name, f"与“{seen[column.field]}”是同一列，请只保留一列"))
        else:
            seen[column.field] = name
            index[position] = column
    for column in columns:
        if column.required and column.field not in seen:
            problems.append(Problem(1, column.header, "缺少必填列"))
    return Headers(index, ignored, problems)


@dataclass
class Row:
    """A valid row: the spreadsheet row number and the fields its non-blank cells gave."""

    number: int
    values: dict[str, Any]
    key: str = _KEY  # the field a row is upserted by

    @property
    def code(self) -> str:
        return self.values[self.key]


@dataclass
class Places:
    """The city's districts and streets by name: {district: (id, {street: id})}."""

    districts: dict[str, tuple[int, dict[str, int]]]


@dataclass
class Checked:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    total: int = 0


@dataclass
class Plan(Checked):
    """What a kind read whole (districts, offices, staff: hundreds of rows, not a registry of
    thousands) would change, counted by row; each kind's plan adds the rows to write."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def reject(self, problem: Problem) -> None:
        self.problems.append(problem)
        self.bad_rows.add(problem.row)

    def count(self, *, added: bool, updated: bool) -> None:
        if added:
            self.added += 1
        elif updated:
            self.updated += 1
        else:
            self.unchanged += 1


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowChecker:
    """Checks rows one at a time, as a file is streamed, keeping the problems and the keys
    seen (a credit code twice in the file is an error on the later row). Other kinds subclass
    it with their own `key` and `values` (portal/registry/rules/records.py)."""

    key = _KEY
    key_header = "统一社会信用代码"

    def __init__(self, headers: Headers, places: Places | None = None) -> None:
        self.index = headers.index
        self.places = places or Places({})
        self.problems: list[Problem] = list(headers.problems)
        self.bad_rows: set[int] = set()
        self.total = 0
        self._first_seen: dict[str, int] = {}

    def values(self, number: int, cells: tuple[Any, ...]) -> tuple[dict[str, Any], list[Problem]]:
        """A row's fields and its problems."""
        return _check_row(self.index, number, cells, self.places)

    def check(self, number: int, cells: tuple[Any, ...]) -> Row | None:
        """The row's values if it is valid; None for a bad row (recorded) or a blank one."""
        if all(_blank(cell) for cell in cells):
            return None
        self.total += 1
        values, problems = self.values(number, cells)
        code = values.get(self.key)
        if code is not None:
            first = self._first_seen.setdefault(code, number)
            if first != number:
                problems.append(Problem(number, self.key_header, f"与行 {first} 重复"))
        if problems:
            self.problems.extend(problems)
            self.bad_rows.add(number)
            return None
        return Row(number, values, self.key)

    def reject(self, row: Row, column: str, message: str) -> None:
        """A valid row found bad against the database (by the service, a chunk at a time)."""
        self.problems.append(Problem(row.number, column, message))
        self.bad_rows.add(row.number)


def check_rows(headers: Headers, rows: Iterable[tuple[int, tuple[Any, ...]]],
               places: Places) -> Checked:
    """Every row's cells and the row as a whole; duplicates of a credit code within the file."""
    checker = RowChecker(headers, places)
    valid = [row for number, cells in rows if (row := checker.check(number, cells)) is not None]
    return Checked(valid, checker.problems, checker.bad_rows, checker.total)


@dataclass
class Cells:
    """A row's cells parsed by its columns: the values of the non-blank valid cells, the
    problems, each field's header, and the fields whose cell could not be parsed."""

    values: dict[str, Any]
    problems: list[Problem]
    headers: dict[str, str]
    failed: set[str]


def parse_cells(index: dict[int, Column], number: int, cells: tuple[Any, ...]) -> Cells:
    """Every cell of a row through its column's parser (any kind's columns)."""
    parsed = Cells({}, [], {}, set())
    for position, column in index.items():
        cell = cells[position] if position < len(cells) else None
        parsed.headers[column.field] = column.header
        if _blank(cell):
            if column.required:
                parsed.problems.append(Problem(number, column.header, "必填，不能为空"))
            continue
        try:
            parsed.values[column.field] = column.parse(cell)
        except CellError as exc:
            parsed.problems.append(Problem(number, column.header, str(exc)))
            parsed.failed.add(column.field)
    return parsed


def is_blank_row(cells: tuple[Any, ...]) -> bool:
    return all(_blank(cell) for cell in cells)


def each_row(plan: Plan, headers: Headers, rows: Iterable[tuple[int, tuple[Any, ...]]]
             ) -> Iterator[tuple[int, Cells]]:
    """A whole-file kind's non-blank rows parsed by its columns, counted in the plan's total;
    none when the header row has problems (the plan has them already)."""
    if headers.problems:
        return
    for number, cells in rows:
        if is_blank_row(cells):
            continue
        plan.total += 1
        yield number, parse_cells(headers.index, number, cells)


def _check_row(index: dict[int, Column], number: int, cells: tuple[Any, ...],
               places: Places) -> tuple[dict[str, Any], list[Problem]]:
    parsed = parse_cells(index, number, cells)
    values, problems, headers, failed = parsed.values, parsed.problems, parsed.headers, parsed.failed
    district_name = values.pop("district", None)
    street_name = values.pop("street", None)
    if district_name is not None:
        district = places.districts.get(district_name)
        if district is None:
            problems.append(Problem(number, headers["district"], f"本市没有该区县：{district_name}"))
        else:
            values["district_id"] = district[0]
            if street_name is not None:
                street_id = district[1].get(street_name)
                if street_id is None:
                    problems.append(Problem(number, headers["street"],
                                            f"{district_name}没有该乡镇（街道）：{street_name}"))
                else:
                    values["street_id"] = street_id
    for one, other in (("latitude", "longitude"), ("longitude", "latitude")):
        if one in values and other not in values and other not in failed:
            header = headers.get(other) or next(c.header for c in COLUMNS if c.field == other)
            problems.append(Problem(number, header, "纬度和经度须同时填写"))
    beds, vacant = values.get("beds_total"), values.get("beds_vacant")
    if vacant is not None and beds is not None and vacant > beds:
        problems.append(Problem(number, headers["beds_vacant"], f"空余床位数 {vacant} 大于床位数 {beds}"))
    elif vacant is not None and beds is None and "beds_total" not in failed:
        problems.append(Problem(number, headers["beds_vacant"], "填写空余床位数时须同时填写床位数"))
    return values, problems


# ---- what an import changes --------------------------------------------------------------

# What a blank cell gives a new institution (the model's defaults): every added row has every
# field, so the inserts go in batches of one shape.
NEW_DEFAULTS: dict[str, Any] = {
    "registration_no": "", "registration_date": None, "filing_no": "", "filing_date": None,
    "beds_total": 0, "beds_vacant": 0, "street_id": None, "legal_representative": "",
    "phone": "", "opened_year": None, "admits_self_care": True, "admits_mild": False,
    "admits_severe": False, "medical_integration": False, "internal_clinic": False,
    "insurance_designated": False, "latitude": None, "longitude": None,
}


def new_values(row: Row) -> dict[str, Any]:
    """An institution to add: the row's fields with the defaults of a fresh registration."""
    values = NEW_DEFAULTS | row.values
    values.setdefault("filing_status", "filed" if values["filing_no"] else "registered_unfiled")
    return values


def changed_values(row: Row, stored: dict[str, Any]) -> dict[str, Any]:
    """The fields of a stored institution the row changes ({} when none). A blank cell keeps
    what is stored; a street left blank is cleared only when the district changes."""
    wanted = dict(row.values)
    if "filing_status" not in wanted and wanted.get("filing_no") and stored["filing_status"] != "filed":
        wanted["filing_status"] = "filed"
    if wanted.get("district_id", stored["district_id"]) != stored["district_id"]:
        wanted.setdefault("street_id", None)
    beds = wanted.get("beds_total")
    if beds is not None and "beds_vacant" not in wanted and stored["beds_vacant"] > beds:
        wanted["beds_vacant"] = beds
    return {name: value for name, value in wanted.items()
            if name != _KEY and stored.get(name) != value}


STORED_FIELDS = tuple(c.field for c in COLUMNS if c.field not in ("district", "street")) + (
    "district_id", "street_id")


# ---- one institution typed in the back office --------------------------------------------

def check_fields(cells: dict[str, Any], places: Places) -> tuple[dict[str, Any], dict[str, str]]:
    """An institution typed in the back office's form (portal/registry/institutions.py): the
    same cell and row checks, with the same messages, as an imported row; cells and problems
    keyed by field (`Column.field`), the first problem of each."""
    values, problems = _check_row(dict(enumerate(COLUMNS)), 0,
                                  tuple(cells.get(c.field) for c in COLUMNS), places)
    by_header = {c.header: c.field for c in COLUMNS}
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(by_header[problem.column], problem.message)
    return values, found
