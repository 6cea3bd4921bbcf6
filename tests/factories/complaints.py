"""Complaint rows with exact timestamps for statistics tests (no routing, no clock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from complaints.models import Complaint, ComplaintEvent
from portal.orgs.models import Department


def complaint_row(db: Session, office: Department, received: datetime, *,
                  answered: datetime | None = None, due: datetime | None = None,
                  status: str | None = None, satisfaction: str | None = None,
                  category: str = "service_quality") -> Complaint:
    """A complaint dispatched to `office` (with its 派单 event); closed when `answered` is set."""
    due = due or received + timedelta(days=7)
    row = Complaint(
        channel="web", category_code=category, description="测试投诉",
        status=status or ("closed" if answered else "assigned"),
        responsible_department_id=office.id, received_at=received, working_days=5,
        due_at=due, due_last_day=(due - timedelta(days=1)).date(), sign_due_at=due,
        answered_at=answered, satisfaction=satisfaction,
    )
    db.add(row)
    db.flush()
    db.add(ComplaintEvent(complaint_id=row.id, kind="assigned", department_id=office.id,
                          at=received))
    return row
