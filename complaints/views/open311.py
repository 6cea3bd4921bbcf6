"""Open311 GeoReport v2 for other hotline systems: services, requests, one request, in JSON
and in XML (the specification's default format), each method at `.json` and `.xml`.

`agency_responsible` is the responsible office and `expected_datetime` the answer deadline.
Creating requests needs an API key (`Authorization: Bearer …`, `X-API-Key` or `api_key`).
Reading without a key gives the public fields only (complaints/rules/georeport.py: PUBLIC_FIELDS); with
a key, the description, the answer (status_notes) and the address of the complaints that key's
role may open (complaints/services/filing.py: visible_to). Names and phone numbers are never returned:
the description and the answer reach the handlers as written (may_see_personal_data) and every
other key with personal data masked (portal.core.privacy.scrub).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint
from complaints.forms import Open311RequestForm
from complaints.models import Complaint
from complaints.rules.georeport import (
    BadParameter,
    errors_xml,
    request_view,
    search_window,
    to_xml,
)
from complaints.services.filing import (
    active_rules,
    build_services,
    may_see_personal_data,
    visible_to,
)
from complaints.services.reference import reference
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.privacy import scrub

MAX_LIST = 200
ATTRIBUTES = [
    ("institution_id", "number", "被投诉机构编号（与 place_name 二选一）", False),
    ("place_name", "string", "未登记场所名称", False),
    ("district", "number", "未登记场所所在区县编号", False),
    ("urgent", "singlevaluelist", "是否紧急", False),
    ("received_at", "datetime", "原始受理时间（转办件，ISO 8601 带时区）", False),
]


XML = "application/xml; charset=utf-8"


def _is_xml(ctx: Ctx) -> bool:
    return ctx.request.url.path.endswith(".xml")


def error(ctx: Ctx, status: int, description: str) -> Response:
    if _is_xml(ctx):
        return Response(errors_xml(status, description), status_code=status, media_type=XML)
    return JSONResponse([{"code": status, "description": description}], status_code=status)


def _reply(ctx: Ctx, root: str, data: Any, status_code: int = 200) -> Response:
    """`data` as JSON, or as XML under `root` for a `.xml` path."""
    if _is_xml(ctx):
        return Response(to_xml(root, data), status_code=status_code, media_type=XML)
    return ctx.json(data, status_code=status_code)


def _caller(ctx: Ctx) -> tuple[User | None, bool]:
    """The API key's user (header, form or query `api_key`), and whether a key was presented."""
    if ctx.user is not None:
        return ctx.user, True
    presented = ctx.field("api_key") or ctx.request.query_params.get("api_key", "").strip()
    headers = ctx.request.headers
    presented_in_header = bool(headers.get("authorization", "").lower().startswith("bearer ")
                               or headers.get("x-api-key"))
    if not presented:
        return None, presented_in_header
    return AccountService(ctx.db).api_key_user(presented), True


def _iso(value: datetime | None, tz) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def _as_written(text: str) -> str:
    return text


def _request_fields(c: Complaint, tz, text=_as_written) -> dict:
    """The request's fields, its free texts passed through `text` (scrubbing, or as written)."""
    return {
        "service_request_id": c.tracking_no,
        "status": "closed" if c.status in ("answered", "closed") else "open",
        "status_notes": text(c.answer_text) if c.status in ("answered", "closed") else "",
        "service_name": c.rule.label,
        "service_code": c.category_code,
        "agency_responsible": c.responsible_department.name,
        "service_notice": "暂定期限（该年度节假日未公布）" if c.provisional else "",
        "requested_datetime": _iso(c.received_at, tz),
        "updated_datetime": _iso(c.answered_at or c.signed_at or c.created_at, tz),
        "expected_datetime": _iso(c.due_at, tz),
        "description": text(c.description),
        "address": c.institution.address if c.institution else c.place_address,
        "address_id": str(c.institution_id) if c.institution_id else None,
        # No media_url: a complaint's photos are for staff only, through no API (issue 21).
        "zipcode": None, "lat": None, "long": None, "media_url": None,
        # Extensions beyond GeoReport v2.
        "department_type": c.responsible_department.type_code,
        "district": c.district.name if c.district else None,
        "detailed_status": c.status,
        "due_provisional": c.provisional,
    }


@view(api=True)
def services(ctx: Ctx) -> Response:
    return _reply(ctx, "services", [
        {"service_code": r.code, "service_name": r.label, "description": r.help_text,
         "metadata": True, "type": "realtime", "keywords": ",".join(r.keywords or []),
         "group": "养老服务"}
        for r in active_rules(ctx.db).values()
    ])


@view(api=True)
def service_definition(ctx: Ctx) -> Response:
    code = ctx.request.path_params["code"]
    if code not in active_rules(ctx.db):
        return error(ctx, 404, f"unknown service_code {code}")
    return _reply(ctx, "service_definition", {"service_code": code, "attributes": [
        {"variable": True, "code": name, "datatype": kind, "required": required,
         "datatype_description": "", "order": i + 1, "description": text,
         **({"values": [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}]}
            if kind == "singlevaluelist" else {})}
        for i, (name, kind, text, required) in enumerate(ATTRIBUTES)
    ]})


@view(api=True)
def create(ctx: Ctx) -> Response:
    user, _ = _caller(ctx)
    if user is None:
        return error(ctx, 401, "api_key required")
    if user.role_enum not in (Role.OPERATOR, Role.ADMIN):
        return error(ctx, 403, "this api_key may not create requests")
    if not ctx.request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        return error(ctx, 400, "send application/x-www-form-urlencoded as GeoReport v2 requires")
    form = Open311RequestForm(ctx.form)
    try:
        received_at = form.received()
    except BadParameter as exc:
        return error(ctx, 400, str(exc))
    key = ctx.request.headers.get("idempotency-key") or form.idempotency_key.data or None
    inp = form.to_input(user.id, received_at, key)
    intake, _ = build_services(ctx.db, ctx.settings)
    try:
        complaint, created = intake.submit(inp, actor=user)
    except InvalidComplaint as exc:
        ctx.db.rollback()
        field, message = next(iter(exc.errors.items()))
        return error(ctx, 400, f"{field}: {message}")
    # Before the commit: read after it, it took a transaction of its own (three more round
    # trips on PostgreSQL).
    office = reference(ctx.db).office_names[complaint.responsible_department_id]
    ctx.db.commit()
    tz = ctx.settings.timezone
    return _reply(ctx, "service_requests", [{
        "service_request_id": complaint.tracking_no,
        "service_notice": f"由{office}承办",
        "account_id": None,
        "agency_responsible": office,
        "expected_datetime": _iso(complaint.due_at, tz),
        "token": None,
    }], status_code=201 if created else 200)


def _query(ctx: Ctx):
    return select(Complaint).options(
        joinedload(Complaint.rule), joinedload(Complaint.responsible_department),
        joinedload(Complaint.institution), joinedload(Complaint.district))


def _readable(ctx: Ctx, rows: list[Complaint]) -> tuple[User | None, set[int] | None]:
    """The caller, and the ids among `rows` its key may read in full (None when a key was
    refused)."""
    user, presented = _caller(ctx)
    if user is None:
        return None, None if presented else set()
    clause = visible_to(user)
    if clause is True or clause is False:
        return user, {c.id for c in rows} if clause else set()
    ids = [c.id for c in rows]
    return user, set(ctx.db.scalars(
        select(Complaint.id).where(Complaint.id.in_(ids), clause))) if ids else set()


def _text_for(user: User | None, c: Complaint):
    """How this reader gets the complaint's free texts: as written for its handlers, scrubbed
    for anyone else (a co-handling office, an administrator)."""
    if user is not None and may_see_personal_data(user, c):
        return _as_written
    return lambda text: scrub(text, [c.complainant_name], [c.complainant_phone])


def _requests_reply(ctx: Ctx, rows: list[Complaint]) -> Response:
    user, readable = _readable(ctx, rows)
    if readable is None:
        return error(ctx, 401, "api_key not valid")
    tz = ctx.settings.timezone
    return _reply(ctx, "service_requests", [
        request_view(_request_fields(c, tz, _text_for(user, c)), c.id in readable) for c in rows])


@view(api=True)
def list_requests(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    stmt = _query(ctx)
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        stmt = stmt.where(Complaint.tracking_no.in_(ids[:MAX_LIST]))
    else:
        try:
            start, end = search_window(params.get("start_date"), params.get("end_date"), utcnow())
        except BadParameter as exc:
            return error(ctx, 400, str(exc))
        stmt = stmt.where(Complaint.received_at >= start, Complaint.received_at <= end)
        if params.get("service_code"):
            stmt = stmt.where(Complaint.category_code.in_(params["service_code"].split(",")))
        status = params.get("status")
        if status == "open":
            stmt = stmt.where(Complaint.status.in_(("assigned", "signed", "returned")))
        elif status == "closed":
            stmt = stmt.where(Complaint.status.in_(("answered", "closed")))
        elif status:
            return error(ctx, 400, "status: must be open or closed")
    rows = list(ctx.db.scalars(stmt.order_by(Complaint.received_at.desc()).limit(MAX_LIST)).unique())
    return _requests_reply(ctx, rows)


@view(api=True)
def one_request(ctx: Ctx) -> Response:
    number = ctx.request.path_params["request_id"]
    complaint = ctx.db.scalars(_query(ctx).where(Complaint.tracking_no == number)).first()
    if complaint is None:
        return error(ctx, 404, f"service_request_id {number} not found")
    return _requests_reply(ctx, [complaint])


SUFFIX = {"json": "", "xml": "_xml"}
routes = [
    route
    for fmt in ("json", "xml")
    for route in (
        Route(f"/services.{fmt}", services, methods=["GET"], name="services" + SUFFIX[fmt]),
        Route(f"/services/{{code}}.{fmt}", service_definition, methods=["GET"],
              name="service_definition" + SUFFIX[fmt]),
        Route(f"/requests.{fmt}", list_requests, methods=["GET"], name="requests" + SUFFIX[fmt]),
        Route(f"/requests.{fmt}", create, methods=["POST"], name="create" + SUFFIX[fmt]),
        Route(f"/requests/{{request_id}}.{fmt}", one_request, methods=["GET"], name="request" + SUFFIX[fmt]),
    )
]
