"""Clock sweeps after worker downtime mark exactly the right complaints, once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from complaints.models import ComplaintEvent
from complaints.rules.intake import ComplaintInput
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import build_services
from complaints.services.sweeps import sweep
from portal.core.settings import get_settings

from factories import department, district, institution


def file_at(db, inst, received_at):
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(
        ComplaintInput(channel="handover", category_code="service_quality",
                       description="护理员长期不给老人翻身", institution_id=inst.id,
                       received_at=received_at),
        now=received_at)
    return complaint


def kinds(db, complaint):
    return [e.kind for e in db.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))]


def test_sweep_after_three_days_down_marks_exactly_the_overdue(db):
    d = district(db)
    department(db, "civil_affairs")
    inst = institution(db, district_=d)
    tz = get_settings().timezone
    # Received Mon 2026-11-09: due 2026-11-17 00:00. Received Mon 11-16: due 11-24 00:00.
    # Received Thu 11-19: due 11-27 00:00 (due soon on Wed 11-25). Received 11-24: not soon.
    late = file_at(db, inst, datetime(2026, 11, 9, 2, 0, tzinfo=UTC))
    just_late = file_at(db, inst, datetime(2026, 11, 16, 2, 0, tzinfo=UTC))
    soon = file_at(db, inst, datetime(2026, 11, 19, 2, 0, tzinfo=UTC))
    fresh = file_at(db, inst, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    answered = file_at(db, inst, datetime(2026, 11, 9, 3, 0, tzinfo=UTC))
    answered.status = "answered"
    db.commit()
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # Wed 09:00 in Shanghai, after 3 idle days
    result = sweep(db, load_calendar(db), now, tz)
    db.commit()
    assert (result.overdue, result.due_soon) == (2, 1)
    assert kinds(db, late)[-2:] == ["overdue", "supervised"]
    assert kinds(db, just_late)[-2:] == ["overdue", "supervised"]
    assert kinds(db, soon)[-1] == "due_soon"
    assert "due_soon" not in kinds(db, fresh) and "overdue" not in kinds(db, fresh)
    assert "overdue" not in kinds(db, answered)
    # Running again (a duplicate cron tick) changes nothing.
    again = sweep(db, load_calendar(db), now, tz)
    assert (again.overdue, again.due_soon) == (0, 0)
