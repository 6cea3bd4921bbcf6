"""Public complaint pages: the online form, tracking by number, feedback; the clock API."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from starlette.responses import Response
from starlette.routing import Route

from complaints import clock
from complaints import views_tracking as tracking
from complaints.calendar_store import load_calendar
from complaints.exceptions import InvalidComplaint
from complaints.intake import ComplaintInput
from complaints.services import active_rules, build_services
from complaints.tokens import tracking_tokens
from portal.endpoints import Ctx, view
from portal.institutions.services import InstitutionQueries
from portal.orgs.models import District
from portal.ratelimit import allow, client_ip

PUBLIC_FILINGS_PER_HOUR = 10
CLOCK_YEARS = (2000, 2099)
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
        **extra,
    }


@view()
def new_form(ctx: Ctx) -> Response:
    values = {}
    preset = ctx.request.query_params.get("institution", "")
    if preset.isdigit() and len(preset) < 10:
        matches = InstitutionQueries(ctx.db).picker_choices("", int(preset))
        if matches:
            values = {"institution_id": preset, "institution_q": matches[0].name}
            return ctx.render("complaints/new.html", **_form_context(ctx, values=values, matches=matches))
    return ctx.render("complaints/new.html", **_form_context(ctx, values=values))


@view()
def institution_options(ctx: Ctx) -> Response:
    """The picker's choices as radio buttons (htmx type-ahead and the no-JS 查找 button)."""
    q = ctx.request.query_params.get("institution_q", "")
    matches = InstitutionQueries(ctx.db).picker_choices(q, index_dir=ctx.settings.index_dir)
    return ctx.render("complaints/_institution_options.html", matches=matches, values={}, q=q)


def _values(ctx: Ctx) -> dict[str, str]:
    names = ["institution_q", "institution_id", "place_name", "place_address", "district_id",
             "category", "description", "complainant_name", "complainant_phone", "anonymous",
             "urgent", "unregistered", "form_nonce"]
    return {n: ctx.field(n) for n in names}


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


def _choices(ctx: Ctx, values: dict[str, str]):
    chosen = values.get("institution_id", "")
    return InstitutionQueries(ctx.db).picker_choices(
        values.get("institution_q", ""), int(chosen) if chosen.isdigit() and len(chosen) < 10 else None,
        index_dir=ctx.settings.index_dir)


def input_from_values(values: dict[str, str], channel: str, **extra) -> ComplaintInput:
    unregistered = values.get("unregistered") == "1"
    inst = values.get("institution_id", "")
    district = values.get("district_id", "")
    return ComplaintInput(
        channel=channel,
        category_code=values.get("category", ""),
        description=values.get("description", ""),
        institution_id=int(inst) if inst.isdigit() and len(inst) < 10 and not unregistered else None,
        place_name=values.get("place_name", "") if unregistered else "",
        place_address=values.get("place_address", "") if unregistered else "",
        district_id=int(district) if district.isdigit() and len(district) < 10 else None,
        complainant_name=values.get("complainant_name", ""),
        complainant_phone=values.get("complainant_phone", ""),
        anonymous=values.get("anonymous") == "1",
        urgent=values.get("urgent") == "1",
        **extra,
    )


@view(private=True)
def submit(ctx: Ctx) -> Response:
    values = _values(ctx)
    if ctx.field("action") == "find":
        matches = _choices(ctx, values)
        return ctx.render("complaints/new.html", **_form_context(ctx, values=values, matches=matches))
    if not allow("complaint", client_ip(ctx.request), PUBLIC_FILINGS_PER_HOUR, 3600):
        return ctx.render("complaints/new.html", status_code=429, **_form_context(
            ctx, values=values, errors={"form": "提交过于频繁，请一小时后再试，或直接拨打监督电话。"}))
    intake, _ = build_services(ctx.db, ctx.settings)
    try:
        inp = input_from_values(values, "web")
        key = submission_key(ctx.field("csrf_token"), values["form_nonce"], inp)
        complaint, _ = intake.submit(dataclasses.replace(inp, idempotency_key=key))
    except InvalidComplaint as exc:
        ctx.db.rollback()
        matches = _choices(ctx, values) if values["institution_q"] else None
        return ctx.render("complaints/new.html", status_code=400,
                          **_form_context(ctx, values=values, errors=exc.errors, matches=matches))
    ctx.db.commit()
    token = tracking_tokens(ctx.settings).dumps(str(complaint.id))
    return ctx.redirect(ctx.url("complaints:tracked", token=token) + "?new=1")


@view(api=True)
def clock_api(ctx: Ctx) -> Response:
    """GET /api/v1/clock?received_at=ISO&working_days=5 — the due date before filing."""
    params = ctx.request.query_params
    raw = params.get("received_at", "")
    try:
        received_at = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        return ctx.api_error(400, field="received_at", message="received_at must be an ISO 8601 date-time with offset")
    if received_at.tzinfo is None:
        return ctx.api_error(400, field="received_at", message="received_at needs a UTC offset, e.g. +08:00")
    if not CLOCK_YEARS[0] <= received_at.year <= CLOCK_YEARS[1]:
        # Far dates mean a typing error; before 1901 the zone's offset is not even whole minutes.
        return ctx.api_error(400, field="received_at",
                             message=f"received_at must lie in the years {CLOCK_YEARS[0]}–{CLOCK_YEARS[1]}")
    days_raw = params.get("working_days", "5")
    if not days_raw.isdigit() or not 1 <= int(days_raw) <= clock.MAX_WORKING_DAYS:
        return ctx.api_error(400, field="working_days", message=f"working_days must be 1–{clock.MAX_WORKING_DAYS}")
    calendar = load_calendar(ctx.db)
    try:
        deadline = clock.compute_deadline(received_at, int(days_raw), calendar, ctx.settings.timezone)
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
    from portal.openapi import document

    return ctx.json(document())


api_routes = [
    Route("/clock", clock_api, methods=["GET"], name="clock"),
    Route("/openapi.json", openapi_document, methods=["GET"], name="openapi"),
]
