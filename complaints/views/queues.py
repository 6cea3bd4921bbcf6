"""The handlers' lists of complaints: a department's queue (and its badge in the menu, bulk
signing), civil affairs' supervision, a district's complaints by street; each exportable as CSV
or XLSX. One complaint's page and actions are complaints/views/staff.py."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from complaints.forms import BulkForm, SupervisionQuery
from complaints.models import Complaint
from complaints.rules import clock
from complaints.rules.presenters import clock_view, status_label
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import build_services, category_labels
from complaints.services.queues import (
    QUEUE_TABS,
    SUPERVISION_VIEWS,
    QueueFilter,
    QueueRow,
    attention_count,
    export_rows,
    office_queue,
    office_queue_stmt,
    overdue_by_office,
    supervision_list,
    supervision_stmt,
)
from complaints.services.streets import (
    STREET_VIEWS,
    street_complaints,
    street_complaints_stmt,
    street_offices,
    supervised_district,
)
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.exports import table_export
from portal.core.privacy import scrub

# Who works with complaints (complaints/views/staff.py uses the same lists).
HANDLERS = [Role.DEPARTMENT]
SUPERVISORS = [Role.SUPERVISOR, Role.ADMIN]
READERS = [Role.DEPARTMENT, Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR]


def _clocks(ctx: Ctx, complaints: list[QueueRow]) -> dict[int, object]:
    calendar = load_calendar(ctx.db)
    now = utcnow()
    return {c.id: clock_view(c, calendar, now, ctx.settings.timezone) for c in complaints}


def _queue_filter(ctx: Ctx, categories: dict[str, str]) -> QueueFilter:
    params = ctx.request.query_params
    tab = params.get("tab", "assigned")
    category = params.get("category") or None
    due = params.get("due") or None
    return QueueFilter(
        tab=tab if tab in QUEUE_TABS else "assigned",
        category=category if category in categories else None,
        due=due if due in ("soon", "overdue") else None,
    )


def _soon(ctx: Ctx, now) -> object:
    """End of the next working day: "due soon" means ≤ 1 working day left."""
    return clock.compute_deadline(now, 1, load_calendar(ctx.db), ctx.settings.timezone).due_at


@view(roles=HANDLERS)
def queue(ctx: Ctx) -> Response:
    categories = category_labels(ctx.db)
    flt = _queue_filter(ctx, categories)
    office_id = ctx.user.department_id
    now = utcnow()
    # The badges are shown on the full page only (htmx swaps the table).
    page, counts = office_queue(ctx.db, office_id, flt, now, _soon(ctx, now), ctx.page_param())
    template = "complaints/staff/_queue_table.html" if ctx.is_htmx else "complaints/staff/queue.html"
    return ctx.render(
        template, flt=flt, tabs=QUEUE_TABS, counts=counts,
        supervises_streets=not ctx.is_htmx and supervised_district(ctx.user.department) is not None,
        page=page, clocks=_clocks(ctx, page.items), status_label=status_label,
        categories=categories, signed=ctx.request.query_params.get("signed"),
    )


EXPORT_HEADER = ["投诉编号", "被投诉机构", "类别", "承办部门", "状态", "期限状态", "受理时间",
                 "答复期限", "紧急", "已督办", "投诉内容（个人信息已遮蔽）"]


def _export(ctx: Ctx, stmt, stem: str, title: str, values: dict | None = None) -> Response:
    """A complaint list as CSV or XLSX (by the URL's suffix): no names or phone numbers, not
    even inside the description, cells safe from formula injection."""
    now = utcnow()
    calendar = load_calendar(ctx.db)
    tz = ctx.settings.timezone
    rows = []
    for c in export_rows(ctx.db, stmt, values):
        view_ = clock_view(c, calendar, now, tz)
        rows.append([c.tracking_no, c.subject_name, c.rule.label, c.responsible_department.name,
                     status_label(c), view_.label,
                     c.received_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                     view_.due_local.strftime("%Y-%m-%d 24:00"), "是" if c.urgent else "",
                     "是" if c.supervised_at else "",
                     scrub(c.description, [c.complainant_name], [c.complainant_phone])])
    fmt = "xlsx" if ctx.request.url.path.endswith(".xlsx") else "csv"
    return table_export(fmt, stem, EXPORT_HEADER, rows, title)


@view(roles=HANDLERS)
def queue_csv(ctx: Ctx) -> Response:
    """The office's queue (the current tab and filters) as CSV or XLSX."""
    flt = _queue_filter(ctx, category_labels(ctx.db))
    now = utcnow()
    stmt, values = office_queue_stmt(ctx.user.department_id, flt, now, _soon(ctx, now))
    return _export(ctx, stmt, f"queue-{flt.tab}", QUEUE_TABS[flt.tab], values)


@view(roles=HANDLERS)
def queue_attention(ctx: Ctx) -> Response:
    """The navigation badge (htmx polls it): unsigned or overdue complaints of the office."""
    count = attention_count(ctx.db, ctx.user.department_id, utcnow())
    return ctx.render("complaints/staff/_attention.html", count=count)


@view(roles=HANDLERS)
def bulk_sign(ctx: Ctx) -> Response:
    _, handling = build_services(ctx.db, ctx.settings)
    ids = BulkForm(ctx.form).ids.data
    signed = 0
    for complaint in ctx.db.scalars(select(Complaint).where(
            Complaint.id.in_(ids[:200]), Complaint.responsible_department_id == ctx.user.department_id,
            Complaint.status == "assigned")):
        handling.sign(ctx.user, complaint)
        signed += 1
    ctx.db.commit()
    return ctx.redirect(ctx.url("staff:queue") + f"?tab=assigned&signed={signed}")


def _supervision_params(ctx: Ctx) -> tuple[str, int | None]:
    params = ctx.request.query_params
    view_name = params.get("view", "overdue")
    view_name = view_name if view_name in SUPERVISION_VIEWS else "overdue"
    return view_name, SupervisionQuery(params).office.data


@view(roles=SUPERVISORS)
def supervision_export(ctx: Ctx) -> Response:
    """The supervision list (the current view and office) as CSV or XLSX."""
    view_name, office_id = _supervision_params(ctx)
    now = utcnow()
    stmt = supervision_stmt(view_name, now, _soon(ctx, now), office_id)
    return _export(ctx, stmt, f"supervision-{view_name}", SUPERVISION_VIEWS[view_name])


@view(roles=SUPERVISORS)
def supervision(ctx: Ctx) -> Response:
    view_name, office_id = _supervision_params(ctx)
    now = utcnow()
    calendar = load_calendar(ctx.db)
    # "Due soon" is ≤ 1 working day: everything due before the end of the next working day.
    soon = clock.compute_deadline(now, 1, calendar, ctx.settings.timezone).due_at
    page = supervision_list(ctx.db, view_name, now, soon, office_id, ctx.page_param())
    return ctx.render(
        "complaints/staff/supervision.html", view=view_name, views=SUPERVISION_VIEWS, page=page,
        clocks=_clocks(ctx, page.items), offices=overdue_by_office(ctx.db, now),
        office_id=office_id, status_label=status_label,
    )


def _street_params(ctx: Ctx) -> tuple[int, str, int | None]:
    """(district, view, street office) of the streets page; for an office that supervises no
    streets the page does not exist (404)."""
    district_id = supervised_district(ctx.user.department)
    if district_id is None:
        raise HTTPException(404, "只有区县民政部门有“辖区乡镇（街道）投诉”页面。")
    params = ctx.request.query_params
    view_name = params.get("view", "open")
    return (district_id, view_name if view_name in STREET_VIEWS else "open",
            SupervisionQuery(params).office.data)


@view(roles=HANDLERS)
def streets(ctx: Ctx) -> Response:
    """A district's civil affairs over its streets' offices (seed 000 苏州 三(一), seed 001
    (十八)): each street office's queue counts and their complaints."""
    district_id, view_name, office_id = _street_params(ctx)
    offices = street_offices(ctx.db, district_id)
    if office_id is not None and all(o.id != office_id for o in offices):
        office_id = None
    page = street_complaints(ctx.db, district_id, view_name, utcnow(), office_id,
                             ctx.page_param())
    return ctx.render(
        "complaints/staff/streets.html", views=STREET_VIEWS, view=view_name, page=page,
        offices=offices, office_id=office_id, clocks=_clocks(ctx, page.items),
        status_label=status_label, tabs=QUEUE_TABS,
    )


@view(roles=HANDLERS)
def streets_export(ctx: Ctx) -> Response:
    district_id, view_name, office_id = _street_params(ctx)
    if office_id is not None and all(o.id != office_id
                                     for o in street_offices(ctx.db, district_id)):
        office_id = None
    stmt = street_complaints_stmt(district_id, view_name, utcnow(), office_id)
    return _export(ctx, stmt, f"streets-{view_name}", f"乡镇（街道）投诉 {STREET_VIEWS[view_name]}")


routes = [
    Route("/queue", queue, methods=["GET"], name="queue"),
    Route("/queue.csv", queue_csv, methods=["GET"], name="queue_csv"),
    Route("/queue.xlsx", queue_csv, methods=["GET"], name="queue_xlsx"),
    Route("/queue/attention", queue_attention, methods=["GET"], name="queue_attention"),
    Route("/queue/sign", bulk_sign, methods=["POST"], name="bulk_sign"),
    Route("/supervision", supervision, methods=["GET"], name="supervision"),
    Route("/streets", streets, methods=["GET"], name="streets"),
    Route("/streets.csv", streets_export, methods=["GET"], name="streets_csv"),
    Route("/supervision.csv", supervision_export, methods=["GET"], name="supervision_csv"),
    Route("/supervision.xlsx", supervision_export, methods=["GET"], name="supervision_xlsx"),
]
