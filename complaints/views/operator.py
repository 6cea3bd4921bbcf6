"""The hotline operator console: keyboard-first intake of phone calls and 12345 hand-overs."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint
from complaints.forms import (
    OPERATOR_CHANNELS,
    CallerQuery,
    CategoryQuery,
    LinkedQuery,
    OperatorComplaintForm,
)
from complaints.models import CHANNELS, STATUSES, Complaint
from complaints.rules.intake import ComplaintInput, normalise_phone, phone_problem, validate
from complaints.rules.numbers import spoken_groups
from complaints.rules.presenters import clock_view
from complaints.rules.shortcuts import accesskey_chord, known_browser
from complaints.services import suggestions
from complaints.services.calendar_store import load_calendar
from complaints.services.events import add_event
from complaints.services.filing import active_rules, build_services
from complaints.services.operator_queries import (
    DUPLICATE_CALL,
    DuplicateCandidate,
    already_filed,
    caller_history,
    duplicate_candidates,
    linked_call,
)
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.institutions.models import Institution
from portal.institutions.services.queries import InstitutionQueries
from portal.orgs.models import District
from search.services.index import Suggestion

CONSOLE = "complaints/operator/console.html"
FIELDS = (
    "complainant_phone", "complainant_name", "anonymous", "institution_q", "institution_id",
    "unregistered", "place_name", "place_address", "district_id", "description", "category",
    "urgent", "channel", "received_at", "form_key", "confirm_new",
)
# Error keys in the order the fields appear, with the id of the element that gets focus.
FIELD_IDS = {
    "complainant_phone": "f-complainant_phone",
    "complainant_name": "f-complainant_name",
    "institution": "f-institution",
    "place_name": "f-place_name",
    "place_address": "f-place_address",
    "district": "f-district",
    "description": "f-description",
    "category": "f-category",
    "channel": "f-channel-phone",
    "received_at": "f-received_at",
}
# Where the focus may go back to after a duplicate warning: fields the operator types in or
# ticks, never a button (issue 21, item 5: no destructive choice under the Enter key).
RETURN_FOCUS = frozenset({*FIELD_IDS.values(), "f-anonymous", "f-unregistered", "f-urgent",
                          "f-channel-handover"})
WEEKDAYS = "一二三四五六日"


# --- input --------------------------------------------------------------------------------
def _all_errors(ctx: Ctx, inp: ComplaintInput, own: dict[str, str]) -> dict[str, str]:
    """The console's own problems plus the intake checks, so the operator fixes all at once."""
    institution = ctx.db.get(Institution, inp.institution_id) if inp.institution_id else None
    district = ctx.db.get(District, inp.district_id) if inp.district_id else None
    found = validate(
        ComplaintInput(**{**inp.__dict__,
                          "complainant_phone": normalise_phone(inp.complainant_phone)}),
        now=utcnow(), categories=set(active_rules(ctx.db)),
        institution_exists=institution is not None, district_exists=district is not None,
    )
    return {**found, **own}


def _caller_phone(values: dict[str, str]) -> str:
    """The normalised phone number when it is a valid one, else ''."""
    phone = normalise_phone(values.get("complainant_phone", ""))
    return phone if phone and not phone_problem(phone) else ""


def _duplicates(ctx: Ctx, inp: ComplaintInput, values: dict[str, str]) -> list[DuplicateCandidate]:
    return duplicate_candidates(
        ctx.db, now=utcnow(), phone=_caller_phone(values), institution_id=inp.institution_id,
        place_name=inp.place_name, district_id=inp.district_id,
        category_code=inp.category_code,
    )


# --- rendering ----------------------------------------------------------------------------
def _suggestions(rules, description: str) -> list:
    by_code = {r.code: r for r in rules}
    return [by_code[r.code] for r in suggestions.rank(description, rules)]


def _history_context(ctx: Ctx, raw_phone: str) -> dict:
    phone = normalise_phone(raw_phone)
    problem = phone_problem(phone) if phone else None
    return {
        "history_phone": phone,
        "history_problem": problem,
        "history": caller_history(ctx.db, phone) if phone and not problem else [],
        "statuses": STATUSES,
    }


def _matches(ctx: Ctx, values: dict[str, str], search: bool) -> list[Suggestion] | None:
    """The picker's choices: the search results, always including the chosen institution."""
    chosen_id = OperatorComplaintForm(FormData(values)).chosen_institution
    matches = InstitutionQueries(ctx.db).picker_choices(
        values.get("institution_q", ""), chosen_id, index_dir=ctx.settings.index_dir)
    return matches if (matches or search) else None


def _focus(errors: dict[str, str]) -> str:
    for key, element in FIELD_IDS.items():
        if key in errors:
            return element
    return "f-complainant_phone"


def _console(
    ctx: Ctx,
    values: dict[str, str],
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    duplicates: list[DuplicateCandidate] | None = None,
    search: bool = False,
    focus: str | None = None,
    linked: dict | None = None,
    picked: str = "",
) -> Response:
    # The public form's rule of which place problems are worth showing, in the console's order.
    errors = OperatorComplaintForm(FormData(values)).shown_errors(dict(errors or {}),
                                                                  order=tuple(FIELD_IDS))
    if not values.get("form_key"):
        values = {**values, "form_key": secrets.token_urlsafe(16)}
    rules = list(active_rules(ctx.db).values())
    now_local = utcnow().astimezone(ctx.settings.timezone)
    return ctx.render(
        CONSOLE,
        status_code=status,
        values=values,
        errors=errors,
        field_ids=FIELD_IDS,
        focus=focus or _focus(errors),
        duplicates=duplicates or [],
        rules=rules,
        suggestions=_suggestions(rules, values.get("description", "")),
        picked=picked,
        districts=ctx.db.scalars(select(District).order_by(District.id)).all(),
        matches=_matches(ctx, values, search),
        q=values.get("institution_q", ""),
        channels={c: CHANNELS[c] for c in OPERATOR_CHANNELS},
        max_received=now_local.strftime("%Y-%m-%dT%H:%M"),
        linked=linked,
        chord=accesskey_chord(ctx.request.headers.get("user-agent", "")),
        chord_certain=known_browser(ctx.request.headers.get("user-agent", "")),
        **_history_context(ctx, values.get("complainant_phone", "")),
    )


def _due_words(due_local: datetime) -> str:
    return f"{due_local:%Y年%m月%d日}（星期{WEEKDAYS[due_local.weekday()]}）24:00"


# --- endpoints ----------------------------------------------------------------------------
@view(roles=[Role.OPERATOR])
def console(ctx: Ctx) -> Response:
    """The empty form for the next call; ?linked=<event id> confirms a duplicate just linked."""
    linked = None
    linked_id = LinkedQuery(ctx.request.query_params).linked.data
    if linked_id is not None:
        event = linked_call(ctx.db, linked_id, ctx.user.id)
        if event is not None:
            calendar = load_calendar(ctx.db)
            view_ = clock_view(event.complaint, calendar, utcnow(), ctx.settings.timezone)
            linked = {"c": event.complaint, "due_words": _due_words(view_.due_local)}
    return _console(ctx, {"channel": "phone"}, linked=linked)


@view(roles=[Role.OPERATOR])
def file(ctx: Ctx) -> Response:
    """File the call; or redraw the form for the no-JS 查找 and category buttons, or link a duplicate."""
    form = OperatorComplaintForm(ctx.form)
    values = form.texts(*FIELDS)
    picked = form.pick_category.data
    if picked:
        known = picked in active_rules(ctx.db)
        if known:
            values["category"] = picked
        return _console(ctx, values, focus="f-category", picked=picked if known else "")
    if form.action.data == "find":
        return _console(ctx, values, search=True, focus="f-institution")

    received_at, own_errors = form.received(ctx.settings.timezone)
    inp = form.to_operator_input(ctx.user.id, received_at)
    link_to = form.link_to.data
    if link_to:
        # Nothing is filed, so only the choice of complaint matters, not the receipt time.
        return _link_duplicate(ctx, values, inp, link_to)
    # Every field is checked before any duplicate is looked for: a phone number alone is no
    # call to warn about (issue 21, item 5).
    errors = _all_errors(ctx, inp, own_errors)
    if errors:
        return _console(ctx, values, status=400, errors=errors)

    if values["confirm_new"] != "1" and not already_filed(ctx.db, inp.idempotency_key):
        duplicates = _duplicates(ctx, inp, values)
        if duplicates:
            # A warning, not a question under the Enter key: the focus goes back to the field
            # the operator was in (Enter there files again and warns again); linking or filing
            # anyway is a button they must reach on purpose.
            back = form.return_focus.data
            return _console(ctx, values, status=409, duplicates=duplicates,
                            focus=back if back in RETURN_FOCUS else "f-description")

    intake, _ = build_services(ctx.db, ctx.settings)
    try:
        complaint, _created = intake.submit(inp, actor=ctx.user)
    except InvalidComplaint as exc:
        ctx.db.rollback()
        return _console(ctx, values, status=400, errors=exc.errors)
    ctx.db.commit()
    return ctx.redirect(ctx.url("operator:filed", complaint_id=complaint.id))


def _link_duplicate(ctx: Ctx, values: dict[str, str], inp: ComplaintInput, link_to: str) -> Response:
    """Record the call on the open complaint it repeats instead of filing a new one."""
    duplicates = _duplicates(ctx, inp, values)
    target = next((d for d in duplicates if str(d.complaint.id) == link_to), None)
    if target is None:
        return _console(ctx, values, status=409, duplicates=duplicates, errors={
            "duplicate": "所选投诉已办结或已超过 30 天，不能关联；请重新选择，或选择“仍然新建”。"})
    complaint: Complaint = target.complaint
    event = add_event(
        ctx.db, complaint, DUPLICATE_CALL, ctx.user.id,
        department_id=complaint.responsible_department_id,
        public=False,
        note=inp.description.strip()[:4000] or "同一问题再次来电",
        data={"channel": inp.channel, "same_caller": target.same_caller,
              "same_subject": target.same_subject, "urgent": inp.urgent},
    )
    ctx.db.flush()
    event_id = event.id
    ctx.db.commit()
    return ctx.redirect(ctx.url("operator:console") + f"?linked={event_id}")


@view(roles=[Role.OPERATOR])
def caller(ctx: Ctx) -> Response:
    """The caller's earlier complaints: a fragment for htmx, the console with them otherwise.

    The console asks by POST so phone numbers stay out of URLs and access logs; GET ?phone=
    works for links.
    """
    raw = CallerQuery(ctx.request.query_params if ctx.request.method == "GET"
                      else ctx.form).number
    if not ctx.is_htmx:
        return _console(ctx, {"channel": "phone", "complainant_phone": raw},
                        focus="f-complainant_name" if raw else None)
    return ctx.render("complaints/operator/_caller_history.html", **_history_context(ctx, raw))


@view(roles=[Role.OPERATOR])
def suggest_category(ctx: Ctx) -> Response:
    """The category field with up to three categories suggested by the description's words."""
    query = CategoryQuery(ctx.request.query_params if ctx.request.method == "GET" else ctx.form)
    description = query.description.data
    rules = list(active_rules(ctx.db).values())
    known = {r.code for r in rules}
    picked = query.pick_category.data
    chosen = picked if picked in known else query.category.data
    return ctx.render(
        "complaints/operator/_category_suggestions.html",
        rules=rules,
        suggestions=_suggestions(rules, description),
        values={"category": chosen if chosen in known else ""},
        picked=picked if picked in known else "",
        errors={},
        # A suggestion taken: on to the category list, where Enter files the call (the other
        # suggestions, up to three, stay a Shift+Tab away); htmx focuses [autofocus] on a swap.
        focus="f-category" if picked in known else "",
    )


@view(roles=[Role.OPERATOR])
def filed(ctx: Ctx) -> Response:
    """The read-back panel for the operator who filed the complaint (404 for anyone else)."""
    intake, _ = build_services(ctx.db, ctx.settings)
    complaint = intake.get_for(ctx.user, ctx.request.path_params["complaint_id"])
    if complaint is None or complaint.created_by_id != ctx.user.id:
        raise HTTPException(404)
    tz = ctx.settings.timezone
    view_ = clock_view(complaint, intake.calendar, utcnow(), tz)
    number = complaint.tracking_no or ""
    return ctx.render(
        "complaints/operator/filed.html",
        c=complaint,
        clock=view_,
        due_words=_due_words(view_.due_local),
        number_groups=spoken_groups(number),
        co_offices=[h.department.name for h in complaint.co_handlings],
        channel_label=CHANNELS.get(complaint.channel, complaint.channel),
        received_local=complaint.received_at.astimezone(tz),
        filed_late=complaint.received_at < complaint.created_at - timedelta(minutes=5),
        chord=accesskey_chord(ctx.request.headers.get("user-agent", "")),
    )


routes = [
    Route("/", console, methods=["GET"], name="console"),
    Route("/", file, methods=["POST"], name="file"),
    Route("/caller", caller, methods=["GET", "POST"], name="caller"),
    Route("/suggest-category", suggest_category, methods=["GET", "POST"], name="suggest_category"),
    Route("/filed/{complaint_id:int}", filed, methods=["GET"], name="filed"),
]
