"""Creating and editing an institution's registry record in the back office (issue 20, the
registry lifecycle): name, legal person, 统一社会信用代码, 登记 and 备案 (number, date; the
authority follows the nature and the district, as the import has it), kind, nature, beds,
district and street, address, contact.

The form's text goes through the registry import's checks (portal/registry/rules/imports.py
`check_fields`): one rule and one message for a form and a file. A credit code another
institution holds is refused here (the import upserts by it instead). Every change is audited;
the triggers raise the page's records version and keep the directory counts; jobs rebuild the
page and search documents.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.institutions.models import Institution
from portal.institutions.tasks import enqueue_refresh
from portal.registry import services
from portal.registry.exceptions import InvalidEntry
from portal.registry.forms import InstitutionForm
from portal.registry.lifecycle import institution, require_keeper
from portal.registry.rules import imports
from search.rules.pinyin import name_keys
from search.tasks import enqueue_index_update

# The fields the form edits (an institution's own disclosures — admissions, deposit, fees —
# stay with its back office and civil affairs' review of them).
EDITED = ("name", "credit_code", "legal_representative", "registration_no", "registration_date",
          "filing_no", "filing_date", "filing_status", "kind", "nature", "beds_total",
          "beds_vacant", "district_id", "street_id", "address", "phone", "opened_year")
# What a blank optional field stores.
BLANK: dict[str, Any] = {"legal_representative": "", "registration_no": "",
                         "registration_date": None, "filing_no": "", "filing_date": None,
                         "beds_total": 0, "beds_vacant": 0, "street_id": None, "phone": "",
                         "opened_year": None}


def form_values(inst: Institution) -> dict[str, str]:
    """The form's fields as an institution's record fills them."""
    values: dict[str, str] = {}
    for name in EDITED:
        value = getattr(inst, name)
        values[name] = "" if value is None else str(value)
    values["district"] = inst.district.name
    values["street"] = inst.street.name if inst.street else ""
    values.pop("district_id"), values.pop("street_id")
    return values


def checked(db: Session, data: Any, own_id: int | None,
            code_required: bool = True) -> tuple[InstitutionForm, dict[str, Any]]:
    """The form's fields checked (InvalidEntry when any has a problem); an unregistered place
    (portal/registry/places.py) may have no credit code."""
    form = InstitutionForm(data)
    form.validate()
    values, problems = imports.check_fields(
        {name: text for name, text in form.texts().items() if text}, services.places(db))
    if not code_required and not form.credit_code.data:
        problems.pop("credit_code", None)
    code = values.get("credit_code")
    if code and "credit_code" not in problems:
        holder = db.execute(select(Institution.id, Institution.name).where(
            Institution.credit_code == code, Institution.id != (own_id or 0))).first()
        if holder is not None:
            problems["credit_code"] = f"已登记为“{holder.name}”（编号 {holder.id}），请核对"
    for name, message in problems.items():
        if not form.failed(name):
            form.fail(name, message)
    if form.problems:
        raise InvalidEntry(form.problems)
    return form, values


def full_values(values: dict[str, Any]) -> dict[str, Any]:
    """Every edited field: what was typed, the blank value of what was left empty."""
    full = {name: values.get(name, BLANK.get(name)) for name in EDITED}
    if not values.get("filing_status"):
        full["filing_status"] = "filed" if full["filing_no"] else "registered_unfiled"
    return full


def create(db: Session, actor: User, data: Any) -> Institution:
    require_keeper(actor, None)
    form, values = checked(db, data, None)
    full = full_values(values)
    inst = Institution(**{**imports.NEW_DEFAULTS, **full},
                       **name_keys(full["name"]),
                       operating_status=form.operating_status.data or "operating")
    require_keeper(actor, inst)  # a district office registers in its own district
    db.add(inst)
    db.flush()
    audit.record(db, actor.id, "institution.create", "institution", inst.id,
                 values={k: _plain(v) for k, v in full.items()},
                 operating_status=inst.operating_status)
    changed(db, inst.id)
    return inst


def update(db: Session, actor: User, institution_id: int, data: Any) -> dict[str, Any]:
    """Save the edited fields; returns {field: [old, new]} of what changed."""
    inst = institution(db, institution_id)
    require_keeper(actor, inst)
    _form, values = checked(db, data, inst.id)
    full = full_values(values)
    changes = {name: [_plain(getattr(inst, name)), _plain(value)]
               for name, value in full.items() if getattr(inst, name) != value}
    if not changes:
        return {}
    for name, value in full.items():
        setattr(inst, name, value)
    if "name" in changes:
        for column, key in name_keys(inst.name).items():
            setattr(inst, column, key)
    require_keeper(actor, inst)  # and keeps it there
    inst.updated_at = utcnow()
    db.flush()
    audit.record(db, actor.id, "institution.update", "institution", inst.id, changes=changes)
    changed(db, inst.id)
    return changes


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def changed(db: Session, institution_id: int) -> None:
    enqueue_index_update(db, institution_id)
    enqueue_refresh(db, institution_id)
