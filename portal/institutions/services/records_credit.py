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
from portal.institutions import vocab
from portal.institutions.models import CreditEntry, FulfilmentAssessment
from portal.institutions.rules.credit import FULFILMENT_RESULTS, refusal_message
from portal.institutions.services.credit_status import credit_status
from portal.institutions.services.records import (
    RecordNotFound,
    _department,
    _done,
    _Form,
    _institution,
    _plain,
    _require_civil_affairs,
    _require_recorder,
    check_reach,
)

# --- credit lists -------------------------------------------------------------------------


def record_credit_entry(db: Session, actor: User, institution_id: int,
                        data: Mapping[str, Any], today: date) -> CreditEntry:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    check_reach(db, actor, "credit", inst, today, list_type=str(data.get("list_type", "")))
    form = _Form(data, today)
    list_type = form.choice("list_type", "名单类型", vocab.CREDIT_LISTS)
    department_id = _department(db, actor, form)
    reason = form.text("reason", "列入事由")
    legal_basis = form.text("legal_basis", "法律依据")
    listed_on = form.date("listed_on", "列入日期", not_future=True)
    expires_on = form.date("expires_on", "有效期至", required=False)
    form.after("expires_on", expires_on, listed_on, "有效期应晚于列入日期")
    repair_status = form.text("repair_status", "信用修复情况", required=False, max_len=40)
    if list_type == "red" and "list_type" not in form.errors:
        settings = get_settings()
        found = credit_status(db, inst.id, today, settings.credit_lookback_days,
                              settings.timezone).blockers
        if found:
            form.errors["list_type"] = refusal_message(found)
    form.check()
    assert department_id is not None
    row = CreditEntry(institution_id=inst.id, list_type=list_type, reason=reason,
                      legal_basis=legal_basis, department_id=department_id, listed_on=listed_on,
                      expires_on=expires_on, repair_status=repair_status,
                      recorded_by_id=actor.id)
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
    form = _Form(data, today)
    removed_on = form.date("removed_on", "移出日期", required=False, not_future=True)
    form.after("removed_on", removed_on, row.listed_on, "移出日期不能早于列入日期",
               strict=False)
    repair_status = form.text("repair_status", "信用修复情况", required=False, max_len=40)
    form.check()
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
    form = _Form(data, today)
    result = form.choice("result", "履约评价", FULFILMENT_RESULTS)
    assessed_on = form.date("assessed_on", "评价日期", not_future=True)
    basis = form.text("basis", "评价依据", max_len=2000)
    department_id = _department(db, actor, form)
    form.check()
    assert department_id is not None
    row = FulfilmentAssessment(institution_id=inst.id, assessed_on=assessed_on, result=result,
                               basis=basis, department_id=department_id,
                               recorded_by_id=actor.id)
    db.add(row)
    db.flush()
    _done(db, actor, "fulfilment.assess", "fulfilment_assessment", row, inst.id, result=result,
          assessed_on=assessed_on, department_id=department_id)
    return row
