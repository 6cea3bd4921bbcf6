"""The directory's filters and sort orders as one dataclass, and the query that applies them.

Shared by the HTML directory (bad values are dropped) and the JSON API (bad values are a 400
naming the field). The monthly total is the SPEC §2 月服务费用 computed by `checks.monthly_totals`
from the current fee rows; it is not a column, so price filters and the price sort are applied
in Python to the ids that pass the SQL filters (one query for their fee rows).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from portal.db import core_rows, core_scalar, core_scalars
from portal.institutions import vocab
from portal.institutions.facts import MonthlyTotal, PricedRow, priced_row, totals_of
from portal.institutions.models import DirectoryCount, FeeItem, Grade, Institution
from portal.orgs.models import District, Street

SORTS = {"name": "名称", "grade": "等级（高到低）", "price": "月费（低到高）", "vacancies": "空余床位（多到少）"}
API_SORTS = {"id": "编号", **SORTS}
ADMITS = {"mild": "轻度失能", "severe": "中重度失能"}
MAX_PRICE = 1_000_000
PER_PAGE = 20
MAX_PER_PAGE = 100


class FilterError(ValueError):
    """A filter value the API refuses; `field` is the query parameter's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    district: int | None = None
    street: int | None = None
    kind: str | None = None
    nature: str | None = None
    grade: int | None = None  # 1–5, or 0 for 未评定
    filing: str | None = None
    level: str | None = None  # care level whose monthly total is shown, filtered and sorted
    price_min: int | None = None
    price_max: int | None = None
    vacant: bool = False
    admits: str | None = None  # mild | severe
    medical: bool = False
    sort: str = "name"


def _int(raw: str, field: str, low: int, high: int, message: str) -> int:
    if not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        raise FilterError(field, message)
    return int(raw)


def _choice(raw: str, field: str, allowed: Mapping[str, Any], what: str) -> str:
    if raw not in allowed:
        raise FilterError(field, f"{what}只能是：{'、'.join(allowed)}")
    return raw


def _flag(raw: str, field: str) -> bool:
    if raw not in ("1", "true", "0", "false"):
        raise FilterError(field, f"{field} 只能是 1 或 0")
    return raw in ("1", "true")


def parse(
    params: Mapping[str, str], *, strict: bool, default_sort: str = "name"
) -> DirectoryQuery:
    """Query-string values -> DirectoryQuery. strict: raise FilterError; else drop bad values."""
    sorts = API_SORTS if strict else SORTS
    parsers = {
        "district": lambda v: _int(v, "district", 1, 10**9, "区县编号应为正整数"),
        "street": lambda v: _int(v, "street", 1, 10**9, "街道编号应为正整数"),
        "kind": lambda v: _choice(v, "kind", vocab.KINDS, "机构类型"),
        "nature": lambda v: _choice(v, "nature", vocab.NATURES, "机构性质"),
        "grade": lambda v: _int(v, "grade", 0, 5, "等级应为 0（未评定）到 5"),
        "filing": lambda v: _choice(v, "filing", vocab.FILING_STATUSES, "备案状态"),
        "level": lambda v: _choice(v, "level", vocab.CARE_LEVELS, "护理等级"),
        "price_min": lambda v: _int(v, "price_min", 0, MAX_PRICE, "最低月费应为 0 以上的整数（元）"),
        "price_max": lambda v: _int(v, "price_max", 0, MAX_PRICE, "最高月费应为 0 以上的整数（元）"),
        "vacant": lambda v: _flag(v, "vacant"),
        "admits": lambda v: _choice(v, "admits", ADMITS, "收住对象"),
        "medical": lambda v: _flag(v, "medical"),
        "sort": lambda v: _choice(v, "sort", sorts, "排序方式"),
    }
    values: dict[str, Any] = {"sort": default_sort}
    q = (params.get("q") or "").strip()
    if strict and len(q) > 50:
        raise FilterError("q", "机构名称最多 50 个字")
    values["q"] = q[:50]
    for name, convert in parsers.items():
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            values[name] = convert(raw)
        except FilterError:
            if strict:
                raise
    query = DirectoryQuery(**values)
    if (
        query.price_min is not None
        and query.price_max is not None
        and query.price_min > query.price_max
    ):
        if strict:
            raise FilterError("price_max", "最高月费不能低于最低月费")
        query = replace(query, price_max=None)
    return query


def latest_grade_level():
    """The level of an institution's latest grade award, as a correlated scalar subquery."""
    return (
        select(Grade.level)
        .where(Grade.institution_id == Institution.id)
        .order_by(Grade.awarded_on.desc(), Grade.id.desc())
        .limit(1)
        .correlate(Institution)
        .scalar_subquery()
    )


# Built once (every directory view runs both); "ids" expands to the page's institutions. The
# current rows on "today" (`FeeFacts.current_on`), priced straight from the columns.
_CURRENT_FEES = select(
    FeeItem.institution_id, FeeItem.care_level, FeeItem.item, FeeItem.price, FeeItem.cycle,
).where(FeeItem.institution_id.in_(bindparam("ids", expanding=True)),
        FeeItem.effective_to.is_(None), FeeItem.effective_from <= bindparam("today"))


@dataclass(frozen=True)
class Named:
    """A district's or street's id and name (directory rows, the directory's selects)."""

    id: int
    name: str


@dataclass(frozen=True)
class Listed:
    """An institution as the directory lists it: plain values (loading ORM objects with their
    district and street took 1.7 ms of a 20-row page, these rows 0.5 ms; bench/RESULTS.md)."""

    id: int
    name: str
    kind: str
    nature: str
    filing_status: str
    district_id: int
    district: Named
    street: Named | None
    address: str
    beds_total: int
    beds_vacant: int
    admits_self_care: bool
    admits_mild: bool
    admits_severe: bool
    medical_integration: bool


_LISTED = tuple(name for name in Listed.__dataclass_fields__ if name not in ("district", "street"))
_PAGE_ROWS = (
    select(*(Institution.__table__.c[name] for name in _LISTED),
           District.name.label("district_name"), Street.id.label("street_id"),
           Street.name.label("street_name"), latest_grade_level().label("grade"))
    .join(District, District.id == Institution.district_id)
    .outerjoin(Street, Street.id == Institution.street_id)
    .where(Institution.id.in_(bindparam("ids", expanding=True)))
)


def _listed(row: Any) -> Listed:
    values = dict(zip(_LISTED, row, strict=False))  # the row starts with the _LISTED columns
    street = Named(row.street_id, row.street_name) if row.street_id is not None else None
    return Listed(**values, district=Named(row.district_id, row.district_name), street=street)


@dataclass(frozen=True)
class Row:
    institution: Listed
    grade: int | None
    monthly: MonthlyTotal | None  # for the query's care level, or the cheapest and dearest


@dataclass(frozen=True)
class DirectoryPage:
    rows: list[Row]
    total: int
    page: int
    pages: int
    per_page: int

    @property
    def items(self) -> list[Institution]:
        return [r.institution for r in self.rows]


def pick_total(totals: dict[str | None, MonthlyTotal], level: str | None) -> MonthlyTotal | None:
    """The total for `level` (its own rows, else the shared ones); no level: across all levels."""
    if level:
        return totals.get(level) or totals.get(None)
    if not totals:
        return None
    values = list(totals.values())
    return MonthlyTotal(None, min(t.low for t in values), max(t.high for t in values))


class Directory:
    def __init__(self, session: Session) -> None:
        self.db = session

    def _filtered(self, query: DirectoryQuery, grade_col) -> Select:
        stmt = select(Institution.id)
        if query.q:
            stmt = stmt.where(Institution.name.contains(query.q, autoescape=True))
        if query.district:
            stmt = stmt.where(Institution.district_id == query.district)
        if query.street:
            stmt = stmt.where(Institution.street_id == query.street)
        if query.kind:
            stmt = stmt.where(Institution.kind == query.kind)
        if query.nature:
            stmt = stmt.where(Institution.nature == query.nature)
        if query.filing:
            stmt = stmt.where(Institution.filing_status == query.filing)
        if query.grade is not None:
            stmt = stmt.where(grade_col.is_(None) if query.grade == 0 else grade_col == query.grade)
        if query.vacant:
            stmt = stmt.where(Institution.beds_vacant > 0)
        if query.admits == "mild":
            stmt = stmt.where(Institution.admits_mild.is_(True))
        elif query.admits == "severe":
            stmt = stmt.where(Institution.admits_severe.is_(True))
        if query.medical:
            stmt = stmt.where(Institution.medical_integration.is_(True))
        return stmt

    def monthly(self, ids: list[int], level: str | None, today: date) -> dict[int, MonthlyTotal]:
        """Monthly totals of these institutions, from one query for their current fee rows."""
        if not ids:
            return {}
        priced: dict[int, list[PricedRow]] = defaultdict(list)
        for institution_id, *fee in core_rows(self.db, _CURRENT_FEES, {"ids": ids, "today": today}):
            if row := priced_row(*fee):
                priced[institution_id].append(row)
        found = {i: pick_total(totals_of(rows), level) for i, rows in priced.items()}
        return {i: t for i, t in found.items() if t is not None}

    def search(
        self, query: DirectoryQuery, page: int, today: date, per_page: int = PER_PAGE
    ) -> DirectoryPage:
        grade_col = latest_grade_level()
        stmt = self._filtered(query, grade_col)
        priced = query.price_min is not None or query.price_max is not None or query.sort == "price"
        totals: dict[int, MonthlyTotal] = {}
        if priced:
            # The price sort falls back to name order, so equal prices stay in name order.
            ids = self._ordered_ids(stmt, query, grade_col)
            totals = self.monthly(ids, query.level, today)
            if query.price_min is not None:
                ids = [i for i in ids if i in totals and totals[i].low >= query.price_min]
            if query.price_max is not None:
                ids = [i for i in ids if i in totals and totals[i].low <= query.price_max]
            if query.sort == "price":
                ids.sort(key=lambda i: (i not in totals, totals[i].low if i in totals else 0))
            total = len(ids)
            pages = max(1, -(-total // per_page))
            page = min(page, pages)
            page_ids = ids[(page - 1) * per_page : page * per_page]
        else:
            total = self._count(query, stmt)
            pages = max(1, -(-total // per_page))
            page = min(page, pages)
            page_ids = core_scalars(
                self.db,
                self._order(stmt, query, grade_col).offset((page - 1) * per_page).limit(per_page),
            )
            totals = self.monthly(page_ids, query.level, today)
        loaded = {
            row.id: (_listed(row), row.grade)
            for row in core_rows(self.db, _PAGE_ROWS, {"ids": page_ids})
        } if page_ids else {}
        rows = [Row(loaded[i][0], loaded[i][1], totals.get(i)) for i in page_ids if i in loaded]
        return DirectoryPage(rows=rows, total=total, page=page, pages=pages, per_page=per_page)

    def _count(self, query: DirectoryQuery, stmt: Select) -> int:
        """The query's total: from the trigger-kept directory counts when it filters only by
        their values (district, street, kind, nature, filing status, vacant beds), else by
        counting the institutions that pass."""
        if query.q or query.grade is not None or query.admits or query.medical:
            return core_scalar(self.db, select(func.count()).select_from(stmt.subquery())) or 0
        counted = select(func.coalesce(func.sum(DirectoryCount.n), 0))
        for column, value in ((DirectoryCount.district_id, query.district),
                              (DirectoryCount.street_id, query.street),
                              (DirectoryCount.kind, query.kind),
                              (DirectoryCount.nature, query.nature),
                              (DirectoryCount.filing_status, query.filing)):
            if value:
                counted = counted.where(column == value)
        if query.vacant:
            counted = counted.where(DirectoryCount.vacant.is_(True))
        return int(core_scalar(self.db, counted) or 0)

    def _order(self, stmt: Select, query: DirectoryQuery, grade_col) -> Select:
        if query.sort == "id":
            return stmt.order_by(Institution.id)
        if query.sort == "grade":
            return stmt.order_by(
                func.coalesce(grade_col, 0).desc(), Institution.name, Institution.id
            )
        if query.sort == "vacancies":
            return stmt.order_by(Institution.beds_vacant.desc(), Institution.name, Institution.id)
        return stmt.order_by(Institution.name, Institution.id)

    def _ordered_ids(self, stmt: Select, query: DirectoryQuery, grade_col) -> list[int]:
        return core_scalars(self.db, self._order(stmt, query, grade_col))
