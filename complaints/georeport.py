"""Open311 GeoReport v2 documents, pure: which fields of a complaint who may read, the XML
rendering (the specification's default format) and its date parameters.

Element names follow the GeoReport v2 specification: <services><service>…,
<service_definition><attributes><attribute>…<values><value>…, <service_requests><request>…,
<errors><error><code/><description/></error></errors>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

# A list's element is named after its parent: <services><service>, <attributes><attribute>.
ITEM_TAGS = {"services": "service", "service_requests": "request", "errors": "error",
             "attributes": "attribute", "values": "value"}

# What anyone may read of a complaint: its number, category, status, office, district and
# dates. The description, the department's answer (status_notes, meant for the complainant)
# and the address of the institution or private place are read only with an API key whose
# role may open that complaint; names and phone numbers never leave through this API.
PUBLIC_FIELDS = (
    "service_request_id", "status", "service_name", "service_code", "agency_responsible",
    "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "department_type", "district", "detailed_status", "due_provisional",
)
RESTRICTED_FIELDS = ("status_notes", "description", "address", "address_id",
                     "zipcode", "lat", "long", "media_url")

# Dates a request may name: complaints exist from the portal's start and the search window
# (90 days before end_date) must stay a representable date; beyond these a date is refused
# with a 400 that names the parameter instead of overflowing into a 500.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
WINDOW = timedelta(days=90)


class BadParameter(ValueError):
    """A request parameter that cannot be used; the message names it."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


def parse_datetime(name: str, raw: str) -> datetime:
    """A W3C/ISO 8601 date-time with a UTC offset, within EARLIEST..LATEST, in UTC."""
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(name, "not an ISO 8601 date-time (e.g. 2026-12-01T00:00:00+08:00)") from None
    if value.tzinfo is None:
        raise BadParameter(name, "a UTC offset is required (e.g. +08:00 or Z)")
    try:
        in_utc: datetime | None = value.astimezone(UTC)
    except OverflowError:
        in_utc = None
    if in_utc is None or not EARLIEST <= in_utc < LATEST:
        raise BadParameter(name, f"out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} UTC)")
    return in_utc


def search_window(start_raw: str | None, end_raw: str | None, now: datetime) -> tuple[datetime, datetime]:
    """GeoReport's requested_datetime range: end_date defaults to now, start_date to 90 days
    before end_date."""
    end = parse_datetime("end_date", end_raw) if end_raw is not None else now
    start = parse_datetime("start_date", start_raw) if start_raw is not None else end - WINDOW
    return start, end


def request_view(fields: Mapping[str, Any], full: bool) -> dict[str, Any]:
    """The fields of one request as this reader may see them (see PUBLIC_FIELDS)."""
    keep = PUBLIC_FIELDS + RESTRICTED_FIELDS if full else PUBLIC_FIELDS
    return {name: fields[name] for name in keep if name in fields}


# Characters XML 1.0 cannot carry (a description may hold a stray control character).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else NOT_XML.sub("\ufffd", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """A GeoReport v2 XML document: `root` holding a list (of ITEM_TAGS[root]) or a mapping."""
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def errors_xml(status: int, description: str) -> bytes:
    return to_xml("errors", [{"code": status, "description": description}])
