"""The OpenAPI 3.1 document for the machine APIs (/api/v1 and Open311), served as JSON.

Kept by hand beside the code; tests check that every API route appears here and that real
responses validate against these schemas.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["status", "message"], "properties": {
        "status": {"type": "integer"}, "message": {"type": "string"},
        "field": {"type": "string"}}}},
}
OPEN311_ERROR = {
    "type": "array",
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}},
}
CLOCK = {
    "type": "object",
    "required": ["received_at", "working_days", "due_at", "provisional", "days", "explanation"],
    "properties": {
        "received_at": {"type": "string", "format": "date-time"},
        "working_days": {"type": "integer", "minimum": 1},
        "due_at": {"type": "string", "format": "date-time",
                   "description": "00:00 Asia/Shanghai after the last working day (= 24:00 of it)"},
        "last_working_day": {"type": "string", "format": "date"},
        "provisional": {"type": "boolean",
                        "description": "true when a year in the count has no published schedule"},
        "days": {"type": "array", "items": {"type": "object",
                 "required": ["date", "kind", "counted"],
                 "properties": {
                     "date": {"type": "string", "format": "date"},
                     "kind": {"enum": ["workday", "weekend", "holiday", "makeup_workday"]},
                     "counted": {"type": "boolean"},
                     "count": {"type": ["integer", "null"]},
                     "name": {"type": ["string", "null"]}}}},
        "explanation": {"type": "array", "items": {"type": "string"}},
    },
}
SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "description", "metadata", "type", "group"],
    "properties": {
        "service_code": {"type": "string"}, "service_name": {"type": "string"},
        "description": {"type": "string"}, "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]}, "keywords": {"type": "string"},
        "group": {"type": "string"},
    },
}
SERVICE_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "agency_responsible",
                 "requested_datetime", "expected_datetime", "department_type", "detailed_status",
                 "due_provisional"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": {"type": "string",
                         "description": "the department's answer (with a key that may read it)"},
        "service_name": {"type": "string"},
        "service_code": {"type": "string"},
        "agency_responsible": {"type": "string"},
        "service_notice": {"type": "string"},
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
        "expected_datetime": {"type": "string", "format": "date-time"},
        "description": {"type": "string",
                        "description": "the complainant's account (with a key that may read it)"},
        "address": {"type": ["string", "null"]},
        "address_id": {"type": ["string", "null"]},
        "zipcode": {"type": "null"}, "lat": {"type": "null"}, "long": {"type": "null"},
        "media_url": {"type": "null"},
        "department_type": {"type": "string"},
        "district": {"type": ["string", "null"]},
        "detailed_status": {"enum": ["assigned", "signed", "answered", "returned", "closed"]},
        "due_provisional": {"type": "boolean"},
    },
    "additionalProperties": False,
}
CREATED = {
    "type": "array",
    "items": {"type": "object", "required": ["service_request_id", "agency_responsible",
                                             "expected_datetime"],
              "properties": {"service_request_id": {"type": "string"},
                             "service_notice": {"type": "string"},
                             "account_id": {"type": "null"}, "token": {"type": "null"},
                             "agency_responsible": {"type": "string"},
                             "expected_datetime": {"type": "string", "format": "date-time"}}},
}


READ_ACCESS = (
    "Without an API key only the public fields are returned: service_request_id, service_code, "
    "service_name, status, detailed_status, agency_responsible, department_type, district, "
    "service_notice, due_provisional and the dates. The complainant's description, the "
    "department's answer (status_notes, written for the complainant) and the address are "
    "returned only with a key whose role may open that complaint: supervisors and admins every "
    "complaint, an operator the complaints it filed, department staff those of their office "
    "(responsible or co-handling); other complaints in the same answer keep the public fields. "
    "Complainant names and phone numbers are never returned. A key that is not valid is a 401.")
DATE_RANGE = ("W3C date-time with a UTC offset, from 1970-01-01 to 2200-01-01 UTC; "
              "anything else is a 400 naming the parameter")
XML_FORMAT = ("The same method in XML, GeoReport v2's default format (elements as in the "
              "specification: services/service, service_definition/attributes/attribute, "
              "service_requests/request, errors/error with code and description).")


def xml_paths(paths: dict[str, Any]) -> dict[str, Any]:
    """Each Open311 `.json` path again at `.xml`, answering application/xml."""
    xml = {"application/xml": {"schema": {"type": "string"}}}
    copies: dict[str, Any] = {}
    for path, operations in paths.items():
        if not (path.startswith("/open311/") and path.endswith(".json")):
            continue
        copies[path.removesuffix(".json") + ".xml"] = {
            method: {**operation, "summary": operation["summary"] + " (XML)",
                     "description": XML_FORMAT + " " + operation.get("description", ""),
                     "responses": {status: {"description": answer["description"], "content": xml}
                                   for status, answer in operation["responses"].items()}}
            for method, operation in operations.items()}
    return copies


def _json(schema_ref: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _q(name: str, description: str, required: bool = False, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema or {"type": "string"}}


PATHS: dict[str, Any] = {
    "/api/v1/clock": {"get": {
        "summary": "Due date of a complaint received at a given time (5 working days by default)",
        "parameters": [
            _q("received_at", "ISO 8601 date-time with offset, years 2000–2099", True, {"type": "string", "format": "date-time"}),
            _q("working_days", "1–60, default 5", False, {"type": "integer", "minimum": 1, "maximum": 60}),
        ],
        "responses": {"200": _json("Clock"), "400": _json("Error", "bad input; `field` names it")},
    }},
    "/open311/v2/services.json": {"get": {
        "summary": "Complaint categories (service_code = category code)",
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/Service"}}}}}},
    }},
    "/open311/v2/services/{service_code}.json": {"get": {
        "summary": "Attributes accepted for a category",
        "parameters": [{"name": "service_code", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "OK"}, "404": _json("Open311Error")},
    }},
    "/open311/v2/requests.json": {
        "get": {
            "summary": "Complaints: public fields without a key, more with one",
            "description": READ_ACCESS,
            "security": [{}, {"bearer": []}],
            "parameters": [
                _q("service_request_id", "comma-separated tracking numbers"),
                _q("service_code", "comma-separated category codes"),
                _q("start_date", DATE_RANGE + "; default end_date − 90 days"),
                _q("end_date", DATE_RANGE + "; default now"),
                _q("status", "open or closed", False, {"enum": ["open", "closed"]}),
                _q("api_key", "an API key, as the Authorization header (GeoReport v2 style)"),
            ],
            "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
                "type": "array", "items": {"$ref": "#/components/schemas/ServiceRequest"}}}}},
                "400": _json("Open311Error"), "401": _json("Open311Error", "api_key not valid")},
        },
        "post": {
            "summary": "File a complaint (API key of an operator account required)",
            "security": [{"bearer": []}],
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 60},
                            "description": "a retry with the same key returns the first complaint"}],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["service_code", "description"],
                "properties": {
                    "api_key": {"type": "string"}, "service_code": {"type": "string"},
                    "description": {"type": "string", "minLength": 5, "maxLength": 4000},
                    "attribute[institution_id]": {"type": "integer"},
                    "address_string": {"type": "string"},
                    "attribute[place_name]": {"type": "string"},
                    "attribute[district]": {"type": "integer"},
                    "attribute[urgent]": {"enum": ["true", "false"]},
                    "attribute[received_at]": {"type": "string", "format": "date-time",
                                               "description": "hand-overs: original receipt, ≤ 30 days old; "
                                                              + DATE_RANGE},
                    "received_at": {"type": "string", "format": "date-time",
                                    "description": "same as attribute[received_at]"},
                    "first_name": {"type": "string"}, "last_name": {"type": "string"},
                    "phone": {"type": "string"}}}}}},
            "responses": {"201": _json("Created", "filed"), "200": _json("Created", "repeat of an idempotency key"),
                          "400": _json("Open311Error"), "401": _json("Open311Error"),
                          "403": _json("Open311Error")},
        },
    },
    "/open311/v2/requests/{service_request_id}.json": {"get": {
        "summary": "One complaint by tracking number (public fields without a key)",
        "description": READ_ACCESS,
        "security": [{}, {"bearer": []}],
        "parameters": [{"name": "service_request_id", "in": "path", "required": True, "schema": {"type": "string"}},
                       _q("api_key", "an API key, as the Authorization header")],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/ServiceRequest"}}}}},
            "401": _json("Open311Error", "api_key not valid"), "404": _json("Open311Error")},
    }},
}
PATHS.update(xml_paths(PATHS))

SCHEMAS: dict[str, Any] = {
    "Error": ERROR, "Open311Error": OPEN311_ERROR, "Clock": CLOCK, "Service": SERVICE,
    "ServiceRequest": SERVICE_REQUEST, "Created": CREATED,
}


def register(path: str, operations: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Other packages (search) add their endpoints here at import time."""
    PATHS[path] = operations
    SCHEMAS.update(schemas or {})


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "养老服务监督公开平台 API", "version": "1",
                 "description": "Machine APIs: the complaint clock, search and type-ahead, and "
                                "Open311 GeoReport v2 for other hotline systems (JSON at "
                                "`.json`, XML at `.xml`). Open311 reads without an API key "
                                "return public fields only; see GET /open311/v2/requests.json."},
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "API key from `portal create-api-key`"}}},
    }
