"""Read-side queries of the operator console: a caller's history and possible duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, joinedload

from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent

DUPLICATE_WINDOW = timedelta(days=30)
HISTORY_LIMIT = 20
DUPLICATE_LIMIT = 10
DUPLICATE_CALL = "duplicate_call"


@dataclass(frozen=True)
class DuplicateCandidate:
    complaint: Complaint
    same_caller: bool
    same_subject: bool  # same institution (or unregistered place) and same category


def _with_display_rows(stmt):
    return stmt.options(
        joinedload(Complaint.institution),
        joinedload(Complaint.rule),
        joinedload(Complaint.responsible_department),
    )


def caller_history(session: Session, phone: str, limit: int = HISTORY_LIMIT) -> list[Complaint]:
    """Earlier complaints filed with this (normalised) phone number, newest first."""
    if not phone:
        return []
    return list(session.scalars(
        _with_display_rows(select(Complaint))
        .where(Complaint.complainant_phone == phone)
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    ))


def duplicate_candidates(
    session: Session,
    *,
    now: datetime,
    phone: str = "",
    institution_id: int | None = None,
    place_name: str = "",
    district_id: int | None = None,
    category_code: str = "",
    window: timedelta = DUPLICATE_WINDOW,
    limit: int = DUPLICATE_LIMIT,
) -> list[DuplicateCandidate]:
    """Open complaints received within `window` from the same caller or about the same subject.

    "Same subject" is the same institution and category; for an unregistered place, the same
    place name in the same district and the same category.
    """
    conditions = []
    if phone:
        conditions.append(Complaint.complainant_phone == phone)
    subject = None
    if category_code and institution_id is not None:
        subject = and_(Complaint.institution_id == institution_id,
                       Complaint.category_code == category_code)
    elif category_code and place_name.strip() and district_id is not None:
        subject = and_(Complaint.institution_id.is_(None),
                       Complaint.place_name == place_name.strip(),
                       Complaint.district_id == district_id,
                       Complaint.category_code == category_code)
    if subject is not None:
        conditions.append(subject)
    if not conditions:
        return []
    rows = session.scalars(
        _with_display_rows(select(Complaint))
        .where(Complaint.status.in_(OPEN_STATUSES), Complaint.received_at >= now - window,
               or_(*conditions))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
        .limit(limit)
    ).unique()
    found = []
    for c in rows:
        same_subject = c.category_code == category_code and (
            (institution_id is not None and c.institution_id == institution_id)
            or (institution_id is None and c.institution_id is None
                and c.place_name == place_name.strip() and c.district_id == district_id)
        )
        found.append(DuplicateCandidate(c, bool(phone) and c.complainant_phone == phone,
                                        same_subject))
    return found


def already_filed(session: Session, idempotency_key: str | None) -> bool:
    """Whether this console form was filed before (a double Enter must not warn of itself)."""
    if not idempotency_key:
        return False
    return session.scalar(
        select(Complaint.id).where(Complaint.idempotency_key == idempotency_key)) is not None


def linked_call(session: Session, event_id: int, actor_id: int) -> ComplaintEvent | None:
    """A duplicate-call event this operator recorded, with its complaint, for the confirmation."""
    return session.scalars(
        select(ComplaintEvent)
        .options(joinedload(ComplaintEvent.complaint).joinedload(Complaint.responsible_department))
        .where(ComplaintEvent.id == event_id, ComplaintEvent.actor_id == actor_id,
               ComplaintEvent.kind == DUPLICATE_CALL)
    ).first()
