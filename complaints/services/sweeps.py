"""Clock sweeps: mark complaints due soon and overdue, and put overdue ones under supervision.

Everything is computed from database state at the time of the sweep, so a sweep after a long
worker outage marks exactly what is due soon or overdue then. Marks are idempotent per deadline:
an extension or a reopening gives a complaint a new due_at and so new marks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent
from complaints.rules import clock
from complaints.rules.calendar import WorkCalendar
from complaints.services.events import add_event
from complaints.services.handling import HandlingService

BATCH = 500


@dataclass
class SweepResult:
    due_soon: int = 0
    overdue: int = 0


def _already_marked(session: Session, complaint: Complaint, kind: str) -> bool:
    due = complaint.due_at.isoformat()
    rows = session.scalars(select(ComplaintEvent.data).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.kind == kind))
    return any((data or {}).get("due_at") == due for data in rows)


def sweep(session: Session, calendar: WorkCalendar, now: datetime, tz) -> SweepResult:
    """Mark due-soon (≤ 1 working day left) and overdue open complaints; caller commits."""
    soon = clock.compute_deadline(now, 1, calendar, tz).due_at
    result = SweepResult()
    last_id = 0
    while True:
        batch = session.scalars(
            select(Complaint)
            .where(Complaint.status.in_(OPEN_STATUSES), Complaint.due_at <= soon,
                   Complaint.id > last_id)
            .order_by(Complaint.id).limit(BATCH)
        ).all()
        if not batch:
            return result
        for complaint in batch:
            last_id = complaint.id
            due = complaint.due_at.isoformat()
            if complaint.due_at <= now:
                if not _already_marked(session, complaint, "overdue"):
                    add_event(session, complaint, "overdue", None, public=False, at=now,
                              department_id=complaint.responsible_department_id,
                              data={"due_at": due})
                    add_event(session, complaint, "supervised", None, at=now,
                              department_id=complaint.responsible_department_id,
                              note="系统自动督办：已超过答复期限，请尽快办理并答复。",
                              data={"due_at": due, "automatic": True})
                    complaint.supervised_at = now
                    result.overdue += 1
            elif not _already_marked(session, complaint, "due_soon"):
                add_event(session, complaint, "due_soon", None, public=False, at=now,
                          department_id=complaint.responsible_department_id, data={"due_at": due})
                result.due_soon += 1
        session.flush()


def close_unrated(session: Session, handling: HandlingService, now: datetime,
                  window_days: int) -> int:
    """Close answered complaints whose feedback window has passed (回访期满自动办结)."""
    cutoff = now - timedelta(days=window_days)
    closed = 0
    while True:
        batch = session.scalars(
            select(Complaint).where(Complaint.status == "answered", Complaint.answered_at < cutoff)
            .order_by(Complaint.id).limit(BATCH)).all()
        if not batch:
            return closed
        for complaint in batch:
            closed += handling.auto_close(complaint, now)
        session.flush()
