"""Correcting (更正) and withdrawing (撤销) an inspection or a penalty, with a history.

Records are reviewable and correctable with a history (issue 18 item 5). The recording office
(DEPARTMENT users: their own department's records) or civil affairs supervisors may:

- correct: the same form as the entry; the live row takes the new values and `corrected_at`, the
  old values go into `record_revisions` (action 'correct');
- withdraw, with a reason: the whole row goes into `record_revisions` (action 'withdraw') and
  leaves its table, so nothing public shows it any more; the institution's page notes the
  withdrawal (date, office, reason).

Like `records`, each service checks, writes, audits and enqueues; the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.db import utcnow
from portal.institutions.models import Inspection, Penalty, RecordRevision
from portal.institutions.record_forms import InspectionCorrection, PenaltyCorrection, WithdrawalForm
from portal.institutions.services.records import (
    InvalidRecord,
    RecordNotFound,
    _check,
    _done,
    _may_change,
    _plain,
    _validated,
    check_number_new,
)

MODELS: dict[str, type[Inspection] | type[Penalty]] = {
    "inspection": Inspection, "penalty": Penalty}
MISSING = {"inspection": "没有这条检查记录", "penalty": "没有这条处罚记录"}
# The kept version's fields as the entry page names them (the history shows these only).
FIELD_LABELS: dict[str, str] = {
    "inspected_on": "检查日期", "items_checked": "检查内容", "outcome": "检查结论",
    "findings": "发现问题", "rectification_status": "整改情况",
    "rectification_deadline": "整改期限", "decision_no": "决定书文号", "decided_on": "决定日期",
    "violation": "违法行为", "basis": "处罚依据", "penalty": "处罚内容", "amount": "罚款金额（元）",
    "status": "执行状态", "record_no": "检查文书编号",
}


def snapshot(row: Inspection | Penalty) -> dict[str, Any]:
    """Every column's value, JSON-ready."""
    return {c.key: _plain(getattr(row, c.key)) for c in row.__table__.columns}


def _row(db: Session, actor: User, kind: str, record_id: int) -> Inspection | Penalty:
    row = db.get(MODELS[kind], record_id)
    if row is None:
        raise RecordNotFound(MISSING[kind])
    _may_change(actor, row.department_id)
    return row


def _revision(db: Session, actor: User, kind: str, row: Inspection | Penalty, action: str,
              before: dict[str, Any], reason: str) -> RecordRevision:
    rev = RecordRevision(record_type=kind, record_id=row.id, institution_id=row.institution_id,
                         department_id=row.department_id, action=action, before=before,
                         reason=reason, actor_id=actor.id)
    db.add(rev)
    return rev


def correct(db: Session, actor: User, kind: str, record_id: int, data: Mapping[str, Any],
            today: date) -> Inspection | Penalty:
    row = _row(db, actor, kind, record_id)
    if kind == "inspection":
        form = _validated(InspectionCorrection(data, today=today))
        check_number_new(db, Inspection, form, "record_no", row_id=row.id)
    else:
        form = _validated(PenaltyCorrection(data, today=today))
        check_number_new(db, Penalty, form, "decision_no", row_id=row.id)
    _check(form)
    fields, reason = form.record(), form.reason.data
    before = snapshot(row)
    changed = {k: v for k, v in fields.items() if _plain(v) != before.get(k)}
    if not changed:
        raise InvalidRecord({"reason": "没有修改任何内容，无需更正"})
    for key, value in changed.items():
        setattr(row, key, value)
    row.corrected_at = utcnow()
    _revision(db, actor, kind, row, "correct", before, reason)
    db.flush()
    _done(db, actor, f"{kind}.correct", kind, row, row.institution_id, reason=reason,
          before={k: before.get(k) for k in changed},
          after={k: _plain(v) for k, v in changed.items()})
    return row


def withdraw(db: Session, actor: User, kind: str, record_id: int, data: Mapping[str, Any],
             today: date) -> RecordRevision:
    row = _row(db, actor, kind, record_id)
    form = _validated(WithdrawalForm(data, today=today))
    _check(form)
    reason = form.reason.data
    before = snapshot(row)
    rev = _revision(db, actor, kind, row, "withdraw", before, reason)
    institution_id = row.institution_id
    db.delete(row)
    db.flush()
    _done(db, actor, f"{kind}.withdraw", kind, row, institution_id, revision_id=rev.id,
          reason=reason, before=before)
    return rev


def correct_inspection(db: Session, actor: User, record_id: int, data: Mapping[str, Any],
                       today: date) -> Inspection | Penalty:
    return correct(db, actor, "inspection", record_id, data, today)


def correct_penalty(db: Session, actor: User, record_id: int, data: Mapping[str, Any],
                    today: date) -> Inspection | Penalty:
    return correct(db, actor, "penalty", record_id, data, today)


def withdraw_inspection(db: Session, actor: User, record_id: int, data: Mapping[str, Any],
                        today: date) -> RecordRevision:
    return withdraw(db, actor, "inspection", record_id, data, today)


def withdraw_penalty(db: Session, actor: User, record_id: int, data: Mapping[str, Any],
                     today: date) -> RecordRevision:
    return withdraw(db, actor, "penalty", record_id, data, today)
