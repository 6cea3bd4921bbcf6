"""The institution directory's query: the statements that apply a `DirectoryQuery`
(portal/institutions/rules/directory_query.py) and the rows of one page.

The distance sort ranks by the equirectangular key of portal/institutions/rules/geo.py as an ORDER
BY expression (origin and longitude scale bound as values), so it pages in the database on SQLite
and PostgreSQL alike; institutions without coordinates come last, in name order.

The monthly total is the SPEC §2 月服务费用 computed by `facts.monthly_totals`
from the current fee rows; it is not a column, so price filters and the price sort are applied
in Python to the ids that pass the SQL filters (one query for their fee rows).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Float, Select, bindparam, func, or_, select
from sqlalchemy.orm import Session

from portal.core import reference_version
from portal.core.db import core_rows, core_scalar, core_scalars
from portal.institutions.models import DirectoryCount, FeeItem, Grade, Institution
from portal.institutions.rules.directory_query import PER_PAGE, DirectoryQuery
from portal.institutions.rules.facts import (
    MonthlyTotal,
    PricedRow,
    pick_total,
    priced_row,
    totals_of,
)
from portal.institutions.rules.geo import Point, haversine_km, longitude_scale, point_or_none
from portal.orgs.models import District, Street
from search.rules.typeahead import initials_query, matches_any


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


# Names in pinyin order (长青 before 幸福, as a Chinese reader looks them up), not by code point:
# by their stored key (models.Institution.name_pinyin; search/rules/pinyin.py: sort_key).
PINYIN_ORDER = (Institution.name_pinyin, Institution.name, Institution.id)
SPELLED_MAX = 1000  # candidates read for a pinyin-initials name query
ALIAS_SEPARATORS = re.compile(r"[,，、;；\s]+")  # as search/services/documents.py splits them


def spelled_ids(session: Session, q: str) -> list[int]:
    """Institutions whose name or an alias the initials `q` spell, by the type-ahead's rule
    (search/rules/typeahead.py: from the start of a word, letter by letter). The stored initials
    narrow the candidates first."""
    letters = initials_query(q)
    if not letters:
        return []
    rows = session.execute(
        select(Institution.id, Institution.name, Institution.aliases)
        .where(Institution.name_initials.contains(letters, autoescape=True))
        .order_by(Institution.id).limit(SPELLED_MAX))
    return [i for i, name, aliases in rows
            if matches_any(letters, [name, *ALIAS_SEPARATORS.split(aliases or "")])]


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
    operating_status: str
    latitude: float | None
    longitude: float | None

    @property
    def point(self) -> Point | None:
        return point_or_none(self.latitude, self.longitude)


_LISTED = tuple(name for name in Listed.__dataclass_fields__ if name not in ("district", "street"))


def _listed_columns() -> list:
    """A directory row's columns (`_listed` reads them), from institutions joined as
    `_with_places` joins them."""
    return [*(Institution.__table__.c[name] for name in _LISTED),
            District.name.label("district_name"), Street.id.label("street_id"),
            Street.name.label("street_name"), latest_grade_level().label("grade")]


def _with_places(stmt: Select) -> Select:
    return (stmt.join_from(Institution, District, District.id == Institution.district_id)
            .outerjoin_from(Institution, Street, Street.id == Institution.street_id))


_PAGE_ROWS = _with_places(select(*_listed_columns())).where(
    Institution.id.in_(bindparam("ids", expanding=True)))


def _listed(row: Any) -> Listed:
    values = dict(zip(_LISTED, row, strict=False))  # the row starts with the _LISTED columns
    street = Named(row.street_id, row.street_name) if row.street_id is not None else None
    return Listed(**values, district=Named(row.district_id, row.district_name), street=street)


@dataclass(frozen=True)
class Row:
    institution: Listed
    grade: int | None
    monthly: MonthlyTotal | None  # for the query's care level, or the cheapest and dearest
    km: float | None = None  # from the origin of a distance sort (haversine), when located


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


CLOSED = "closed"  # vocab.OPERATING_STATUSES: 终止（注销）

# A query's statements depend only on its form (which filters it uses, how it sorts), so they
# are built once per form with the values bound at execution: building them took 0.15 ms of a
# 2.5 ms directory view (bench/RESULTS.md, fifth pass).
_FILTER_COLUMNS = {"district": Institution.district_id, "street": Institution.street_id,
                   "kind": Institution.kind, "nature": Institution.nature,
                   "filing": Institution.filing_status}
# The filters `directory_counts` keeps counts for, and its column for each.
_COUNTED_COLUMNS = {"district": DirectoryCount.district_id, "street": DirectoryCount.street_id,
                    "kind": DirectoryCount.kind, "nature": DirectoryCount.nature,
                    "filing": DirectoryCount.filing_status}


@dataclass(frozen=True)
class _Form:
    """What a query's statements depend on: the filters it uses and its sort, not their values."""

    q: bool
    spelled: bool  # q is latin letters/digits: names it spells in pinyin initials match too
    valued: tuple[str, ...]  # the _FILTER_COLUMNS it filters by
    grade: str | None  # "ungraded" | "level"
    vacant: bool
    admits: str | None
    medical: bool
    sort: str
    closed: bool  # 含已终止

    @classmethod
    def of(cls, query: DirectoryQuery) -> _Form:
        grade = None if query.grade is None else "ungraded" if query.grade == 0 else "level"
        return cls(bool(query.q), bool(initials_query(query.q)),
                   tuple(name for name in _FILTER_COLUMNS if getattr(query, name)),
                   grade, query.vacant, query.admits, query.medical, query.sort, query.closed)

    @property
    def counted(self) -> bool:
        """Whether `directory_counts` keeps its total: no name, grade, admission or medical
        filter."""
        return not (self.q or self.grade or self.admits or self.medical)


def _unlocated() -> Any:
    return or_(Institution.latitude.is_(None), Institution.longitude.is_(None))


def _distance_key() -> Any:
    """geo.ranking_key as SQL: + - * only (SQLite has no cosine without its math extension)."""
    dy = Institution.latitude - bindparam("origin_lat", type_=Float)
    dx = (Institution.longitude - bindparam("origin_lng", type_=Float)) \
        * bindparam("lng_scale", type_=Float)
    return dy * dy + dx * dx


def _like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` escaped by "/" (what `contains(autoescape=True)`
    does, which needs the value when the statement is built)."""
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"


def _values(query: DirectoryQuery) -> dict[str, Any]:
    """The values bound into a query's statements."""
    values: dict[str, Any] = {name: getattr(query, name) for name in _FILTER_COLUMNS
                              if getattr(query, name)}
    if query.q:
        values["q"] = _like_pattern(query.q)
    if query.grade:
        values["grade"] = query.grade
    return values


@dataclass(frozen=True)
class _Statements:
    filtered: Select  # the ids that pass, unordered
    ordered: Select  # ... in the query's order
    counted: Select  # the total: from directory_counts when it keeps it, else by counting
    # One page of the rows in order ("offset", "limit"), each with the total and the
    # reference version: one statement where a view ran four (the total, the page's ids, their
    # rows, the districts for the selects; the fee rows stay their own), three round trips
    # fewer on PostgreSQL (bench/RESULTS.md, seventh pass).
    page: Select


@lru_cache(maxsize=512)
def _statements(form: _Form) -> _Statements:
    grade_col = latest_grade_level()
    stmt = select(Institution.id)
    if form.spelled:  # the ids `spelled_ids` found, or a name containing the letters as typed
        stmt = stmt.where(or_(Institution.name.like(bindparam("q"), escape="/"),
                              Institution.id.in_(bindparam("spelled", expanding=True))))
    elif form.q:
        stmt = stmt.where(Institution.name.like(bindparam("q"), escape="/"))
    for name in form.valued:
        stmt = stmt.where(_FILTER_COLUMNS[name] == bindparam(name))
    if form.grade == "ungraded":
        stmt = stmt.where(grade_col.is_(None))
    elif form.grade == "level":
        stmt = stmt.where(grade_col == bindparam("grade"))
    if form.vacant:
        stmt = stmt.where(Institution.beds_vacant > 0)
    if form.admits == "mild":
        stmt = stmt.where(Institution.admits_mild.is_(True))
    elif form.admits == "severe":
        stmt = stmt.where(Institution.admits_severe.is_(True))
    if form.medical:
        stmt = stmt.where(Institution.medical_integration.is_(True))
    if not form.closed:  # a closed institution leaves the default directory (issue 20)
        stmt = stmt.where(Institution.operating_status != CLOSED)
    if form.sort == "id":
        ordered = stmt.order_by(Institution.id)
    elif form.sort == "grade":
        ordered = stmt.order_by(func.coalesce(grade_col, 0).desc(), *PINYIN_ORDER)
    elif form.sort == "distance":
        ordered = stmt.order_by(_unlocated(), _distance_key(), *PINYIN_ORDER)
    elif form.sort == "vacancies":
        ordered = stmt.order_by(Institution.beds_vacant.desc(), *PINYIN_ORDER)
    else:
        ordered = stmt.order_by(*PINYIN_ORDER)
    if form.counted:
        counted = select(func.coalesce(func.sum(DirectoryCount.n), 0))
        for name in form.valued:
            counted = counted.where(_COUNTED_COLUMNS[name] == bindparam(name))
        if form.vacant:
            counted = counted.where(DirectoryCount.vacant.is_(True))
        if not form.closed:
            counted = counted.where(DirectoryCount.operating_status != CLOSED)
    else:
        counted = select(func.count()).select_from(stmt.subquery())
    page = _with_places(ordered.with_only_columns(
        *_listed_columns(), counted.scalar_subquery().label("total"), reference_version.COLUMN,
        maintain_column_froms=False))
    return _Statements(stmt, ordered, counted,
                       page.offset(bindparam("offset")).limit(bindparam("limit")))


def filtered_ids(query: DirectoryQuery, session: Session | None = None
                 ) -> tuple[Select, dict[str, Any]]:
    """The statement of the ids that pass the query's filters, and its values (a pinyin name
    query needs the session to find the names it spells)."""
    values = _values(query)
    if initials_query(query.q):
        values["spelled"] = spelled_ids(session, query.q) if session is not None else []
    return _statements(_Form.of(query)).filtered, values


class Directory:
    def __init__(self, session: Session) -> None:
        self.db = session

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
        self, query: DirectoryQuery, page: int, today: date, per_page: int = PER_PAGE,
        origin: Point | None = None,
    ) -> DirectoryPage:
        """One page of the query's rows. A "distance" sort needs `origin` (the caller falls back
        to another sort without one); with it every located row gets its distance."""
        if query.sort == "distance" and origin is None:
            raise ValueError("a distance sort needs an origin")
        statements = _statements(_Form.of(query))
        values = _values(query)
        if initials_query(query.q):
            values["spelled"] = spelled_ids(self.db, query.q)
        if query.sort == "distance" and origin is not None:
            values.update(origin_lat=origin.lat, origin_lng=origin.lng,
                          lng_scale=longitude_scale(origin))
        found_page = self._search(query, statements, values, page, today, per_page)
        if origin is None:
            return found_page
        rows = [replace(r, km=haversine_km(origin, p) if (p := r.institution.point) else None)
                for r in found_page.rows]
        return replace(found_page, rows=rows)

    def _search(self, query: DirectoryQuery, statements: _Statements, values: dict[str, Any],
                page: int, today: date, per_page: int) -> DirectoryPage:
        if query.price_min is not None or query.price_max is not None or query.sort == "price":
            return self._priced(query, statements, values, page, today, per_page)
        found = self._rows(statements, values, page, per_page)
        if found:
            total = int(found[0].total or 0)
            reference_version.note(self.db, found[0].reference_version)
        else:  # nothing matches, or the page is past the last one
            total = int(core_scalar(self.db, statements.counted, values) or 0)
            if total:
                found = self._rows(statements, values, -(-total // per_page), per_page)
        pages = max(1, -(-total // per_page))
        totals = self.monthly([r.id for r in found], query.level, today)
        rows = [Row(_listed(r), r.grade, totals.get(r.id)) for r in found]
        return DirectoryPage(rows=rows, total=total, page=min(page, pages), pages=pages,
                             per_page=per_page)

    def _rows(self, statements: _Statements, values: dict[str, Any], page: int,
              per_page: int) -> list:
        return core_rows(self.db, statements.page,
                         {**values, "offset": (page - 1) * per_page, "limit": per_page})

    def _priced(self, query: DirectoryQuery, statements: _Statements, values: dict[str, Any],
                page: int, today: date, per_page: int) -> DirectoryPage:
        """Price filters and the price sort: every matching id in name order, then their
        totals (the price sort falls back to name order, so equal prices stay in it)."""
        ids = core_scalars(self.db, statements.ordered, values)
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
        loaded = {
            row.id: (_listed(row), row.grade)
            for row in core_rows(self.db, _PAGE_ROWS, {"ids": page_ids})
        } if page_ids else {}
        rows = [Row(loaded[i][0], loaded[i][1], totals.get(i)) for i in page_ids if i in loaded]
        return DirectoryPage(rows=rows, total=total, page=page, pages=pages, per_page=per_page)
