"""Queue queries: an office's work list and the supervisor's overview (read side only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.orm import Session, joinedload

from complaints.models import (
    OPEN_STATUSES,
    CoHandling,
    Complaint,
    ComplaintEvent,
    RoutingRule,
    subject_of,
)
from complaints.services.queue_counts import CO, bucket_sum, office_counts
from portal.core.db import core_rows, core_scalar
from portal.institutions.models import Institution
from portal.orgs.models import Department

QUEUE_TABS = {
    "assigned": "待签收",
    "signed": "办理中",
    "co": "会办",
    "answered": "已答复",
}
PER_PAGE = 30


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of a work list: what the list shows and what its clock is computed from."""

    id: int
    tracking_no: str
    urgent: bool
    supervised_at: datetime | None
    institution_name: str | None
    place_name: str
    rule_label: str
    department_name: str
    status: str
    received_at: datetime
    working_days: int
    due_at: datetime
    due_last_day: date
    provisional: bool
    answered_at: datetime | None
    sign_due_at: datetime | None = None
    signed_at: datetime | None = None

    @property
    def subject_name(self) -> str:
        return subject_of(self.institution_name, self.place_name)


_ROW_COLUMNS = (
    Complaint.id, Complaint.tracking_no, Complaint.urgent, Complaint.supervised_at,
    Institution.name, Complaint.place_name, RoutingRule.label, Department.name,
    Complaint.status, Complaint.received_at, Complaint.working_days, Complaint.due_at,
    Complaint.due_last_day, Complaint.provisional, Complaint.answered_at,
    Complaint.sign_due_at, Complaint.signed_at,
)


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueRow]
    total: int
    page: int
    pages: int


_ROW_WIDTH = len(_ROW_COLUMNS)


def _listing(stmt: Select) -> tuple[Select, Select]:
    """A list statement's (`select(Complaint)` with its filters and order) total, and one page
    of its rows as plain values ("offset" and "limit" bound): no ORM objects to build."""
    total = select(func.count()).select_from(stmt.order_by(None).subquery())
    rows = (stmt.with_only_columns(*_ROW_COLUMNS, maintain_column_froms=True)
            .outerjoin(Institution, Institution.id == Complaint.institution_id)
            .join(RoutingRule, RoutingRule.code == Complaint.category_code)
            .join(Department, Department.id == Complaint.responsible_department_id)
            .offset(bindparam("offset")).limit(bindparam("limit")))
    return total, rows


def _page(session: Session, listing: tuple[Select, Select], values: dict, page: int) -> QueuePage:
    """One page of a listing, and its total."""
    count, rows = listing
    total = core_scalar(session, count, values) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    found = _rows_from(session, rows, values, page)
    return QueuePage([QueueRow(*row) for row in found], total, page, pages)


def _pending_co(office) -> tuple:
    """An office's co-handling requests still waiting for its reply (the 会办 tab and badge).
    A request stops pending when the complaint is answered (`settled_at`) and pends again when
    it is reopened, so pending requests are those of open complaints: the badge counts them
    from the partial index alone, without reading each complaint."""
    return (CoHandling.department_id == office, CoHandling.replied_at.is_(None),
            CoHandling.settled_at.is_(None))


@dataclass(frozen=True)
class QueueFilter:
    tab: str = "assigned"
    category: str | None = None
    due: str | None = None  # "soon" | "overdue"


# An office's queue statements depend only on the tab and which filters are used; built once
# each, with the office, the filters' values and the time bound (building them per view took
# 0.18 ms of a 2.4 ms queue view).
@lru_cache(maxsize=64)
def _office_queue(tab: str, category: bool, due: str | None) -> tuple[Select, tuple, Select]:
    """The tab's statement, its listing (`_listing`), and its page of rows with the tabs' badges
    as columns after the row's (`TAB_BUCKETS` order)."""
    office = bindparam("office_id")
    if tab == "co":
        stmt = (select(Complaint).join(CoHandling, CoHandling.complaint_id == Complaint.id)
                .where(*_pending_co(office))
                .order_by(Complaint.due_at, Complaint.id))
    elif tab == "answered":
        stmt = (select(Complaint)
                .where(Complaint.responsible_department_id == office,
                       Complaint.status.in_(("answered", "closed")))
                .order_by(Complaint.answered_at.desc(), Complaint.id.desc()))
    else:
        stmt = (select(Complaint)
                .where(Complaint.responsible_department_id == office,
                       Complaint.status == tab)
                .order_by(Complaint.due_at, Complaint.id))
    if category:
        stmt = stmt.where(Complaint.category_code == bindparam("category"))
    if due == "overdue":
        stmt = stmt.where(Complaint.due_at <= bindparam("now"))
    elif due == "soon":
        stmt = stmt.where(Complaint.due_at > bindparam("now"), Complaint.due_at <= bindparam("soon"))
    listing = _listing(stmt)
    badges = [bucket_sum(buckets).label(f"badge_{tab_}") for tab_, buckets in TAB_BUCKETS.items()]
    return stmt, listing, listing[1].add_columns(*badges)


def office_queue_stmt(office_id: int, flt: QueueFilter, now: datetime,
                      soon: datetime) -> tuple[Select, dict]:
    """The statement of an office's queue (a tab and its filters) and its values."""
    stmt, _, _ = _office_queue(flt.tab, flt.category is not None, flt.due)
    return stmt, _queue_values(office_id, flt, now, soon)


def _queue_values(office_id: int, flt: QueueFilter, now: datetime, soon: datetime) -> dict:
    values: dict = {"office_id": office_id}
    if flt.category is not None:
        values["category"] = flt.category
    if flt.due is not None:
        values.update(now=now, soon=soon)
    return values


def office_queue(session: Session, office_id: int, flt: QueueFilter, now: datetime,
                 soon: datetime, page: int) -> tuple[QueuePage, dict[str, int]]:
    """One page of an office's queue (a tab and its filters) and the tabs' badges. The badges
    ride in the page's statement (one statement where a view ran two, a round trip fewer on
    PostgreSQL, bench/RESULTS.md); a tab's total is its badge unless a filter narrows the list
    (then the list counts itself). A page past the last one, or an empty tab, reads the badges
    on their own and shows the last page."""
    _, (count, _), rows = _office_queue(flt.tab, flt.category is not None, flt.due)
    values = _queue_values(office_id, flt, now, soon)
    page = max(page, 1)
    found = _rows_from(session, rows, values, page)
    counts = (dict(zip(TAB_BUCKETS, (int(n) for n in found[0][_ROW_WIDTH:]), strict=True))
              if found else tab_counts(session, office_id))
    unfiltered = flt.category is None and flt.due is None
    total = counts[flt.tab] if unfiltered else core_scalar(session, count, values) or 0
    pages = max(1, -(-total // PER_PAGE))
    if not found and page > 1 and total:
        page = pages
        found = _rows_from(session, rows, values, page)
    items = [QueueRow(*row[:_ROW_WIDTH]) for row in found]
    return QueuePage(items, total, min(page, pages), pages), counts


def _rows_from(session: Session, rows: Select, values: dict, page: int) -> list:
    return core_rows(session, rows, {**values, "offset": (page - 1) * PER_PAGE,
                                     "limit": PER_PAGE})


def export_rows(session: Session, stmt: Select, values: dict | None = None,
                limit: int = 50_000):
    """Rows for a CSV export, streamed in id order (no personal data is selected)."""
    return session.scalars(
        stmt.options(joinedload(Complaint.institution), joinedload(Complaint.rule),
                     joinedload(Complaint.responsible_department)).limit(limit),
        values,
    ).unique()


def attention_count(session: Session, office_id: int, now: datetime) -> int:
    """Unsigned or overdue complaints of an office: the number in the navigation."""
    return session.scalar(
        select(func.count()).select_from(Complaint).where(
            Complaint.responsible_department_id == office_id,
            Complaint.status.in_(OPEN_STATUSES),
            (Complaint.status == "assigned") | (Complaint.due_at <= now))) or 0


# The queue_counts buckets each tab's badge counts.
TAB_BUCKETS = {"assigned": ("assigned",), "signed": ("signed",), "co": (CO,),
               "answered": ("answered", "closed")}


def tab_counts(session: Session, office_id: int) -> dict[str, int]:
    """The queue tabs' badges, exact, from the office's trigger-kept counts (no complaint is
    read: the busiest office has 20,000 open and 85,000 answered)."""
    counts = office_counts(session, office_id)
    return {tab: sum(counts.get(bucket, 0) for bucket in buckets)
            for tab, buckets in TAB_BUCKETS.items()}


SUPERVISION_VIEWS = {
    "overdue": "已超期",
    "due_soon": "一个工作日内到期",
    "returned": "退回待改派",
    "extensions": "待审批延期",
    "all": "全部在办",
}


def supervision_list(session: Session, view: str, now: datetime, soon: datetime,
                     office_id: int | None, page: int) -> QueuePage:
    return complaint_list(session, supervision_stmt(view, now, soon, office_id), page)


def complaint_list(session: Session, stmt: Select, page: int) -> QueuePage:
    """One page of a `select(Complaint)` list (its filters and order) and its total."""
    return _page(session, _listing(stmt), {}, page)


def supervision_stmt(view: str, now: datetime, soon: datetime, office_id: int | None):
    """Open complaints of one supervision view (and office), most urgent first."""
    stmt = select(Complaint).where(Complaint.status.in_(OPEN_STATUSES))
    if view == "overdue":
        stmt = stmt.where(Complaint.due_at <= now)
    elif view == "due_soon":
        stmt = stmt.where(Complaint.due_at > now, Complaint.due_at <= soon)
    elif view == "returned":
        stmt = stmt.where(Complaint.status == "returned")
    elif view == "extensions":
        latest = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.id).label("last_id"))
                  .where(ComplaintEvent.kind.in_(
                      ["extension_requested", "extension_approved", "extension_rejected"]))
                  .group_by(ComplaintEvent.complaint_id).subquery())
        pending = (select(latest.c.complaint_id)
                   .join(ComplaintEvent, ComplaintEvent.id == latest.c.last_id)
                   .where(ComplaintEvent.kind == "extension_requested"))
        stmt = stmt.where(Complaint.id.in_(pending))
    if office_id:
        stmt = stmt.where(Complaint.responsible_department_id == office_id)
    return stmt.order_by(Complaint.due_at, Complaint.id)


def overdue_by_office(session: Session, now: datetime) -> list[tuple[Department, int, int]]:
    """(office, open, overdue) for every office with open complaints, most overdue first."""
    overdue = func.sum(case((Complaint.due_at <= now, 1), else_=0))
    rows = session.execute(
        select(Complaint.responsible_department_id, func.count(), overdue)
        .where(Complaint.status.in_(OPEN_STATUSES))
        .group_by(Complaint.responsible_department_id)).all()
    offices = {d.id: d for d in session.scalars(
        select(Department).where(Department.id.in_([r[0] for r in rows])))}
    result = [(offices[r[0]], int(r[1]), int(r[2] or 0)) for r in rows]
    return sorted(result, key=lambda t: (-t[2], -t[1], t[0].id))
