"""Government entry of an institution's credit records: red/black-list entries and civil
affairs' 履约评价 of the credit commitment. Same contract as `records` (validate, check who may,
stamp, audit, enqueue; the caller commits). The red list refuses an institution with a credit
blocker (portal/institutions/rules/credit.py)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.settings import get_settings
from portal.institutions.models import CreditEntry, FulfilmentAssessment
from portal.institutions.record_forms import AssessmentForm, CreditEntryForm, CreditUpdateForm
from portal.institutions.rules.credit import refusal_message
from portal.institutions.services.credit_status import credit_status
from portal.institutions.services.records import (
    RecordNotFound,
    _check,
    _department,
    _done,
    _institution,
    _plain,
    _require_civil_affairs,
    _require_recorder,
    _validated,
    check_number_new,
    check_reach,
)

# --- credit lists -------------------------------------------------------------------------


def record_credit_entry(db: Session, actor: User, institution_id: int,
                        data: Mapping[str, Any], today: date) -> CreditEntry:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    form = _validated(CreditEntryForm(data, today=today))
    list_type = form.list_type.data
    check_reach(db, actor, "credit", inst, today, list_type=list_type)
    department_id = _department(db, actor, form)
    if list_type == "red" and not form.failed("list_type"):
        settings = get_settings()
        found = credit_status(db, inst.id, today, settings.credit_lookback_days,
                              settings.timezone).blockers
        if found:
            form.fail("list_type", refusal_message(found))
    check_number_new(db, CreditEntry, form, "record_no")
    _check(form)
    reason, legal_basis = form.reason.data, form.legal_basis.data
    listed_on, expires_on = form.listed_on.data, form.expires_on.data
    repair_status = form.repair_status.data
    assert department_id is not None
    row = CreditEntry(institution_id=inst.id, list_type=list_type, reason=reason,
                      legal_basis=legal_basis, department_id=department_id, listed_on=listed_on,
                      expires_on=expires_on, repair_status=repair_status,
                      record_no=form.record_no.data or None, recorded_by_id=actor.id)
    db.add(row)
    db.flush()
    _done(db, actor, "credit.record", "credit_entry", row, inst.id, list_type=list_type,
          listed_on=listed_on, expires_on=expires_on)
    return row


def update_credit_entry(db: Session, actor: User, entry_id: int, data: Mapping[str, Any],
                        today: date) -> CreditEntry:
    _require_civil_affairs(actor, "红黑名单")
    row = db.get(CreditEntry, entry_id)
    if row is None:
        raise RecordNotFound("没有这条名单记录")
    form = _validated(CreditUpdateForm(data, today=today, listed_on=row.listed_on))
    _check(form)
    removed_on, repair_status = form.removed_on.data, form.repair_status.data
    before = {"removed_on": _plain(row.removed_on), "repair_status": row.repair_status}
    row.removed_on, row.repair_status = removed_on, repair_status
    db.flush()
    _done(db, actor, "credit.update", "credit_entry", row, row.institution_id, before=before,
          removed_on=removed_on, repair_status=repair_status)
    return row


# --- 履约评价 of the credit commitment ---------------------------------------------------------


def record_assessment(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                      today: date) -> FulfilmentAssessment:
    """Civil affairs judges how the 信用承诺书 was kept; the record goes into the credit record
    (株洲 实施方案 (一)；昆政办〔2021〕70号 (十四)). Added, never overwritten: the newest shows."""
    _require_civil_affairs(actor, "信用承诺履约评价")
    inst = _institution(db, institution_id)
    form = _validated(AssessmentForm(data, today=today))
    department_id = _department(db, actor, form)
    _check(form)
    result, assessed_on, basis = form.result.data, form.assessed_on.data, form.basis.data
    assert department_id is not None
    row = FulfilmentAssessment(institution_id=inst.id, assessed_on=assessed_on, result=result,
                               basis=basis, department_id=department_id,
                               recorded_by_id=actor.id)
    db.add(row)
    db.flush()
    _done(db, actor, "fulfilment.assess", "fulfilment_assessment", row, inst.id, result=result,
          assessed_on=assessed_on, department_id=department_id)
    return row
