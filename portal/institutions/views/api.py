"""The institutions' JSON API (`/api/v1/institutions` and one institution by id): the same
data and filters as the directory and the page (portal/institutions/views/public.py), and its
OpenAPI description (portal/core/openapi.py serves the whole document)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.backoffice.services.public import PUBLISHED_PROPERTIES
from portal.core.endpoints import Ctx, view
from portal.core.openapi import register
from portal.institutions import vocab
from portal.institutions.forms import ApiPageQuery, parse_directory
from portal.institutions.rules.directory_query import (
    ADMITS,
    MAX_PER_PAGE,
    PER_PAGE,
    SORTS,
    FilterError,
)
from portal.institutions.rules.flags import SEVERITY_LABELS
from portal.institutions.services.credit_status import CREDIT_CHECK_SCHEMA
from portal.institutions.services.directory import Directory
from portal.institutions.services.page import load_page
from portal.institutions.services.page_json import page_json, summary_json
from portal.institutions.services.queries import InstitutionQueries, Origin
from portal.institutions.views.public import gone, institution_id_of, thresholds_of, today_of
from portal.registry.merge import merged_into


def _bad_request(ctx: Ctx, err: FilterError) -> Response:
    return ctx.api_error(400, err.message, err.field)


@view(api=True)
def api_list(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    try:
        query = parse_directory(params, strict=True, default_sort="id")
    except FilterError as err:
        return _bad_request(ctx, err)
    paging = ApiPageQuery(params)
    for field, message in paging.check().items():
        return ctx.api_error(400, message, field)
    page_no, per_page = paging.page.data, paging.per_page.data
    origin = Origin(None)
    if query.sort == "distance" or query.has_point or query.near:
        origin = InstitutionQueries(ctx.db).origin(query)
        if origin.point is None:
            field = "near" if query.near else "lat"
            message = ("按距离排序需要 lat 和 lng（WGS-84 度），或 near（街道编号）"
                       if field == "lat" else origin.problem)
            return ctx.api_error(400, message, field)
    page = Directory(ctx.db).search(query, page_no, today_of(ctx), per_page, origin=origin.point)
    return ctx.json({
        "items": [summary_json(r.institution, r.grade, r.monthly)
                  | ({"distance_km": round(r.km, 2) if r.km is not None else None}
                     if origin.point else {}) for r in page.rows],
        "page": page.page, "pages": page.pages, "per_page": page.per_page, "total": page.total,
    })


@view(api=True)
def api_detail(ctx: Ctx) -> Response:
    page = load_page(ctx.db, institution_id_of(ctx), today_of(ctx), thresholds_of(ctx))
    if page is None:
        if merged_into(ctx.db, institution_id_of(ctx)) is None:
            raise HTTPException(404, "没有这家机构")
        return gone(ctx, "api_institution")  # merged: 301 to the record it became
    return ctx.json(page_json(page))


# Full paths: app.py puts these before Mount("/api/v1"), which 404s the rest of /api/v1.
routes = [
    Route("/api/v1/institutions", api_list, methods=["GET"], name="api_institutions"),
    Route("/api/v1/institutions/{institution_id:int}", api_detail, methods=["GET"],
          name="api_institution"),
]



# --- OpenAPI ----------------------------------------------------------------------------------

_STR_OR_NULL = {"type": ["string", "null"]}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}
_MONEY = {"type": ["string", "null"], "pattern": r"^\d+\.\d{2}$",
          "description": "yuan with 2 decimals, as a string"}
_MONTHLY = {"type": ["object", "null"], "required": ["care_level", "low", "high"], "properties": {
    "care_level": {"enum": [*vocab.CARE_LEVELS, None]}, "low": _MONEY, "high": _MONEY}}
_REF = {"type": ["object", "null"], "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
SUMMARY = {
    "type": "object",
    "required": ["id", "name", "kind", "nature", "filing_status", "district", "street", "address",
                 "beds_total", "beds_vacant", "admits", "medical_integration", "grade",
                 "monthly_fee", "operating_status"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "kind": {"enum": list(vocab.KINDS)}, "nature": {"enum": list(vocab.NATURES)},
        "filing_status": {"enum": list(vocab.FILING_STATUSES)},
        "district": _REF, "street": _REF, "address": {"type": "string"},
        "beds_total": {"type": "integer"}, "beds_vacant": {"type": "integer"},
        "admits": {"type": "object", "required": ["self_care", "mild", "severe"], "properties": {
            k: {"type": "boolean"} for k in ("self_care", "mild", "severe")}},
        "medical_integration": {"type": "boolean"},
        "operating_status": {"enum": list(vocab.OPERATING_STATUSES),
                             "description": "筹建 / 运营 / 暂停服务 / 终止（注销）"},
        "grade": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
        "monthly_fee": {**_MONTHLY, "description": "monthly total for `level` (or across levels)"},
        "location": {"type": ["object", "null"], "required": ["latitude", "longitude", "datum"],
                     "description": "WGS-84 degrees; null when not known",
                     "properties": {"latitude": {"type": "number"},
                                    "longitude": {"type": "number"},
                                    "datum": {"enum": ["WGS-84"]}}},
        "distance_km": {"type": ["number", "null"],
                        "description": "great-circle km from lat/lng or near (only when given); "
                                       "null without coordinates"},
    },
}
_FEE = {"type": "object", "required": ["item", "unit", "price", "pricing_type", "cycle",
                                       "care_level", "effective_from", "effective_to"],
        "properties": {"item": {"type": "string"}, "unit": {"type": "string"}, "price": _MONEY,
                       "pricing_type": {"type": "string"}, "cycle": {"type": "string"},
                       "care_level": _STR_OR_NULL, "effective_from": _DATE_OR_NULL,
                       "effective_to": _DATE_OR_NULL}}
_ARRAY_OF_OBJECTS = {"type": "array", "items": {"type": "object"}}
# 安置 (苏府办〔2021〕248号 二(九); 实施方案（征求意见稿）(七)): elders resettled on a stop.
_RESETTLEMENT = {
    "type": ["object", "null"],
    "required": ["elders_to_resettle", "resettle_to", "resettle_by", "resettled", "resettled_on",
                 "done"],
    "properties": {"elders_to_resettle": {"type": "integer"}, "resettle_to": {"type": "string"},
                   "resettle_by": _DATE_OR_NULL, "resettled": {"type": "integer"},
                   "resettled_on": _DATE_OR_NULL, "done": {"type": "boolean"}},
}
_STATUS_CHANGE = {
    "type": "object",
    "required": ["status", "previous_status", "effective_on", "reason", "resettlement"],
    "properties": {"status": {"enum": list(vocab.OPERATING_STATUSES)},
                   "previous_status": {"enum": list(vocab.OPERATING_STATUSES)},
                   "effective_on": {"type": "string", "format": "date"},
                   "reason": {"type": "string"}, "resettlement": _RESETTLEMENT},
}
OPEN_DAY = {
    "type": "object",
    "required": ["id", "title", "place", "status", "starts_at", "ends_at", "signup_deadline",
                 "capacity", "seats_left"],
    "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "place": {"type": "string"},
        "status": {"type": "string", "enum": ["scheduled", "closed", "held", "cancelled"]},
        "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "signup_deadline": {"type": "string", "format": "date-time"},
        "capacity": {"type": "integer"}, "seats_left": {"type": "integer"},
    },
}
DETAIL = {
    "allOf": [{"$ref": "#/components/schemas/InstitutionSummary"}, {
        "type": "object",
        "required": ["credit_code", "registration", "filing", "deposit", "fees", "fee_history",
                     "monthly_totals", "resources", "grade_award", "inspections", "penalties",
                     "credit_entries", "complaints", "flags", "completeness", "updated_at",
                     "rules", "credit_commitment", "last_updated", "change_history",
                     "open_days", "credit_check", "operating_status_since", "resettlement",
                     "status_history"],
        "properties": {
            "credit_code": _STR_OR_NULL,
            "registration": {"type": "object"}, "filing": {"type": "object"},
            "deposit": {"type": "object", "required": ["amount", "dedicated_account", "bank"],
                        "properties": {"amount": _MONEY, "dedicated_account": {"type": "boolean"},
                                       "bank": {"type": "string"}}},
            "fees": {"type": "array", "items": _FEE},
            "fee_history": {"type": "array", "items": _FEE,
                            "description": "rows no longer in force (effective_to set)"},
            "monthly_totals": {"type": "array", "items": _MONTHLY},
            "resources": {"type": ["object", "null"]},
            "grade_award": {"type": ["object", "null"]},
            "inspections": _ARRAY_OF_OBJECTS, "penalties": _ARRAY_OF_OBJECTS,
            "credit_entries": _ARRAY_OF_OBJECTS,
            "complaints": {"type": "object", "required": ["received_12_months", "on_time_rate"],
                           "properties": {"received_12_months": {"type": "integer"},
                                          "judged": {"type": "integer"},
                                          "answered_on_time": {"type": "integer"},
                                          "on_time_rate": {"type": ["integer", "null"]}}},
            "flags": {"type": "array", "items": {
                "type": "object", "required": ["code", "severity", "title", "detail", "rule"],
                "properties": {"code": {"type": "string"},
                               "severity": {"enum": list(SEVERITY_LABELS)},
                               "title": {"type": "string"}, "detail": {"type": "string"},
                               "rule": {"type": "string"}, "numbers": {"type": "object"}}}},
            "completeness": {"type": "object",
                             "required": ["present", "total", "percent", "missing"],
                             "properties": {"present": {"type": "integer"},
                                            "total": {"type": "integer"},
                                            "percent": {"type": "integer"},
                                            "missing": {"type": "array",
                                                        "items": {"type": "string"}},
                                            "missing_keys": {"type": "array",
                                                             "items": {"type": "string"}}}},
            "updated_at": {"type": ["string", "null"], "format": "date-time"},
            "open_days": {
                "type": "object", "required": ["upcoming", "held"],
                "properties": {"upcoming": {"type": "array", "items": OPEN_DAY},
                               "held": {"type": "array", "items": OPEN_DAY}},
            },
            **PUBLISHED_PROPERTIES,
            "credit_check": CREDIT_CHECK_SCHEMA,
            "operating_status_since": {**_DATE_OR_NULL,
                                       "description": "effective date of the last status change"},
            "resettlement": {**_RESETTLEMENT, "description":
                             "安置 plan and progress of the current suspension or exit"},
            "status_history": {"type": "array", "items": _STATUS_CHANGE,
                               "description": "operating status changes, newest first"},
        },
    }],
}
LIST = {
    "type": "object", "required": ["items", "page", "pages", "per_page", "total"],
    "properties": {"items": {"type": "array",
                             "items": {"$ref": "#/components/schemas/InstitutionSummary"}},
                   "page": {"type": "integer"}, "pages": {"type": "integer"},
                   "per_page": {"type": "integer"}, "total": {"type": "integer"}},
}


def _q(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


def _json_ref(name: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}


register("/api/v1/institutions", {"get": {
    "summary": "The institution directory: the same filters as /institutions/, paginated",
    "parameters": [
        _q("q", "part of the name", {"type": "string", "maxLength": 50}),
        _q("district", "district id", {"type": "integer", "minimum": 1}),
        _q("street", "street id", {"type": "integer", "minimum": 1}),
        _q("kind", "institution kind", {"enum": list(vocab.KINDS)}),
        _q("nature", "nature", {"enum": list(vocab.NATURES)}),
        _q("grade", "latest grade 1–5; 0 = not graded", {"type": "integer", "minimum": 0,
                                                        "maximum": 5}),
        _q("filing", "filing status", {"enum": list(vocab.FILING_STATUSES)}),
        _q("level", "care level for the monthly total", {"enum": list(vocab.CARE_LEVELS)}),
        _q("price_min", "cheapest monthly total ≥ this (yuan)", {"type": "integer", "minimum": 0}),
        _q("price_max", "cheapest monthly total ≤ this (yuan)", {"type": "integer", "minimum": 0}),
        _q("vacant", "only with vacant beds", {"enum": ["1", "0", "true", "false"]}),
        _q("admits", "admits elders with mild or severe disability", {"enum": list(ADMITS)}),
        _q("medical", "only 医养结合", {"enum": ["1", "0", "true", "false"]}),
        _q("closed", "含已终止: also closed (终止/注销) institutions, left out by default",
           {"enum": ["1", "0", "true", "false"]}),
        _q("sort", "id (default, stable), name, grade, price, vacancies or distance (needs "
           "lat and lng, or near; institutions without coordinates last)",
           {"enum": ["id", *SORTS]}),
        _q("lat", "origin latitude, WGS-84 degrees (with lng)",
           {"type": "number", "minimum": -90, "maximum": 90}),
        _q("lng", "origin longitude, WGS-84 degrees (with lat)",
           {"type": "number", "minimum": -180, "maximum": 180}),
        _q("near", "street id whose centroid is the origin (when lat/lng are not given)",
           {"type": "integer", "minimum": 1}),
        _q("page", "1-based", {"type": "integer", "minimum": 1}),
        _q("per_page", f"1–{MAX_PER_PAGE}, default {PER_PAGE}",
           {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    ],
    "responses": {"200": _json_ref("InstitutionList"),
                  "400": _json_ref("Error", "bad filter; `field` names it")},
}}, {"InstitutionSummary": SUMMARY, "InstitutionList": LIST, "InstitutionDetail": DETAIL})
register("/api/v1/institutions/{institution_id}", {"get": {
    "summary": "One institution: every published disclosure, computed flags and completeness",
    "parameters": [{"name": "institution_id", "in": "path", "required": True,
                    "schema": {"type": "integer"}}],
    "responses": {"200": _json_ref("InstitutionDetail"),
                  "301": {"description": "a record merged into another: Location is that one's"},
                  "404": _json_ref("Error")},
}})
