"""The working-day calendar in force: chinesecalendar's years, overridden by admin-loaded years."""

from __future__ import annotations

from sqlalchemy.orm import Session

from complaints.models import HolidayYear
from complaints.rules.calendar import WorkCalendar, YearSchedule
from complaints.services.reference import reference
from portal.core import reference_version
from portal.core.db import utcnow


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar as this session's database has it (complaints/services/reference.py: read once per
    change of the loaded years)."""
    return reference(session).calendar


def save_year(session: Session, schedule: YearSchedule, actor_id: int | None) -> HolidayYear:
    """Load or correct one year; replaces any earlier admin version of that year."""
    reference_version.forget(session)
    row = session.get(HolidayYear, schedule.year) or HolidayYear(year=schedule.year)
    row.holidays = sorted(d.isoformat() for d in schedule.holidays)
    row.makeup_workdays = sorted(d.isoformat() for d in schedule.makeup_workdays)
    row.names = {d.isoformat(): n for d, n in schedule.names.items()}
    row.source = schedule.source[:100]
    row.loaded_by_id = actor_id
    row.loaded_at = utcnow()
    session.add(row)
    return row
