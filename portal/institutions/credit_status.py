"""An institution's credit status for the public page, the red list and red-list entry: the
latest 履约评价 of civil affairs and the credit blockers of `portal.institutions.credit`.

Loads the rows behind the rules for several institutions at once (a page of the red list), a
few statements whatever the number, and hands them to the pure rules with the caller's `today`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from complaints.models import Complaint
from portal.institutions.credit import (
    SUBSTANTIATED,
    AssessmentFact,
    Blocker,
    ComplaintFact,
    CreditFacts,
    PenaltyFact,
    RectificationFact,
    blockers,
    latest_assessment,
)
from portal.institutions.models import (
    CreditEntry,
    FulfilmentAssessment,
    Inspection,
    Penalty,
)
from portal.orgs.models import Department


@dataclass(frozen=True)
class CreditStatus:
    """What the public sees of an institution's credit on a date."""

    assessment: AssessmentFact | None = None  # the 履约评价 in force; None: 尚未评价
    blockers: list[Blocker] = field(default_factory=list)
    red_listed: bool = False  # a red-list entry in force on the date
    lookback_days: int = 365

    @property
    def flagged_red(self) -> bool:
        """On the red list although something now stands against it (history is kept)."""
        return self.red_listed and bool(self.blockers)


def credit_facts(db: Session, ids: Collection[int], today: date, lookback_days: int,
                 tz: ZoneInfo) -> dict[int, CreditFacts]:
    """The rows the blockers read, per institution (absent ids: no rows)."""
    if not ids:
        return {}
    since = today - timedelta(days=lookback_days)
    parts: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for i, dept in db.execute(
        select(Inspection, Department.name).join(Department,
                                                 Department.id == Inspection.department_id)
        .where(Inspection.institution_id.in_(ids),
               Inspection.rectification_status.in_(("pending", "overdue")))
    ):
        parts[i.institution_id]["rectifications"].append(RectificationFact(
            i.inspected_on, i.rectification_status, i.rectification_deadline, dept))
    for p, dept in db.execute(
        select(Penalty, Department.name).join(Department, Department.id == Penalty.department_id)
        .where(Penalty.institution_id.in_(ids), Penalty.decided_on > since,
               Penalty.decided_on <= today)
    ):
        parts[p.institution_id]["penalties"].append(PenaltyFact(p.decided_on, p.decision_no, dept))
    # A day's slack before `since`: the local date is worked out below.
    start = datetime.combine(since - timedelta(days=1), time(), tz)
    for institution_id, answered_at, outcome in db.execute(
        select(Complaint.institution_id, Complaint.answered_at, Complaint.outcome)
        .where(Complaint.institution_id.in_(ids), Complaint.outcome.in_(tuple(SUBSTANTIATED)),
               Complaint.answered_at >= start)
    ):
        parts[institution_id]["complaints"].append(
            ComplaintFact(answered_at.astimezone(tz).date(), outcome))
    for a, dept in db.execute(
        select(FulfilmentAssessment, Department.name)
        .join(Department, Department.id == FulfilmentAssessment.department_id)
        .where(FulfilmentAssessment.institution_id.in_(ids))
    ):
        parts[a.institution_id]["assessments"].append(
            AssessmentFact(a.assessed_on, a.result, a.basis, dept, a.id))
    return {k: CreditFacts(**{name: tuple(rows) for name, rows in v.items()})
            for k, v in parts.items()}


def red_listed_ids(db: Session, ids: Collection[int], today: date) -> set[int]:
    """Those of `ids` with a red-list entry in force (not removed, not expired) on `today`."""
    if not ids:
        return set()
    return set(db.scalars(select(CreditEntry.institution_id).where(
        CreditEntry.institution_id.in_(ids), CreditEntry.list_type == "red",
        CreditEntry.removed_on.is_(None),
        or_(CreditEntry.expires_on.is_(None), CreditEntry.expires_on >= today))))


def credit_statuses(db: Session, ids: Collection[int], today: date, lookback_days: int,
                    tz: ZoneInfo, red: set[int] | None = None) -> dict[int, CreditStatus]:
    """Each institution's status; `red`: the red-listed among them when the caller knows."""
    facts = credit_facts(db, ids, today, lookback_days, tz)
    red = red_listed_ids(db, ids, today) if red is None else red
    out = {}
    for institution_id in ids:
        f = facts.get(institution_id, CreditFacts())
        out[institution_id] = CreditStatus(
            assessment=latest_assessment(a for a in f.assessments if a.assessed_on <= today),
            blockers=blockers(f, today, lookback_days), red_listed=institution_id in red,
            lookback_days=lookback_days)
    return out


def credit_status(db: Session, institution_id: int, today: date, lookback_days: int,
                  tz: ZoneInfo) -> CreditStatus:
    return credit_statuses(db, [institution_id], today, lookback_days, tz)[institution_id]


def status_json(s: CreditStatus) -> dict[str, Any]:
    a = s.assessment
    return {
        "fulfilment_assessment": None if a is None else {
            "result": a.result, "label": a.label, "assessed_on": a.assessed_on.isoformat(),
            "assessed_by": a.department, "basis": a.basis},
        "red_listed": s.red_listed,
        "lookback_days": s.lookback_days,
        "blockers": [{"code": b.code, "severity": b.severity, "title": b.title,
                      "detail": b.detail, "rule": b.rule} for b in s.blockers],
    }


CREDIT_CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "守信激励核查: civil affairs' latest 履约评价 and what keeps the institution "
                   "off the red list (portal/institutions/credit.py)",
    "required": ["fulfilment_assessment", "red_listed", "lookback_days", "blockers"],
    "properties": {
        "fulfilment_assessment": {
            "type": ["object", "null"], "description": "null: 尚未评价",
            "required": ["result", "label", "assessed_on", "assessed_by", "basis"],
            "properties": {"result": {"enum": ["kept", "breach", "serious_breach"]},
                           "label": {"type": "string"},
                           "assessed_on": {"type": "string", "format": "date"},
                           "assessed_by": {"type": "string",
                                           "description": "the department, never a person"},
                           "basis": {"type": "string"}}},
        "red_listed": {"type": "boolean"},
        "lookback_days": {"type": "integer"},
        "blockers": {"type": "array", "items": {
            "type": "object", "required": ["code", "severity", "title", "detail", "rule"],
            "properties": {"code": {"type": "string"},
                           "severity": {"enum": ["serious", "warning"]},
                           "title": {"type": "string"}, "detail": {"type": "string"},
                           "rule": {"type": "string"}}}},
    },
}
