"""A work list's clock column: days left and state from the stored due date, in local days."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from complaints.rules.calendar import WorkCalendar, schedules_from_chinesecalendar
from complaints.rules.clock import SHANGHAI, compute_deadline
from complaints.rules.presenters import clock_view
from complaints.services.queues import QueueRow

CALENDAR = WorkCalendar(schedules_from_chinesecalendar(range(2025, 2027)))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def row(received: str, status: str = "assigned", answered: str | None = None) -> QueueRow:
    """A list row as the database returns it: every time in UTC."""
    received_at = at(received).astimezone(UTC)
    deadline = compute_deadline(received_at, 5, CALENDAR, SHANGHAI)
    return QueueRow(
        id=1, tracking_no="TS", urgent=False, supervised_at=None, institution_name=None,
        place_name="", rule_label="", department_name="", status=status,
        received_at=received_at, working_days=5, due_at=deadline.due_at.astimezone(UTC),
        due_last_day=deadline.last_day, provisional=deadline.provisional,
        answered_at=at(answered).astimezone(UTC) if answered else None,
    )


# Received Tue 2026-12-01 07:00 Shanghai (still Mon 11-30 in UTC): days 1–5 are Wed 12-02 to
# Tue 12-08 (the weekend 12-05/06 skipped); due by Tue 12-08 24:00.
@pytest.mark.parametrize(("now", "left", "state"), [
    ("2026-12-01 08:00", 5, "on_time"),  # the day of receipt: the full clock
    ("2026-12-02 23:59", 5, "on_time"),  # day 1 counts until 24:00 local
    ("2026-12-03 07:30", 4, "on_time"),  # 23:30 UTC of 12-02: already 12-03 here
    ("2026-12-07 09:00", 2, "on_time"),
    ("2026-12-08 07:00", 1, "due_soon"),  # 23:00 UTC of 12-07: the last day here
    ("2026-12-09 00:00", 0, "overdue"),
])
def test_days_left_are_counted_in_local_days(now, left, state):
    view = clock_view(row("2026-12-01 07:00"), CALENDAR, at(now), SHANGHAI)
    assert (view.days_left, view.state) == (left, state)
    assert view.due_local == at("2026-12-08 23:59:59")


def test_an_answered_complaint_shows_whether_it_was_on_time():
    on_time = clock_view(row("2026-12-01 07:00", "answered", "2026-12-08 23:00"), CALENDAR,
                         at("2026-12-20 09:00"), SHANGHAI)
    late = clock_view(row("2026-12-01 07:00", "closed", "2026-12-09 00:00"), CALENDAR,
                      at("2026-12-20 09:00"), SHANGHAI)
    assert (on_time.state, on_time.label) == ("answered", "按时答复")
    assert (late.state, late.label) == ("answered_late", "超期答复")


def test_office_groups_put_street_offices_in_their_district_after_its_own_offices():
    from types import SimpleNamespace as NS

    from complaints.rules.presenters import office_groups

    east, west = NS(name="东城区"), NS(name="西城区")
    city = NS(name="示范市民政局", district=None, street=None, street_id=None)
    town = NS(name="东华街道民政办", district=None, street=NS(district=east), street_id=7)
    east_office = NS(name="东城区民政局", district=east, street=None, street_id=None)
    west_office = NS(name="西城区民政局", district=west, street=None, street_id=None)
    groups = office_groups([town, east_office, city, west_office])
    assert [(label, [o.name for o in members]) for label, members in groups] == [
        ("市级部门", ["示范市民政局"]),
        ("东城区", ["东城区民政局", "东华街道民政办"]),
        ("西城区", ["西城区民政局"]),
    ]
