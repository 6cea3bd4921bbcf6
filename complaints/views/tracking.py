"""The complainant's pages: lookup by number + secret, the tracking page, feedback, and the
one-time SMS code that lets a lookup give feedback (rules in complaints/services/tracking.py).

Two links open the tracking page, both under /complaints/t/<token> (the access log masks the
token): the full link (given on filing online, sent with the answer by SMS) may give feedback;
the status link a lookup gives shows the status and answer, and gives feedback only with a
code sent to the complaint's phone.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response

from complaints.exceptions import InvalidComplaint, NotAllowed, StatusChanged
from complaints.forms import FeedbackForm, TrackForm
from complaints.models import Complaint
from complaints.rules.presenters import clock_view, public_timeline, status_label
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import build_services
from complaints.services.handling import OUTCOMES
from complaints.services.tokens import status_tokens, tracking_tokens
from complaints.services.tracking import CODE_DIGITS, CODE_TTL, TrackingService
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.privacy import mask_phone
from portal.core.ratelimit import allow, client_ip
from portal.core.tokens import TokenInvalid

TRACK_LOOKUPS_PER_HOUR = 30
CODES_PER_ADDRESS_HOUR = 10
CODES_PER_COMPLAINT_DAY = 5
EXPIRED_LINK = "查询链接已过期或不完整。请在“查询投诉”页凭投诉编号和验证信息重新查询。"
NOT_FOUND = "投诉编号或验证信息不正确，请核对后重试。"
WRONG_CODE = "验证码不正确或已失效，请重新获取验证码。"
NO_CODE = "凭编号查询不能直接评价：请打开受理页面或答复短信中的链接评价，或拨打监督电话。"


def _service(ctx: Ctx) -> TrackingService:
    return TrackingService(ctx.db, ctx.settings.secret_key, ctx.settings.hotline)


def _from_token(ctx: Ctx) -> tuple[Complaint, str, bool]:
    """The complaint a link opens, its token, and whether it is the full link."""
    token = ctx.request.path_params["token"]
    for tokens, full in ((tracking_tokens, True), (status_tokens, False)):
        try:
            complaint_id = int(tokens(ctx.settings).loads(token))
        except (TokenInvalid, ValueError):
            continue
        complaint = ctx.db.get(Complaint, complaint_id)
        if complaint is None:
            raise HTTPException(404)
        return complaint, token, full
    raise HTTPException(404, EXPIRED_LINK)


def _page(ctx: Ctx, complaint: Complaint, token: str, full: bool, *, status_code: int = 200,
          error: str = "", errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    calendar = load_calendar(ctx.db)
    query = ctx.request.query_params
    return ctx.render(
        "complaints/tracked.html",
        status_code=status_code,
        c=complaint,
        token=token,
        full=full,
        may_code=not full and _service(ctx).may_send_code(complaint),
        phone_masked=mask_phone(complaint.complainant_phone),
        code_sent=query.get("code") == "sent",
        code_digits=CODE_DIGITS,
        code_minutes=int(CODE_TTL.total_seconds() // 60),
        error=error,
        errors=errors or {},
        values=values or {},
        clock=clock_view(complaint, calendar, utcnow(), ctx.settings.timezone),
        timeline=public_timeline(complaint),
        status=status_label(complaint),
        outcomes=OUTCOMES,
        is_new=query.get("new") == "1",
        link_days=ctx.settings.tracking_link_days,
    )


@view(private=True)
def tracked(ctx: Ctx) -> Response:
    complaint, token, full = _from_token(ctx)
    return _page(ctx, complaint, token, full)


def _tracked_again(ctx: Ctx) -> Response:
    """The tracking page with the feedback as posted (after a failed CSRF check)."""
    complaint, token, full = _from_token(ctx)
    return _page(ctx, complaint, token, full, values=FeedbackForm(ctx.form).texts())


@view(private=True, form_again=_tracked_again)
def feedback(ctx: Ctx) -> Response:
    complaint, token, full = _from_token(ctx)
    form = FeedbackForm(ctx.form)
    problems = form.check()
    if complaint.status != "answered":
        raise HTTPException(400, "投诉尚未答复或已办结，暂不能评价")
    if problems:
        return _page(ctx, complaint, token, full, status_code=400, errors=problems,
                     values=form.texts())
    if not full:
        tracking = _service(ctx)
        if not tracking.may_send_code(complaint):
            return _page(ctx, complaint, token, full, status_code=403, error=NO_CODE)
        if not tracking.use_code(complaint, form.code.data, utcnow()):
            ctx.db.commit()  # the try is counted
            return _page(ctx, complaint, token, full, status_code=400,
                         errors={"code": WRONG_CODE}, values=form.texts("satisfied", "note"))
    _, handling = build_services(ctx.db, ctx.settings)
    try:
        handling.complainant_feedback(complaint, form.satisfied.data, form.note.data)
    except InvalidComplaint as exc:
        raise HTTPException(400, next(iter(exc.errors.values()))) from None
    except StatusChanged:
        # The same feedback posted twice at once: the first one counted; show its result.
        ctx.db.rollback()
        return ctx.redirect(ctx.url("complaints:tracked", token=token))
    except NotAllowed as exc:
        raise HTTPException(400, exc.message) from None
    ctx.db.commit()
    return ctx.redirect(ctx.url("complaints:tracked", token=token))


@view(private=True, form_again=_tracked_again)
def feedback_code(ctx: Ctx) -> Response:
    """Send a one-time code to the complaint's phone (from a status link)."""
    complaint, token, full = _from_token(ctx)
    if not (allow("feedback-code", client_ip(ctx.request), CODES_PER_ADDRESS_HOUR, 3600)
            and allow("feedback-code-complaint", str(complaint.id), CODES_PER_COMPLAINT_DAY,
                      24 * 3600)):
        return _page(ctx, complaint, token, full, status_code=429,
                     error="获取验证码过于频繁，请稍后再试，或拨打监督电话。")
    tracking = _service(ctx)
    if not tracking.may_send_code(complaint):
        return _page(ctx, complaint, token, full, status_code=403, error=NO_CODE)
    if not tracking.send_code(complaint, utcnow()):
        return _page(ctx, complaint, token, full, status_code=429,
                     error="验证码刚刚发送过，请查看短信，1 分钟后可重新获取。")
    ctx.db.commit()
    return ctx.redirect(ctx.url("complaints:tracked", token=token) + "?code=sent")


@view()
def track_form(ctx: Ctx) -> Response:
    return ctx.render("complaints/track.html", values={}, error="")


def _track_again(ctx: Ctx) -> Response:
    """The lookup form with the number as typed (the secret is not shown again)."""
    values = TrackForm(ctx.form).texts("tracking_no")
    return ctx.render("complaints/track.html", values=values, error="")


@view(private=True, form_again=_track_again)
def track_lookup(ctx: Ctx) -> Response:
    form = TrackForm(ctx.form)
    number, secret = form.tracking_no.data, form.secret.data
    values = form.texts("tracking_no")
    if not allow("track", client_ip(ctx.request), TRACK_LOOKUPS_PER_HOUR, 3600):
        return ctx.render("complaints/track.html", status_code=429, values=values,
                          error="查询过于频繁，请一小时后再试。")
    complaint = _service(ctx).lookup(number, secret, utcnow())
    ctx.db.commit()  # the counted guess, a lock and its SMS; or the count cleared
    if complaint is None:
        # Unknown number, wrong secret or a locked complaint: one message for all.
        return ctx.render("complaints/track.html", status_code=400, values=values,
                          error=NOT_FOUND)
    token = status_tokens(ctx.settings).dumps(str(complaint.id))
    return ctx.redirect(ctx.url("complaints:tracked", token=token))
