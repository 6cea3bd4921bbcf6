"""An institution's credit status for the public page, the red list and red-list entry: the
latest 履约评价 of civil affairs and the credit blockers of `portal.institutions.rules.credit`.

Loads the rows behind the rules for several institutions at once (a page of the red list), a
few statements whatever the number, and hands them to the pure rules with the caller's `today`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, bindparam, cast, literal, null, or_, select, union_all
from sqlalchemy.orm import Session

from complaints.models import Complaint
from portal.core.db import UTCDateTime
from portal.core.sqljson import decode_rows, parse_date, parse_utc, rows_json
from portal.institutions.models import (
    CreditEntry,
    FulfilmentAssessment,
    Inspection,
    Penalty,
)
from portal.institutions.rules.credit import (
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


def _dated_records() -> Any:
    """Rectifications not done, penalties of the period, 履约评价 and red-list entries in force,
    and substantiated complaints answered since "start", as rows of one shape (kind,
    institution, day, due, code, ref, department, basis, id, at): one statement for all of them
    (each statement is a round trip, and a page's round trips were most of its time behind
    nginx at 400k), built once with the institutions ("ids", expanding), "penalties_since",
    "today" and "start" bound at execution (`credit_params`). Building it per call took ≈ 2 ms of the 2.6 ms it cost an
    institution page at 400k, where PostgreSQL ran it in 0.17 ms (bench/RESULTS.md, 2026-12-07)."""
    blank, no_date, no_time = literal(""), cast(null(), Date), cast(null(), UTCDateTime())
    ids, since = bindparam("ids", expanding=True), bindparam("penalties_since")
    today = bindparam("today")

    def shaped(kind: str, model: Any, day: Any, *, due: Any = no_date, code: Any = blank,
               ref: Any = blank, basis: Any = blank, dept: Any = Department.name) -> Any:
        return (
            select(literal(kind).label("kind"), model.institution_id.label("institution_id"),
                   day.label("day"), due.label("due"), code.label("code"), ref.label("ref"),
                   dept.label("dept"), basis.label("basis"), model.id.label("id"),
                   no_time.label("at"))
            .select_from(model)
            .join(Department, Department.id == model.department_id)
            .where(model.institution_id.in_(ids))
        )

    i, p, a, e = Inspection, Penalty, FulfilmentAssessment, CreditEntry
    return union_all(
        shaped("rectification", i, i.inspected_on, due=i.rectification_deadline,
               code=i.rectification_status).where(
            i.rectification_status.in_(("pending", "overdue"))),
        shaped("penalty", p, p.decided_on, ref=p.decision_no).where(
            p.decided_on > since, p.decided_on <= today),
        shaped("assessment", a, a.assessed_on, code=a.result, basis=a.basis),
        shaped("red", e, e.listed_on, dept=blank).where(
            e.list_type == "red", e.removed_on.is_(None),
            or_(e.expires_on.is_(None), e.expires_on >= today)),
        # The local date of `at` is worked out in Python ("start" is a day before the period).
        select(literal("complaint"), Complaint.institution_id, no_date, no_date,
               Complaint.outcome, blank, blank, blank, Complaint.id, Complaint.answered_at)
        .where(Complaint.institution_id.in_(ids),
               Complaint.outcome.in_(tuple(SUBSTANTIATED)),
               Complaint.answered_at >= bindparam("start")),
    )


_DATED_RECORDS = _dated_records()
# The same rows of one institution as one JSON column, for the page's statement
# (portal/institutions/services/page_live.py).
CREDIT_JSON = rows_json(_DATED_RECORDS.subquery())


def credit_params(ids: Collection[int], today: date, lookback_days: int,
                  tz: ZoneInfo) -> dict[str, Any]:
    since = today - timedelta(days=lookback_days)
    # A day's slack before the period: the local date of an answer is worked out in Python.
    start = datetime.combine(since - timedelta(days=1), time(), tz)
    return {"ids": list(ids), "penalties_since": since, "today": today, "start": start}


def credit_facts(db: Session, ids: Collection[int], today: date, lookback_days: int,
                 tz: ZoneInfo) -> tuple[dict[int, CreditFacts], set[int]]:
    """The rows the blockers read, per institution (absent ids: no rows), and the ids with a
    red-list entry in force on `today`. One statement whatever the number of ids."""
    if not ids:
        return {}, set()
    rows = db.execute(_DATED_RECORDS, credit_params(ids, today, lookback_days, tz))
    return _collect(rows, tz)


def _collect(rows: Iterable[Any], tz: ZoneInfo) -> tuple[dict[int, CreditFacts], set[int]]:
    parts: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    red: set[int] = set()
    for kind, inst, day, due, code, ref, dept, basis, row_id, at in rows:
        if kind == "complaint":
            parts[inst]["complaints"].append(ComplaintFact(at.astimezone(tz).date(), code))
        elif kind == "rectification":
            parts[inst]["rectifications"].append(RectificationFact(day, code, due, dept))
        elif kind == "penalty":
            parts[inst]["penalties"].append(PenaltyFact(day, ref, dept))
        elif kind == "assessment":
            parts[inst]["assessments"].append(AssessmentFact(day, code, basis, dept, row_id))
        else:
            red.add(inst)
    facts = {k: CreditFacts(**{name: tuple(rows) for name, rows in v.items()})
             for k, v in parts.items()}
    return facts, red


def _status(institution_id: int, facts: dict[int, CreditFacts], red: set[int], today: date,
            lookback_days: int) -> CreditStatus:
    f = facts.get(institution_id, CreditFacts())
    return CreditStatus(
        assessment=latest_assessment(a for a in f.assessments if a.assessed_on <= today),
        blockers=blockers(f, today, lookback_days), red_listed=institution_id in red,
        lookback_days=lookback_days)


def credit_status_from_json(institution_id: int, text: str | None, today: date,
                            lookback_days: int, tz: ZoneInfo) -> CreditStatus:
    """CREDIT_JSON's value (with `credit_params` of [institution_id]) as a status."""
    rows = ((kind, inst, parse_date(day), parse_date(due), code, ref, dept, basis, row_id,
             parse_utc(at))
            for kind, inst, day, due, code, ref, dept, basis, row_id, at in decode_rows(text))
    facts, red = _collect(rows, tz)
    return _status(institution_id, facts, red, today, lookback_days)


def credit_statuses(db: Session, ids: Collection[int], today: date, lookback_days: int,
                    tz: ZoneInfo) -> dict[int, CreditStatus]:
    """Each institution's status on `today`."""
    facts, red = credit_facts(db, ids, today, lookback_days, tz)
    return {i: _status(i, facts, red, today, lookback_days) for i in ids}


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
                   "off the red list (portal/institutions/rules/credit.py)",
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
