"""Public complaint pages: the online form, tracking by number, feedback; the clock API."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint
from complaints.forms import ClockQuery, ComplaintForm, PhotoForm, PresetQuery
from complaints.rules import clock
from complaints.rules.intake import ComplaintInput
from complaints.rules.photos import ACCEPT_ATTRIBUTE, FORMAT_NAMES, PhotoRefused
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import active_rules, build_services
from complaints.services.photos import PhotoService, photo_limits, prepare
from complaints.services.tokens import tracking_tokens
from complaints.views import categories, tracking
from portal.core.endpoints import Ctx, view
from portal.core.ratelimit import allow, client_ip
from portal.core.security import BODY_CUT
from portal.institutions.services.queries import InstitutionQueries
from portal.orgs.models import District

PUBLIC_FILINGS_PER_HOUR = 10
# Each rendering of the form carries a random nonce; posting it twice files one complaint.
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _form_context(ctx: Ctx, **extra) -> dict:
    values = extra.pop("values", {})
    if not NONCE.match(values.get("form_nonce", "")):
        values = {**values, "form_nonce": secrets.token_urlsafe(16)}
    return {
        "rules": list(active_rules(ctx.db).values()),
        "districts": ctx.db.scalars(select(District).order_by(District.id)).all(),
        "values": values,
        "errors": extra.pop("errors", {}),
        "matches": extra.pop("matches", None),
        "photo_limits": photo_limits(ctx.settings),
        "photo_accept": ACCEPT_ATTRIBUTE,
        "photo_formats": FORMAT_NAMES,
        **extra,
    }


def _choose_again(ctx: Ctx) -> dict[str, str]:
    """The form is shown again, and a browser cannot send files again by itself: when photos
    were sent (or cut off), the summary says plainly that they must be chosen again."""
    sent = len(PhotoForm(ctx.form).chosen)
    if not sent and not getattr(ctx.request.state, BODY_CUT, False):
        return {}
    count = f" {sent} 张" if sent else ""
    return {"photos": f"网页无法保留已选择的{count}照片，请在第 4 项重新选择照片后再提交"}


@view()
def new_form(ctx: Ctx) -> Response:
    preset = PresetQuery(ctx.request.query_params).institution.data
    if preset is not None:
        matches = InstitutionQueries(ctx.db).picker_choices("", preset)
        if matches:
            values = {"institution_id": str(preset), "institution_q": matches[0].name}
            return ctx.render("complaints/new.html", **_form_context(ctx, values=values, matches=matches))
    return ctx.render("complaints/new.html", **_form_context(ctx, values={}))


@view()
def institution_options(ctx: Ctx) -> Response:
    """The picker's choices as radio buttons (htmx type-ahead and the no-JS 查找 button)."""
    q = ctx.request.query_params.get("institution_q", "")
    matches = InstitutionQueries(ctx.db).picker_choices(q, index_dir=ctx.settings.index_dir)
    return ctx.render("complaints/_institution_options.html", matches=matches, values={}, q=q)


def submission_key(csrf_token: str, nonce: str, inp: ComplaintInput) -> str | None:
    """The idempotency key of one posting of the public form (pure).

    Bound to the browser's CSRF token, so a nonce seen elsewhere cannot fetch someone else's
    complaint, and to the content, so going back and changing the form files a new one.
    """
    if not NONCE.match(nonce or "") or not csrf_token:
        return None
    content = repr(sorted({**inp.__dict__, "idempotency_key": None}.items()))
    digest = hashlib.sha256(f"{csrf_token}\0{nonce}\0{content}".encode()).hexdigest()
    return "web:" + digest[:40]


def _choices(ctx: Ctx, form: ComplaintForm):
    return InstitutionQueries(ctx.db).picker_choices(
        form.institution_q.data, form.institution_id.data, index_dir=ctx.settings.index_dir)


def _form_again(ctx: Ctx) -> Response:
    """The form as it was posted (after a failed CSRF check): nothing checked, nothing filed."""
    form = ComplaintForm(ctx.form)
    matches = _choices(ctx, form) if form.institution_q.data or form.institution_id.data else None
    return ctx.render("complaints/new.html", **_form_context(
        ctx, values=form.texts(), matches=matches, errors=_choose_again(ctx)))


def _again_with(ctx: Ctx, form: ComplaintForm, errors: dict[str, str], status: int) -> Response:
    """The form with what was typed and every problem (photos to choose again among them)."""
    matches = _choices(ctx, form) if form.institution_q.data else None
    return ctx.render("complaints/new.html", status_code=status, **_form_context(
        ctx, values=form.texts(), matches=matches,
        errors=form.shown_errors({**_choose_again(ctx), **errors})))


@view(private=True, form_again=_form_again, uploads=True)
def submit(ctx: Ctx) -> Response:
    form = ComplaintForm(ctx.form)
    values = form.texts()
    if form.action.data == "find":
        matches = _choices(ctx, form)
        return ctx.render("complaints/new.html", **_form_context(
            ctx, values=values, matches=matches, errors=_choose_again(ctx)))
    if not allow("complaint", client_ip(ctx.request), PUBLIC_FILINGS_PER_HOUR, 3600):
        return _again_with(ctx, form, {"form": "提交过于频繁，请一小时后再试，或直接拨打监督电话。"},
                           429)
    inp = form.to_input("web")
    # Photos are decoded (up to a second or so) outside any transaction: on SQLite a POST's
    # transaction holds the write lock from its first statement (portal/core/db.py), so the
    # one a signed-in user's session check may have begun is ended first (it wrote nothing).
    ctx.db.rollback()
    try:
        photos = prepare(PhotoForm(ctx.form).chosen, photo_limits(ctx.settings),
                         cut=getattr(ctx.request.state, BODY_CUT, False))
    except PhotoRefused as exc:
        # Nothing is filed; the text comes back with this and any other problem.
        problems = build_services(ctx.db, ctx.settings)[0].problems(inp)
        return _again_with(ctx, form, {**problems, "photos": f"{exc.message}。"
                                       "网页无法保留已选择的照片，请重新选择"}, 400)
    intake, _ = build_services(ctx.db, ctx.settings)
    try:
        key = submission_key(ctx.field("csrf_token"), form.form_nonce.data, inp)
        complaint, created = intake.submit(dataclasses.replace(inp, idempotency_key=key))
    except InvalidComplaint as exc:
        ctx.db.rollback()
        return _again_with(ctx, form, exc.errors, 400)
    if created:
        PhotoService(ctx.db).attach(complaint, photos)
    ctx.db.commit()
    token = tracking_tokens(ctx.settings).dumps(str(complaint.id))
    return ctx.redirect(ctx.url("complaints:tracked", token=token) + "?new=1")


@view(api=True)
def clock_api(ctx: Ctx) -> Response:
    """GET /api/v1/clock?received_at=ISO&working_days=5 — the due date before filing."""
    query = ClockQuery(ctx.request.query_params)
    for field, message in query.check().items():
        return ctx.api_error(400, field=field, message=message)
    received_at, working_days = query.moment, query.working_days.data
    calendar = load_calendar(ctx.db)
    try:
        deadline = clock.compute_deadline(received_at, working_days, calendar, ctx.settings.timezone)
    except (ValueError, OverflowError) as exc:
        return ctx.api_error(400, field="received_at", message=str(exc))
    return ctx.json({
        "received_at": received_at.isoformat(),
        "working_days": deadline.working_days,
        "due_at": deadline.due_at.isoformat(),
        "last_working_day": deadline.last_day.isoformat(),
        "provisional": deadline.provisional,
        "days": [
            {"date": d.day.isoformat(), "kind": str(d.kind), "counted": d.counted,
             "count": d.count if d.counted else None, "name": d.name}
            for d in deadline.days
        ],
        "explanation": clock.explain(deadline),
    })


routes = [
    Route("/new", new_form, methods=["GET"], name="new"),
    Route("/new", submit, methods=["POST"], name="submit"),
    Route("/institution-options", institution_options, methods=["GET"], name="institution_options"),
    Route("/track", tracking.track_form, methods=["GET"], name="track"),
    Route("/track", tracking.track_lookup, methods=["POST"], name="track_lookup"),
    Route("/t/{token}", tracking.tracked, methods=["GET"], name="tracked"),
    Route("/t/{token}/feedback", tracking.feedback, methods=["POST"], name="feedback"),
    Route("/t/{token}/code", tracking.feedback_code, methods=["POST"], name="feedback_code"),
]

@view(api=True)
def openapi_document(ctx: Ctx) -> Response:
    from portal.core.openapi import document

    return ctx.json(document())


api_routes = [
    Route("/clock", clock_api, methods=["GET"], name="clock"),
    Route("/openapi.json", openapi_document, methods=["GET"], name="openapi"),
    *categories.routes,
]
