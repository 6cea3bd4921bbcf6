"""Open-day pages: the public list, calendar, event and sign-up; staff creation and lists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.ratelimit import allow, client_ip
from portal.institutions.models import Institution
from portal.institutions.rules.thresholds import configured_thresholds
from portal.opendays.forms import (
    CodeForm,
    EventForm,
    FeedbackForm,
    ListQuery,
    OverdueQuery,
    SignupForm,
)
from portal.opendays.models import CAPACITY_MAX, HELD, IDENTITIES, PARTY_MAX
from portal.opendays.rules.months import calendar_month, neighbours
from portal.opendays.services.events import (
    AlreadySignedUp,
    InvalidInput,
    OpenDayService,
    SignupRefused,
    WrongCode,
    month_weeks,
)
from portal.opendays.services.signups import (
    ADDRESS_SIGNUPS_PER_HOUR,
    CODE_DIGITS,
    HOLD,
    PHONE_SIGNUPS_PER_DAY,
    validate_signup,
)

CIVIL_AFFAIRS = [Role.SUPERVISOR, Role.ADMIN]


def _service(ctx: Ctx) -> OpenDayService:
    return OpenDayService(ctx.db, ctx.settings.secret_key, ctx.settings.base_url)


def _district(ctx: Ctx) -> int | None:
    return ListQuery(ctx.request.query_params).district.data


# --- the public ---------------------------------------------------------------------------


@view()
def upcoming(ctx: Ctx) -> Response:
    service = _service(ctx)
    district = _district(ctx)
    template = "opendays/_list.html" if ctx.is_htmx else "opendays/index.html"
    return ctx.render(template, events=service.upcoming(utcnow(), district),
                      districts=service.districts(), district=district)


@view()
def month_calendar(ctx: Ctx) -> Response:
    tz = ctx.settings.timezone
    today = utcnow().astimezone(tz).date()
    first = calendar_month(ListQuery(ctx.request.query_params).month.data, today)
    weeks = month_weeks(first.year, first.month)
    start = datetime.combine(weeks[0][0], datetime.min.time(), tz)
    end = datetime.combine(weeks[-1][-1] + timedelta(days=1), datetime.min.time(), tz)
    service = _service(ctx)
    district = _district(ctx)
    by_day: dict[Any, list] = {}
    for event in service.between(start, end, district):
        by_day.setdefault(event.starts_at.astimezone(tz).date(), []).append(event)
    prev_month, next_month = neighbours(first)
    return ctx.render("opendays/calendar.html", weeks=weeks, first=first, by_day=by_day,
                      today=today, prev_month=prev_month, next_month=next_month,
                      districts=service.districts(), district=district)


def _event_page(ctx: Ctx, open_day_id: int, status: int = 200, **extra: Any) -> Response:
    service = _service(ctx)
    event = service.get(open_day_id)
    summary = service.feedback_summary(event.id) if event.status == HELD else None
    now = utcnow()
    open_for_signup = event.status == "scheduled" and event.signup_deadline > now
    return ctx.render(
        "opendays/event.html", status_code=status, event=event, summary=summary,
        open_for_signup=open_for_signup, identities=IDENTITIES, party_max=PARTY_MAX,
        values=extra.pop("values", {}), errors=extra.pop("errors", {}), **extra,
    )


@view()
def event_page(ctx: Ctx) -> Response:
    return _event_page(ctx, ctx.request.path_params["open_day_id"])


def _signup_again(ctx: Ctx) -> Response:
    """The event page with the sign-up as posted (after a failed CSRF check)."""
    values = SignupForm(ctx.form).shown_again()
    return _event_page(ctx, ctx.request.path_params["open_day_id"], values=values)


@view(private=True, form_again=_signup_again)
def sign_up(ctx: Ctx) -> Response:
    open_day_id = ctx.request.path_params["open_day_id"]
    form = SignupForm(ctx.form)
    inp = form.to_input()
    # Forms with mistakes are answered without counting; every complete one counts, so one
    # address cannot hoard seats under many phones (signups.py: ADDRESS_SIGNUPS_PER_HOUR).
    if not validate_signup(inp) and not allow("openday-signup", client_ip(ctx.request),
                                              ADDRESS_SIGNUPS_PER_HOUR, 3600):
        return _event_page(ctx, open_day_id, 429, values=form.shown_again(),
                           errors={"form": "报名过于频繁，请一小时后再试。"})
    service = _service(ctx)
    try:
        signup = service.sign_up(open_day_id, inp, now=utcnow(),
                                 browser=ctx.field("csrf_token"))
    except InvalidInput as exc:
        ctx.db.rollback()
        return _event_page(ctx, open_day_id, 400, values=form.shown_again(), errors=exc.errors)
    except AlreadySignedUp as exc:
        ctx.db.rollback()
        if exc.same_browser:  # the same form posted again: back to the sign-up it made
            token = service.cancel_tokens.dumps(str(exc.signup_id))
            return ctx.redirect(ctx.url("opendays:signup", token=token) + "?new=1")
        return _event_page(ctx, open_day_id, 409, values=form.shown_again(),
                           errors={"form": exc.message})
    except SignupRefused as exc:
        ctx.db.rollback()
        return _event_page(ctx, open_day_id, 409, values=form.shown_again(),
                           errors={"form": exc.message})
    ctx.db.commit()
    token = service.cancel_tokens.dumps(str(signup.id))
    return ctx.redirect(ctx.url("opendays:signup", token=token) + "?new=1")


def _signup_page(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    token = ctx.request.path_params["token"]
    signup = _service(ctx).signup_by_token(token)
    return ctx.render("opendays/signup.html", status_code=status, signup=signup,
                      event=signup.open_day, token=token, now=utcnow(),
                      new=ctx.request.query_params.get("new") == "1",
                      hold_minutes=int(HOLD.total_seconds() // 60), code_digits=CODE_DIGITS,
                      phone_limit=PHONE_SIGNUPS_PER_DAY, errors=extra.pop("errors", {}),
                      values=extra.pop("values", {}), **extra)


def _signup_page_again(ctx: Ctx) -> Response:
    """The sign-up's page with the code as typed (after a failed CSRF check)."""
    return _signup_page(ctx, values=CodeForm(ctx.form).texts())


@view(private=True)
def signup_page(ctx: Ctx) -> Response:
    return _signup_page(ctx)


@view(private=True, form_again=_signup_page_again)
def confirm(ctx: Ctx) -> Response:
    token = ctx.request.path_params["token"]
    try:
        _service(ctx).confirm(token, CodeForm(ctx.form).code.data, now=utcnow())
    except InvalidInput as exc:
        ctx.db.rollback()
        return _signup_page(ctx, 400, errors=exc.errors)
    except WrongCode as exc:
        ctx.db.commit()  # the try is counted (and a lapsed hold released) even so
        return _signup_page(ctx, 400, errors={"code": exc.message})
    except SignupRefused as exc:
        ctx.db.rollback()
        return _signup_page(ctx, 409, notice=exc.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("opendays:signup", token=token) + "?confirmed=1")


@view(private=True, form_again=_signup_page_again)
def cancel(ctx: Ctx) -> Response:
    token = ctx.request.path_params["token"]
    try:
        _service(ctx).cancel(token, now=utcnow())
    except SignupRefused as exc:
        ctx.db.rollback()
        return _signup_page(ctx, 409, notice=exc.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("opendays:signup", token=token) + "?cancelled=1")


def _feedback_page(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    token = ctx.request.path_params["token"]
    signup = _service(ctx).feedback_signup(token)
    return ctx.render("opendays/feedback.html", status_code=status, signup=signup,
                      event=signup.open_day, token=token, errors=extra.pop("errors", {}),
                      values=extra.pop("values", {}), **extra)


def _feedback_again(ctx: Ctx) -> Response:
    """The feedback form as posted (after a failed CSRF check)."""
    return _feedback_page(ctx, values=FeedbackForm(ctx.form).texts())


@view(private=True)
def feedback_form(ctx: Ctx) -> Response:
    return _feedback_page(ctx)


@view(private=True, form_again=_feedback_again)
def feedback(ctx: Ctx) -> Response:
    token = ctx.request.path_params["token"]
    form = FeedbackForm(ctx.form)
    try:
        signup = _service(ctx).give_feedback(token, form.rating.data, form.text.data, now=utcnow())
    except InvalidInput as exc:
        ctx.db.rollback()
        return _feedback_page(ctx, 400, errors=exc.errors, values=form.texts())
    except SignupRefused as exc:
        ctx.db.rollback()
        return _feedback_page(ctx, 409, notice=exc.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("opendays:event", open_day_id=signup.open_day_id)
                        + "?thanks=1")


# --- institution staff --------------------------------------------------------------------


def _new_form(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    return ctx.render("opendays/new.html", status_code=status, capacity_max=CAPACITY_MAX,
                      values=extra.pop("values", {}), errors=extra.pop("errors", {}), **extra)


@view(roles=[Role.INSTITUTION])
def manage(ctx: Ctx) -> Response:
    assert ctx.user is not None
    events = _service(ctx).of_institution(ctx.user.institution_id or 0)
    return ctx.render("opendays/manage.html", events=events,
                      institution=ctx.db.get(Institution, ctx.user.institution_id or 0))


@view(roles=[Role.INSTITUTION])
def new_form(ctx: Ctx) -> Response:
    return _new_form(ctx)


@view(roles=[Role.INSTITUTION])
def create(ctx: Ctx) -> Response:
    assert ctx.user is not None
    form = EventForm(ctx.form)
    try:
        event = _service(ctx).create(form.to_input(), ctx.user, now=utcnow(),
                                     tz=ctx.settings.timezone)
    except InvalidInput as exc:
        ctx.db.rollback()
        return _new_form(ctx, 400, values=form.texts(), errors=exc.errors)
    ctx.db.commit()
    return ctx.redirect(ctx.url("opendays:event", open_day_id=event.id) + "?created=1")


@view(roles=[Role.INSTITUTION, *CIVIL_AFFAIRS])
def signups(ctx: Ctx) -> Response:
    service = _service(ctx)
    assert ctx.user is not None
    event = service.get(ctx.request.path_params["open_day_id"])
    rows = service.signups(event, ctx.user)
    return ctx.render("opendays/signups.html", event=event, signups=rows,
                      summary=service.feedback_summary(event.id))


# --- civil affairs ------------------------------------------------------------------------


@view(roles=CIVIL_AFFAIRS)
def overdue(ctx: Ctx) -> Response:
    configured = configured_thresholds(ctx.settings.check_thresholds).open_day_period_days
    days = OverdueQuery(ctx.request.query_params).days.data or configured
    rows = _service(ctx).overdue_institutions(utcnow(), days)
    return ctx.render("opendays/overdue.html", institutions=rows, days=days)


routes = [
    Route("/", upcoming, methods=["GET"], name="list"),
    Route("/calendar", month_calendar, methods=["GET"], name="calendar"),
    Route("/manage", manage, methods=["GET"], name="manage"),
    Route("/new", new_form, methods=["GET"], name="new"),
    Route("/new", create, methods=["POST"], name="create"),
    Route("/overdue", overdue, methods=["GET"], name="overdue"),
    Route("/{open_day_id:int}", event_page, methods=["GET"], name="event"),
    Route("/{open_day_id:int}/signup", sign_up, methods=["POST"], name="sign_up"),
    Route("/{open_day_id:int}/signups", signups, methods=["GET"], name="signups"),
    Route("/signup/{token}", signup_page, methods=["GET"], name="signup"),
    Route("/signup/{token}/confirm", confirm, methods=["POST"], name="confirm"),
    Route("/signup/{token}/cancel", cancel, methods=["POST"], name="cancel"),
    Route("/feedback/{token}", feedback_form, methods=["GET"], name="feedback_form"),
    Route("/feedback/{token}", feedback, methods=["POST"], name="feedback"),
]
