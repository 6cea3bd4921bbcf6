"""One complaint as its handlers see it: the page, its photos and the complainant's contact,
and what they do with it: sign, answer, return, co-handle, extend, reassign, supervise. The
lists (a department's queue, supervision, a district's streets) are complaints/views/queues.py."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint, NotAllowed
from complaints.forms import HandlingForm
from complaints.models import CHANNELS, CoHandling, Complaint
from complaints.rules import clock
from complaints.rules.photos import CONTENT_TYPE, may_see_photos
from complaints.rules.presenters import clock_view, office_groups, status_label
from complaints.services.events import EVENT_LABELS
from complaints.services.filing import build_services
from complaints.services.handling import OUTCOMES
from complaints.services.photos import PhotoService
from complaints.views.queues import HANDLERS, READERS, SUPERVISORS
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.privacy import personal_data_kinds
from portal.orgs.models import Department, District, Street


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
