"""The working-day calendar in force: chinesecalendar's years, overridden by admin-loaded years."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.calendar import WorkCalendar, YearSchedule, schedules_from_chinesecalendar
from complaints.models import HolidayYear
from portal.db import utcnow


@lru_cache(maxsize=1)
def package_schedules() -> dict[int, YearSchedule]:
    """The years the chinesecalendar package knows (2004–2026 in 1.11.0), read once."""
    return schedules_from_chinesecalendar()


def _schedule_of(row: HolidayYear) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        makeup_workdays=frozenset(date.fromisoformat(d) for d in row.makeup_workdays),
        source=row.source,
        names={date.fromisoformat(d): n for d, n in (row.names or {}).items()},
    )


_MEMO = "portal.work_calendar"


def load_calendar(session: Session) -> WorkCalendar:
    """The calendar as this session sees it, read once per session (a queue view needs it for
    its deadline filter and for every row's clock); `save_year` forgets it."""
    calendar = session.info.get(_MEMO)
    if calendar is None:
        schedules = dict(package_schedules())
        for row in session.scalars(select(HolidayYear)):
            schedules[row.year] = _schedule_of(row)
        calendar = session.info[_MEMO] = WorkCalendar(schedules)
    return calendar


def save_year(session: Session, schedule: YearSchedule, actor_id: int | None) -> HolidayYear:
    """Load or correct one year; replaces any earlier admin version of that year."""
    session.info.pop(_MEMO, None)
    row = session.get(HolidayYear, schedule.year) or HolidayYear(year=schedule.year)
    row.holidays = sorted(d.isoformat() for d in schedule.holidays)
    row.makeup_workdays = sorted(d.isoformat() for d in schedule.makeup_workdays)
    row.names = {d.isoformat(): n for d, n in schedule.names.items()}
    row.source = schedule.source[:100]
    row.loaded_by_id = actor_id
    row.loaded_at = utcnow()
    session.add(row)
    return row
