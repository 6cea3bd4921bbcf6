"""Department queues and supervision: sign, answer, return, co-handle, extend, supervise."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint, NotAllowed
from complaints.forms import BulkForm, HandlingForm, SupervisionQuery
from complaints.models import CHANNELS, CoHandling, Complaint
from complaints.rules import clock
from complaints.rules.photos import CONTENT_TYPE, may_see_photos
from complaints.rules.presenters import clock_view, office_groups, status_label
from complaints.services.calendar_store import load_calendar
from complaints.services.events import EVENT_LABELS
from complaints.services.filing import build_services, category_labels
from complaints.services.handling import OUTCOMES
from complaints.services.photos import PhotoService
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
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.exports import table_export
from portal.core.privacy import personal_data_kinds, scrub
from portal.orgs.models import Department, District, Street

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


def _load(ctx: Ctx) -> Complaint:
    intake, _ = build_services(ctx.db, ctx.settings)
    complaint = intake.get_for(ctx.user, ctx.request.path_params["complaint_id"])
    if complaint is None:
        raise HTTPException(404)
    return complaint


def _detail_context(ctx: Ctx, complaint: Complaint, **extra) -> dict:
    intake, handling = build_services(ctx.db, ctx.settings)
    calendar = intake.calendar
    deadline = clock.compute_deadline(complaint.received_at, complaint.working_days, calendar,
                                      ctx.settings.timezone)
    user: User = ctx.user
    co = ctx.db.scalars(select(CoHandling).where(CoHandling.complaint_id == complaint.id)).all()
    return {
        "c": complaint,
        "clock": clock_view(complaint, calendar, utcnow(), ctx.settings.timezone),
        "explain": clock.explain(deadline) if complaint.extension_days == 0 and complaint.reopened_count == 0 else [],
        "status": status_label(complaint),
        "events": complaint.events,
        "event_labels": EVENT_LABELS,
        "outcomes": OUTCOMES,
        "channels": CHANNELS,
        "co_handlings": co,
        "is_handler": user.role_enum is Role.DEPARTMENT and user.department_id == complaint.responsible_department_id,
        "is_co_office": any(h.department_id == user.department_id and h.replied_at is None for h in co)
        and user.role_enum is Role.DEPARTMENT,
        "is_supervisor": user.role_enum in SUPERVISORS,
        "may_reveal": intake.may_see_personal_data(user, complaint),
        "photos": PhotoService(ctx.db).listed(complaint.id),
        "may_see_photos": may_see_photos(user.role_enum, user.department_id,
                                         complaint.responsible_department_id),
        "pending_extension": handling.pending_extension(complaint),
        # 改派 and 协办 choose among ≈130 offices: grouped by level and district (optgroups).
        "office_groups": office_groups(ctx.db.scalars(
            select(Department).outerjoin(Street, Street.id == Department.street_id)
            .outerjoin(District, District.id == func.coalesce(Department.district_id,
                                                              Street.district_id))
            .options(joinedload(Department.district),
                     joinedload(Department.street).joinedload(Street.district))
            .order_by(District.id.is_not(None), District.code, Department.street_id.is_not(None),
                      Department.id))),
        "done": DONE_NOTICES.get(ctx.request.query_params.get("done", ""), ""),
        "errors": extra.pop("errors", {}),
        "values": extra.pop("values", {}),
        "revealed": extra.pop("revealed", None),
        "personal_data": extra.pop("personal_data", None),
        **extra,
    }


@view(roles=READERS)
def detail(ctx: Ctx) -> Response:
    complaint = _load(ctx)
    return ctx.render("complaints/staff/detail.html", **_detail_context(ctx, complaint))


@view(roles=READERS)
def photo(ctx: Ctx) -> Response:
    """A complaint's photo, to staff who may see it (complaints/rules/photos.py): never cached,
    never served from a public URL."""
    complaint = _load(ctx)  # 404 to whoever may not open the complaint at all
    user: User = ctx.user
    if not may_see_photos(user.role_enum, user.department_id, complaint.responsible_department_id):
        raise HTTPException(403, "照片仅承办部门、热线坐席和督办人员可查看")
    position = ctx.request.path_params["position"]
    data = PhotoService(ctx.db).image(complaint.id, position)
    if data is None:
        raise HTTPException(404)
    return Response(data, media_type=CONTENT_TYPE, headers={
        "cache-control": "private, no-store",
        "content-disposition": f'inline; filename="complaint-{complaint.tracking_no}-{position}.jpg"',
    })


@view(roles=READERS)
def personal_data_hint(ctx: Ctx) -> Response:
    """The live hint under a text being typed (htmx): which personal data it holds."""
    complaint = _load(ctx)
    field = next((f for f in CHECKED_TEXTS if f in ctx.form), "")
    kinds = _personal_data(complaint, ctx.field(field)) if field else []
    return ctx.render("complaints/staff/_personal_data_hint.html", kinds=kinds)


@view(roles=[Role.DEPARTMENT, Role.OPERATOR, Role.SUPERVISOR])
def reveal(ctx: Ctx) -> Response:
    """Show the complainant's contact details; every unmasking is audited."""
    complaint = _load(ctx)
    intake, _ = build_services(ctx.db, ctx.settings)
    try:
        name, phone = intake.reveal_contact(ctx.user, complaint)
    except NotAllowed as exc:
        raise HTTPException(403, exc.message) from None
    ctx.db.commit()
    return ctx.render("complaints/staff/detail.html",
                      **_detail_context(ctx, complaint, revealed={"name": name, "phone": phone}))


# Texts that reach the complainant or other systems (scrubbed there, portal.core.privacy.scrub): the
# one who types them is warned about personal data before they are saved.
CHECKED_TEXTS = ("answer", "reason", "reply", "note")
CONFIRM_FIELD = "confirm_personal_data"


def _personal_data(complaint: Complaint, text: str) -> list[str]:
    return personal_data_kinds(text, [complaint.complainant_name], [complaint.complainant_phone])


def _typed(ctx: Ctx) -> dict[str, str]:
    return {k: v for k, v in ctx.form.items() if isinstance(v, str) and k != "csrf_token"}


# What the detail page confirms after a step (`?done=` on the redirect, shown with role=status).
DONE_NOTICES = {
    "signed": "已签收。请在答复期限内办理并答复。",
    "supervised": "督办已发出：督办意见已记入办理记录，承办部门的待办中该投诉标为“已督办”。",
    "reassigned": "已改派：新的承办部门的待办中已有该投诉，答复期限不变。",
}


def _action(handler: Callable[[Ctx, Complaint], None],
            checked: str | None = None, done: str = "") -> Callable[[Ctx], Response]:
    """A handling step from the detail page; `checked` names its text field, which is checked
    for personal data: found, the form comes back with a warning and a 仍然提交 button that
    submits it as typed (never blocked). `done` names the confirmation shown after it."""
    def run(ctx: Ctx) -> Response:
        complaint = _load(ctx)
        if checked and ctx.field(CONFIRM_FIELD) != "1":
            kinds = _personal_data(complaint, ctx.field(checked))
            if kinds:
                return ctx.render("complaints/staff/detail.html", **_detail_context(
                    ctx, complaint, values=_typed(ctx),
                    personal_data={"field": checked, "kinds": kinds}))
        try:
            handler(ctx, complaint)
        except InvalidComplaint as exc:
            ctx.db.rollback()
            complaint = _load(ctx)
            # What was typed comes back with the message (an answer is long to write again).
            return ctx.render("complaints/staff/detail.html", status_code=400,
                              **_detail_context(ctx, complaint, errors=exc.errors, values=_typed(ctx)))
        except NotAllowed as exc:
            ctx.db.rollback()
            raise HTTPException(409 if ctx.user.role_enum in (*HANDLERS, *SUPERVISORS) else 403,
                                exc.message) from None
        ctx.db.commit()
        return ctx.redirect(ctx.url("staff:detail", complaint_id=complaint.id)
                            + (f"?done={done}" if done else ""))

    run.__name__ = handler.__name__
    return run


def _handling(ctx: Ctx):
    return build_services(ctx.db, ctx.settings)[1]


def _form(ctx: Ctx) -> HandlingForm:
    return HandlingForm(ctx.form)


sign = view(roles=HANDLERS)(_action(lambda ctx, c: _handling(ctx).sign(ctx.user, c),
                                    done="signed"))
answer = view(roles=HANDLERS)(_action(lambda ctx, c: _handling(ctx).answer(
    ctx.user, c, _form(ctx).answer.data, _form(ctx).outcome.data), checked="answer"))
return_ = view(roles=HANDLERS)(_action(lambda ctx, c: _handling(ctx).return_misrouted(
    ctx.user, c, _form(ctx).reason.data), checked="reason"))
extension = view(roles=HANDLERS)(_action(lambda ctx, c: _handling(ctx).request_extension(
    ctx.user, c, _form(ctx).days.data, _form(ctx).reason.data)))
co_request = view(roles=HANDLERS)(_action(lambda ctx, c: _handling(ctx).request_co_handling(
    ctx.user, c, _form(ctx).department_id.data or 0)))
co_reply = view(roles=HANDLERS)(_action(
    lambda ctx, c: _handling(ctx).co_reply(ctx.user, c, _form(ctx).reply.data), checked="reply"))
reassign = view(roles=SUPERVISORS)(_action(lambda ctx, c: _handling(ctx).reassign(
    ctx.user, c, _form(ctx).department_id.data or 0, _form(ctx).reason.data), done="reassigned"))
supervise = view(roles=SUPERVISORS)(_action(
    lambda ctx, c: _handling(ctx).supervise(ctx.user, c, _form(ctx).note.data), checked="note",
    done="supervised"))
decide_extension = view(roles=SUPERVISORS)(_action(lambda ctx, c: _handling(ctx).decide_extension(
    ctx.user, c, _form(ctx).decision.data == "approve", _form(ctx).note.data)))

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
    Route("/complaints/{complaint_id:int}", detail, methods=["GET"], name="detail"),
    Route("/complaints/{complaint_id:int}/photos/{position:int}.jpg", photo, methods=["GET"],
          name="photo"),
    Route("/complaints/{complaint_id:int}/reveal", reveal, methods=["POST"], name="reveal"),
    Route("/complaints/{complaint_id:int}/personal-data", personal_data_hint, methods=["POST"],
          name="personal_data_hint"),
    Route("/complaints/{complaint_id:int}/sign", sign, methods=["POST"], name="sign"),
    Route("/complaints/{complaint_id:int}/answer", answer, methods=["POST"], name="answer"),
    Route("/complaints/{complaint_id:int}/return", return_, methods=["POST"], name="return"),
    Route("/complaints/{complaint_id:int}/extension", extension, methods=["POST"], name="extension"),
    Route("/complaints/{complaint_id:int}/co-reply", co_reply, methods=["POST"], name="co_reply"),
    Route("/complaints/{complaint_id:int}/co-request", co_request, methods=["POST"], name="co_request"),
    Route("/complaints/{complaint_id:int}/reassign", reassign, methods=["POST"], name="reassign"),
    Route("/complaints/{complaint_id:int}/supervise", supervise, methods=["POST"], name="supervise"),
    Route("/complaints/{complaint_id:int}/extension-decision", decide_extension, methods=["POST"],
          name="decide_extension"),
]
