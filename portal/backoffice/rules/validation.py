"""Validating the back-office forms into draft payloads. Pure: no database, no request.

Each `validate_<section>` reads the raw form values with its form (portal/backoffice/forms.py:
each field's rule and Chinese message, the rules between fields) and returns the payload stored
on the draft (JSON-safe: dates as ISO strings, money as "1234.50"), or raises `InvalidDraft` with
the messages keyed by field name. Repeated rows (fees, rules) use fields named `<name>-<row>`;
the rules between rows (no item twice) are here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from portal.backoffice.forms import (
    ADMISSION_FLAGS,
    ELDER_FIELDS,
    STAFF_FIELDS,
    BasicForm,
    CommitmentForm,
    FeeRow,
    ResourcesForm,
    RuleRow,
)
from portal.core.formfields import PortalForm, as_formdata, parse_whole
from portal.institutions import vocab

MAX_ROWS = 200


class InvalidDraft(Exception):
    """The form has problems, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _checked(form: PortalForm) -> None:
    if problems := form.check():
        raise InvalidDraft(problems)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- basic information ------------------------------------------------------------------------


def validate_basic(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    form = BasicForm(data, today=today)
    _checked(form)
    return {
        "credit_code": form.credit_code.data, "address": form.address.data,
        "phone": form.phone.data, "legal_representative": form.legal_representative.data,
        "opened_year": form.opened_year.data, "beds_total": form.beds_total.data,
        "beds_vacant": form.beds_vacant.data,
        **{name: form[name].data for name in ADMISSION_FLAGS},
        "deposit_amount": _money(form.deposit_amount.data),
        "deposit_dedicated_account": form.deposit_dedicated_account.data,
        "deposit_bank": form.deposit_bank.data,
    }


# --- service resources ------------------------------------------------------------------------


def validate_resources(data: Mapping[str, Any], today: date,
                       beds_total: int | None = None, kind: str | None = None) -> dict[str, Any]:
    form = ResourcesForm(data, today=today, beds_total=beds_total, kind=kind)
    _checked(form)
    status = form.fire_status
    doc_no, when = form.fire_approval_doc_no.data, form.fire_approval_date.data
    if status == "not_required":
        doc_no, when = "", None  # nothing was issued
    return {**{name: form[name].data for name in {**STAFF_FIELDS, **ELDER_FIELDS}},
            "video_coverage": form.video_coverage.data,
            "video_retention_days": form.video_retention_days.data,
            "fire_approval_status": status, "fire_approval_doc_no": doc_no,
            "fire_approval_date": _iso(when), "fire_approval": form.fire_approval.data,
            "food_licence": form.food_licence.data,
            "last_fire_drill": _iso(form.last_fire_drill.data),
            "last_emergency_drill": _iso(form.last_emergency_drill.data)}


# --- credit commitment ------------------------------------------------------------------------


def validate_commitment(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    form = CommitmentForm(data, today=today)
    _checked(form)
    return {"signed_on": _iso(form.signed_on.data), "text": form.text.data}


# --- repeated rows: fees and rules ------------------------------------------------------------


def row_count(data: Mapping[str, Any]) -> int:
    raw = data.get("rows")
    return min(parse_whole(raw if isinstance(raw, str) else "", 0, 9999) or 0, MAX_ROWS)


def validate_fees(data: Mapping[str, Any], today: date,
                  known_ids: Collection[int] = ()) -> dict[str, Any]:
    """Rows with an id are current FeeItems (changed, kept or closed); rows without are new;
    blank new rows are ignored."""
    formdata = as_formdata(data)
    items: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    seen: dict[tuple[str, str | None], int] = {}
    for n in range(row_count(data)):
        row = FeeRow(formdata, n, known_ids=known_ids, today=today)
        if row.blank():
            continue
        row.validate()
        item, level = row.item.data, row.care_level.data or None
        if not row.close.data and item:
            key = (item, level)
            if key in seen:
                row.fail("item", f"“{item}”（{vocab.CARE_LEVELS.get(level or '', '不分等级')}）"
                                 f"与第 {seen[key] + 1} 行重复")
            seen.setdefault(key, n)
        problems.update(row.problems)
        if row.new_row_dropped("close"):
            continue
        items.append({"id": row.id.data, "item": item, "unit": row.unit.data,
                      "price": _money(row.price.data), "pricing_type": row.pricing_type.data,
                      "cycle": row.cycle.data, "care_level": level, "close": row.close.data})
    if problems:
        raise InvalidDraft(problems)
    return {"items": items}


def validate_rules(data: Mapping[str, Any], today: date,
                   known_ids: Collection[int] = ()) -> dict[str, Any]:
    formdata = as_formdata(data)
    items: list[dict[str, Any]] = []
    problems: dict[str, str] = {}
    titles: dict[str, int] = {}
    for n in range(row_count(data)):
        row = RuleRow(formdata, n, known_ids=known_ids, today=today)
        if row.blank():
            continue
        row.validate()
        if row.new_row_dropped("remove"):
            continue
        title, remove = row.title.data, row.remove.data
        if title and not remove:
            if title in titles:
                row.fail("title", f"制度名称“{title}”与第 {titles[title] + 1} 行重复")
            titles.setdefault(title, n)
        problems.update(row.problems)
        items.append({"id": row.id.data, "title": title, "body": row.body.data,
                      "effective_on": _iso(row.effective_on.data), "remove": remove})
    if problems:
        raise InvalidDraft(problems)
    return {"items": items}
