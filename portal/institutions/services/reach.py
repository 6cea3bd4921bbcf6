"""The records' jurisdiction check against the database: gathers the user's office, the
co-handling requests and penalties of that office about the institution, and asks the pure rule
(portal/institutions/rules/jurisdiction.py). A refused attempt is logged and audited."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import CoHandling, Complaint
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core import audit
from portal.core.settings import get_settings
from portal.institutions.models import Institution, Penalty
from portal.institutions.rules.jurisdiction import KINDS, Decision, Office, co_handling_open, decide
from portal.orgs.models import Department

log = logging.getLogger(__name__)


def office_of(actor: User) -> Office | None:
    dept = actor.department
    return None if dept is None else _office(dept)


def _office(dept: Department) -> Office:
    """The office as the rule sees it: a street office (district_id NULL) works in its street's
    district, never city-wide."""
    return Office(dept.type_code, dept.office_district_id)


def _local(value: datetime | None, tz: ZoneInfo) -> date | None:
    return None if value is None else value.astimezone(tz).date()


def co_handling(db: Session, department_id: int | None, institution_id: int, today: date) -> bool:
    """Has the office an open co-handling request about a complaint on this institution?"""
    if department_id is None:
        return False
    tz = get_settings().timezone
    rows = db.execute(
        select(CoHandling.requested_at, CoHandling.replied_at, CoHandling.settled_at)
        .join(Complaint, Complaint.id == CoHandling.complaint_id)
        .where(CoHandling.department_id == department_id,
               Complaint.institution_id == institution_id))
    for requested, replied, settled in rows:
        closed = [d for d in (_local(replied, tz), _local(settled, tz)) if d is not None]
        if co_handling_open(_local(requested, tz) or today, min(closed) if closed else None,
                            today):
            return True
    return False


def decided_penalty(db: Session, department_id: int | None, institution_id: int) -> bool:
    if department_id is None:
        return False
    return db.scalar(select(Penalty.id).where(
        Penalty.department_id == department_id,
        Penalty.institution_id == institution_id).limit(1)) is not None


def decision(db: Session, actor: User, kind: str, inst: Institution, today: date,
             list_type: str = "") -> Decision:
    role = Role(actor.role)
    if role != Role.DEPARTMENT:
        return decide(role, office_of(actor), kind, inst.district_id)
    dept_id = actor.department_id
    return decide(role, office_of(actor), kind, inst.district_id,
                  co_handling=kind in ("inspection", "penalty")
                  and co_handling(db, dept_id, inst.id, today),
                  decided_penalty=kind == "credit" and decided_penalty(db, dept_id, inst.id),
                  list_type=list_type)


def office_decision(db: Session, dept: Department, kind: str, inst: Institution,
                    today: date) -> Decision:
    """Could a user of office `dept` record this (for records entered in its name)?"""
    return decide(Role.DEPARTMENT, _office(dept), kind,
                  inst.district_id, co_handling=co_handling(db, dept.id, inst.id, today))


def decisions(db: Session, actor: User, inst: Institution, today: date) -> dict[str, Decision]:
    """Every kind's decision, for the entry page."""
    return {kind: decision(db, actor, kind, inst, today) for kind in KINDS}


def note_refusal(db: Session, actor: User, kind: str, institution_id: int | None,
                 reason: str) -> None:
    """Log and audit a refused attempt (the caller commits, after rolling back the attempt)."""
    log.warning("record refused: user=%s kind=%s institution=%s: %s", actor.id, kind,
                institution_id, reason)
    audit.record(db, actor.id, "records.refused", kind, institution_id or "",
                 institution_id=institution_id, department_id=actor.department_id,
                 reason=reason)
