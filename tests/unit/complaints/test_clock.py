"""Tests for the complaint response clock: exact deadlines around every 2025–2026 holiday."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.calendar import DayKind, WorkCalendar, YearSchedule, schedules_from_chinesecalendar
from complaints.clock import (
    MAX_WORKING_DAYS,
    SHANGHAI,
    ClockStatus,
    CountedDay,
    Deadline,
    answered_on_time,
    compute_deadline,
    explain,
    extend,
    status,
    working_days_left,
)

# No example database: the tests must not leave a .hypothesis directory in the work tree.
PROPERTY = settings(database=None, deadline=None)
# Seeded years up to 2026; 2027 is deliberately unknown, as it is until an admin uploads it.
CALENDAR = WorkCalendar(schedules_from_chinesecalendar(range(2024, 2027)))


def at(text: str) -> datetime:
    """An aware datetime; a string without an offset means Asia/Shanghai wall time."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=SHANGHAI)


def d(text: str) -> date:
    return date.fromisoformat(text)


# Each row: received (Shanghai unless an offset is given), working days, the Nth working day,
# whether the deadline is provisional. Weekdays and the counting are written out by hand.
CASES = [
    # --- 2025 ---
    # Tue 12-31 received; 2025-01-01 (Wed) 元旦; 01-02 Thu(1).
    ("yuandan_2025_urgent", "2024-12-31 17:00", 1, "2025-01-02", False),
    # 01-02 Thu(1), 01-03 Fri(2), 01-04/05 weekend, 01-06 Mon(3), 07(4), 08 Wed(5).
    ("yuandan_2025", "2024-12-31 17:00", 5, "2025-01-08", False),
    # Fri 01-24; 01-25 Sat rest; 01-26 Sun 调休(1); 01-27 Mon(2); 01-28..02-04 春节;
    # 02-05 Wed(3), 02-06 Thu(4), 02-07 Fri(5).
    ("spring_festival_2025_makeup_sunday_before", "2025-01-24 09:00", 5, "2025-02-07", False),
    # Thu 02-06; 02-07 Fri(1), 02-08 Sat 调休(2), 02-09 Sun rest, 02-10 Mon(3), 11(4), 12(5).
    ("spring_festival_2025_makeup_saturday_after", "2025-02-06 09:00", 5, "2025-02-12", False),
    # Thu 04-03; 04-04 Fri..04-06 Sun 清明; 04-07 Mon(1) .. 04-11 Fri(5).
    ("qingming_2025", "2025-04-03 09:00", 5, "2025-04-11", False),
    # Fri 04-25; 04-26 Sat rest; 04-27 Sun 调休(1); 04-28 Mon(2), 29(3), 30 Wed(4);
    # 05-01 Thu..05-05 Mon 劳动节; 05-06 Tue(5).
    ("labour_day_2025_makeup_sunday", "2025-04-25 09:00", 5, "2025-05-06", False),
    # Fri 05-30; 05-31 Sat..06-02 Mon 端午; 06-03 Tue(1).
    ("dragon_boat_2025_urgent", "2025-05-30 09:00", 1, "2025-06-03", False),
    # 06-03 Tue(1), 04(2), 05(3), 06 Fri(4), 06-09 Mon(5).
    ("dragon_boat_2025", "2025-05-30 09:00", 5, "2025-06-09", False),
    # Fri 09-26; 09-27 Sat rest; 09-28 Sun 调休(1); 09-29 Mon(2), 09-30 Tue(3);
    # 10-01 Wed..10-08 Wed 国庆中秋; 10-09 Thu(4), 10-10 Fri(5).
    ("national_day_2025_makeup_sunday_before", "2025-09-26 09:00", 5, "2025-10-10", False),
    # Tue 09-30; 10-09 Thu(1), 10-10 Fri(2), 10-11 Sat 调休(3), 10-12 Sun rest, 10-13 Mon(4),
    # 10-14 Tue(5).
    ("national_day_2025_makeup_saturday_after", "2025-09-30 09:00", 5, "2025-10-14", False),
    # --- 2026 ---
    # Wed 2025-12-31; 2026-01-01 Thu..01-03 Sat 元旦; 01-04 Sun 调休(1); 01-05 Mon(2) .. 08 Thu(5).
    ("yuandan_2026_across_year_end", "2025-12-31 12:00", 5, "2026-01-08", False),
    ("yuandan_2026_urgent_counts_makeup_sunday", "2025-12-31 12:00", 1, "2026-01-04", False),
    # Thu 02-12; 02-13 Fri(1), 02-14 Sat 调休(2); 02-15 Sun..02-23 Mon 春节; 02-24 Tue(3),
    # 25(4), 26 Thu(5).
    ("spring_festival_2026_makeup_saturday_before", "2026-02-12 09:00", 5, "2026-02-26", False),
    # Wed 02-25; 02-26 Thu(1), 02-27 Fri(2), 02-28 Sat 调休(3), 03-01 Sun rest, 03-02 Mon(4),
    # 03-03 Tue(5).
    ("spring_festival_2026_makeup_saturday_after", "2026-02-25 09:00", 5, "2026-03-03", False),
    # Sat 03-07 (ordinary weekend) received; 03-09 Mon(1) .. 03-13 Fri(5).
    ("received_on_an_ordinary_saturday", "2026-03-07 10:00", 5, "2026-03-13", False),
    # Fri 04-03; 04-04 Sat..04-06 Mon 清明; 04-07 Tue(1).
    ("qingming_2026_urgent", "2026-04-03 09:00", 1, "2026-04-07", False),
    # 04-07 Tue(1), 08(2), 09(3), 10 Fri(4), 04-13 Mon(5).
    ("qingming_2026", "2026-04-03 09:00", 5, "2026-04-13", False),
    # Thu 04-30; 05-01 Fri..05-05 Tue 劳动节; 05-06 Wed(1), 07(2), 08 Fri(3), 05-09 Sat 调休(4),
    # 05-10 Sun rest, 05-11 Mon(5).
    ("labour_day_2026_makeup_saturday", "2026-04-30 09:00", 5, "2026-05-11", False),
    # Thu 06-18; 06-19 Fri..06-21 Sun 端午; 06-22 Mon(1) .. 06-26 Fri(5).
    ("dragon_boat_2026", "2026-06-18 09:00", 5, "2026-06-26", False),
    # Fri 09-18; 09-19 Sat rest; 09-20 Sun 调休(1).
    ("national_day_2026_urgent_on_makeup_sunday", "2026-09-18 18:00", 1, "2026-09-20", False),
    # 09-20 Sun(1), 09-21 Mon(2), 22(3), 23(4), 24 Thu(5).
    ("national_day_2026_makeup_sunday", "2026-09-18 18:00", 5, "2026-09-24", False),
    # Wed 09-23; 09-24 Thu(1); 09-25 Fri..09-27 Sun 中秋; 09-28 Mon(2), 29(3), 30(4);
    # 10-01..10-07 国庆; 10-08 Thu(5).
    ("mid_autumn_and_national_day_2026", "2026-09-23 10:00", 5, "2026-10-08", False),
    ("received_at_midnight_local", "2026-09-23 00:00:00", 5, "2026-10-08", False),
    ("received_one_second_before_midnight", "2026-09-23 23:59:59", 5, "2026-10-08", False),
    # Thu 09-24 at 00:00; 09-28 Mon(1), 29(2), 30(3), 10-08 Thu(4), 10-09 Fri(5).
    ("received_at_midnight_starting_the_next_day", "2026-09-24 00:00:00", 5, "2026-10-09", False),
    # From Wed 09-23: 09-24(1), 28(2), 29(3), 30(4), 10-08(5), 09(6), 10(7), 12(8), 13(9), 14(10).
    ("ten_working_days_over_national_day", "2026-09-23 10:00", 10, "2026-10-14", False),
    # Wed 09-30; 10-08 Thu(1), 10-09 Fri(2), 10-10 Sat 调休(3), 10-12 Mon(4), 10-13 Tue(5).
    ("national_day_2026_makeup_saturday_after", "2026-09-30 16:00", 5, "2026-10-13", False),
    ("national_day_2026_urgent", "2026-09-30 16:00", 1, "2026-10-08", False),
    # Received on a holiday (Sat 10-03): the same count as from 09-30.
    ("received_on_a_holiday", "2026-10-03 09:00", 5, "2026-10-13", False),
    # Received on the 调休 Saturday 10-10: 10-12 Mon(1) .. 10-16 Fri(5).
    ("received_on_a_makeup_saturday", "2026-10-10 09:00", 5, "2026-10-16", False),
    # UTC input already on the next day in Shanghai: 09-29 16:30Z is 09-30 00:30 in Shanghai,
    # so the count starts after 09-30 (not after 09-29, which would give 10-12).
    (
        "utc_receipt_already_next_day_in_shanghai",
        "2026-09-29T16:30:00+00:00",
        5,
        "2026-10-13",
        False,
    ),
    # 09-30 16:30Z is 10-01 00:30 Shanghai (a holiday): 10-08(1), 09(2), 10 Sat(3), 12(4), 13(5).
    ("utc_receipt_on_a_holiday_in_shanghai", "2026-09-30T16:30:00+00:00", 5, "2026-10-13", False),
    # 09-23 15:59:59Z is still 09-23 23:59:59 in Shanghai.
    ("utc_receipt_still_same_day_in_shanghai", "2026-09-23T15:59:59+00:00", 5, "2026-10-08", False),
    # --- Into 2027, whose schedule is not published yet ---
    # Thu 12-24; 12-25 Fri(1), 12-28 Mon(2), 29(3), 30(4), 31 Thu(5): no 2027 day examined.
    ("ends_on_new_years_eve_not_provisional", "2026-12-24 09:00", 5, "2026-12-31", False),
    # Wed 12-30; 12-31 Thu(1), 2027-01-01 Fri(2, only weekends known), 01-04 Mon(3), 05(4), 06(5).
    ("spills_into_unknown_2027", "2026-12-30 09:00", 5, "2027-01-06", True),
    # Thu 12-31; 2027-01-01 Fri(1), 01-04 Mon(2), 05(3), 06(4), 07 Thu(5).
    ("received_new_years_eve_2026", "2026-12-31 09:00", 5, "2027-01-07", True),
    ("urgent_received_new_years_eve_2026", "2026-12-31 09:00", 1, "2027-01-01", True),
]


@pytest.mark.parametrize(
    ("received", "working_days", "last_day", "provisional"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_deadline(received: str, working_days: int, last_day: str, provisional: bool) -> None:
    deadline = compute_deadline(at(received), working_days, CALENDAR)
    assert deadline.last_day == d(last_day)
    assert deadline.due_at == datetime.combine(d(last_day) + timedelta(days=1), time(0), SHANGHAI)
    assert deadline.provisional is provisional
    assert deadline.working_days == working_days
    assert deadline.received_at == at(received)


def test_due_at_is_midnight_shanghai_after_the_fifth_working_day() -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    assert deadline.due_at.isoformat() == "2026-10-09T00:00:00+08:00"
    assert deadline.due_at.astimezone(UTC).isoformat() == "2026-10-08T16:00:00+00:00"


def test_deadline_lists_every_day_it_looked_at() -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    w, h = DayKind.WORKDAY, DayKind.HOLIDAY
    assert [(c.day.isoformat(), c.kind, c.counted, c.count) for c in deadline.days] == [
        ("2026-09-24", w, True, 1),
        ("2026-09-25", h, False, 1),
        ("2026-09-26", h, False, 1),
        ("2026-09-27", h, False, 1),
        ("2026-09-28", w, True, 2),
        ("2026-09-29", w, True, 3),
        ("2026-09-30", w, True, 4),
        ("2026-10-01", h, False, 4),
        ("2026-10-02", h, False, 4),
        ("2026-10-03", h, False, 4),
        ("2026-10-04", h, False, 4),
        ("2026-10-05", h, False, 4),
        ("2026-10-06", h, False, 4),
        ("2026-10-07", h, False, 4),
        ("2026-10-08", w, True, 5),
    ]
    assert deadline.days[1] == CountedDay(d("2026-09-25"), h, False, 1, name="中秋")


def test_explain_gives_one_chinese_line_per_day() -> None:
    deadline = compute_deadline(at("2026-09-30 16:00"), 5, CALENDAR)
    assert explain(deadline) == [
        "2026-09-30 周三 受理当日 不计",
        "2026-10-01 周四 法定节假日（国庆节） 不计",
        "2026-10-02 周五 法定节假日（国庆节） 不计",
        "2026-10-03 周六 法定节假日（国庆节） 不计",
        "2026-10-04 周日 法定节假日（国庆节） 不计",
        "2026-10-05 周一 法定节假日（国庆节） 不计",
        "2026-10-06 周二 法定节假日（国庆节） 不计",
        "2026-10-07 周三 法定节假日（国庆节） 不计",
        "2026-10-08 周四 工作日 计第1日",
        "2026-10-09 周五 工作日 计第2日",
        "2026-10-10 周六 调休上班日（国庆节） 计第3日",
        "2026-10-11 周日 周末 不计",
        "2026-10-12 周一 工作日 计第4日",
        "2026-10-13 周二 工作日 计第5日",
        "答复期限：2026-10-13 24:00 前（第5个工作日）",
    ]


def test_explain_marks_a_provisional_deadline() -> None:
    deadline = compute_deadline(at("2026-12-30 09:00"), 5, CALENDAR)
    assert explain(deadline) == [
        "2026-12-30 周三 受理当日 不计",
        "2026-12-31 周四 工作日 计第1日",
        "2027-01-01 周五 工作日 计第2日",
        "2027-01-02 周六 周末 不计",
        "2027-01-03 周日 周末 不计",
        "2027-01-04 周一 工作日 计第3日",
        "2027-01-05 周二 工作日 计第4日",
        "2027-01-06 周三 工作日 计第5日",
        "答复期限：2027-01-06 24:00 前（第5个工作日）",
        "2027年节假日安排尚未公布，按周末计算，期限为暂定",
    ]


def test_uploading_the_unknown_year_settles_a_provisional_deadline() -> None:
    from complaints.calendar import parse_year_file

    calendar = CALENDAR.with_year(parse_year_file("year: 2027\nholiday: 2027-01-01..2027-01-03\n"))
    deadline = compute_deadline(at("2026-12-30 09:00"), 5, calendar)
    # 12-31 Thu(1), 2027-01-01..03 元旦, 01-04 Mon(2), 05(3), 06(4), 07 Thu(5).
    assert deadline.last_day == d("2027-01-07")
    assert not deadline.provisional


def test_deadline_in_another_time_zone_counts_that_zone_s_days() -> None:
    # 2026-09-23 20:00 in New York is already 09-24 08:00 in Shanghai, but the clock counts
    # the local day of the zone it is asked for.
    received = datetime(2026, 9, 23, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    assert compute_deadline(received, 5, CALENDAR).last_day == d("2026-10-09")
    new_york = compute_deadline(received, 5, CALENDAR, tz=ZoneInfo("America/New_York"))
    assert new_york.last_day == d("2026-10-08")
    assert new_york.due_at.isoformat() == "2026-10-09T00:00:00-04:00"


@pytest.mark.parametrize(
    ("received_at", "working_days", "error"),
    [
        (datetime(2026, 9, 23, 10, 0), 5, ValueError),
        (at("2026-09-23 10:00"), 0, ValueError),
        (at("2026-09-23 10:00"), -5, ValueError),
        (at("2026-09-23 10:00"), MAX_WORKING_DAYS + 1, ValueError),
        (at("2026-09-23 10:00"), True, TypeError),
        (at("2026-09-23 10:00"), 5.0, TypeError),
    ],
    ids=["naive-datetime", "zero-days", "negative-days", "too-many-days", "bool", "float"],
)
def test_compute_deadline_rejects_bad_input(
    received_at: datetime, working_days: int, error: type[Exception]
) -> None:
    with pytest.raises(error):
        compute_deadline(received_at, working_days, CALENDAR)


def test_the_longest_allowed_clock_is_accepted() -> None:
    deadline = compute_deadline(at("2026-01-05 09:00"), MAX_WORKING_DAYS, CALENDAR)
    assert deadline.days[-1].count == MAX_WORKING_DAYS


# --- Working days left and status ---------------------------------------------------------

# Received Wed 2026-09-23: counted 09-24, 09-28, 09-29, 09-30, 10-08; due 2026-10-09 00:00.
LEFT_CASES = [
    ("on_the_day_of_receipt", "2026-09-23 15:00", 5, ClockStatus.ON_TIME),
    ("first_counted_day", "2026-09-24 09:00", 5, ClockStatus.ON_TIME),
    ("on_a_holiday", "2026-09-25 09:00", 4, ClockStatus.ON_TIME),
    ("fourth_day_counts_itself_and_the_fifth", "2026-09-30 12:00", 2, ClockStatus.ON_TIME),
    ("during_national_day", "2026-10-01 09:00", 1, ClockStatus.DUE_SOON),
    ("last_day_morning", "2026-10-08 08:00", 1, ClockStatus.DUE_SOON),
    ("last_second", "2026-10-08 23:59:59", 1, ClockStatus.DUE_SOON),
    ("last_second_given_in_utc", "2026-10-08T15:59:59+00:00", 1, ClockStatus.DUE_SOON),
    ("midnight_after_the_last_day", "2026-10-09 00:00:00", 0, ClockStatus.OVERDUE),
    ("midnight_given_in_utc", "2026-10-08T16:00:00+00:00", 0, ClockStatus.OVERDUE),
    ("weeks_later", "2026-11-02 09:00", 0, ClockStatus.OVERDUE),
]


@pytest.mark.parametrize(
    ("now", "left", "expected"),
    [case[1:] for case in LEFT_CASES],
    ids=[case[0] for case in LEFT_CASES],
)
def test_working_days_left_and_status(now: str, left: int, expected: ClockStatus) -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    assert working_days_left(deadline, at(now), CALENDAR) == left
    assert status(deadline, at(now), CALENDAR) is expected


def test_due_soon_threshold_is_configurable() -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    now = at("2026-09-30 12:00")
    assert status(deadline, now, CALENDAR, due_soon_days=1) is ClockStatus.ON_TIME
    assert status(deadline, now, CALENDAR, due_soon_days=2) is ClockStatus.DUE_SOON
    assert status(deadline, at("2026-10-08 12:00"), CALENDAR, due_soon_days=0) is (
        ClockStatus.ON_TIME
    )


def test_status_values_are_stable_strings() -> None:
    assert [s.value for s in ClockStatus] == ["on_time", "due_soon", "overdue"]
    assert [k.value for k in DayKind] == ["workday", "weekend", "holiday", "makeup_workday"]


def test_now_must_be_aware() -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        working_days_left(deadline, datetime(2026, 9, 24, 9, 0), CALENDAR)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        status(deadline, datetime(2026, 9, 24, 9, 0), CALENDAR)


@pytest.mark.parametrize(
    ("answered", "on_time"),
    [
        ("2026-10-08 23:59:59", True),
        ("2026-10-08T15:59:59+00:00", True),
        ("2026-10-09 00:00:00", False),
        ("2026-10-08T16:00:00+00:00", False),
    ],
)
def test_answered_on_time_means_before_due_at(answered: str, on_time: bool) -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    assert answered_on_time(deadline, at(answered)) is on_time


# --- Extensions ---------------------------------------------------------------------------


def test_extension_counts_on_from_the_last_day() -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    extended = extend(deadline, 5, CALENDAR)
    # From 10-08(5): 10-09 Fri(6), 10-10 Sat 调休(7), 10-12 Mon(8), 13(9), 14 Wed(10).
    assert extended.last_day == d("2026-10-14")
    assert extended.working_days == 10
    assert extended.received_at == deadline.received_at
    assert extended.days[: len(deadline.days)] == deadline.days
    assert extended == compute_deadline(at("2026-09-23 10:00"), 10, CALENDAR)


def test_extension_into_an_unknown_year_is_provisional() -> None:
    deadline = compute_deadline(at("2026-12-21 10:00"), 5, CALENDAR)
    assert (deadline.last_day, deadline.provisional) == (d("2026-12-28"), False)
    extended = extend(deadline, 5, CALENDAR)
    # 12-29 Tue(6), 30(7), 31(8), 2027-01-01 Fri(9), 01-04 Mon(10).
    assert (extended.last_day, extended.provisional) == (d("2027-01-04"), True)


@pytest.mark.parametrize("extra", [0, -1, MAX_WORKING_DAYS])
def test_extension_rejects_bad_day_counts(extra: int) -> None:
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    with pytest.raises(ValueError):
        extend(deadline, extra, CALENDAR)


# --- Properties ---------------------------------------------------------------------------

ZONES = st.sampled_from(
    [UTC, SHANGHAI, ZoneInfo("America/Los_Angeles"), timezone(timedelta(hours=14))]
)
RECEIVED = st.datetimes(datetime(2025, 6, 1), datetime(2027, 6, 30), timezones=ZONES)
WORKING_DAYS = st.integers(1, MAX_WORKING_DAYS)
DAYS_2026 = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
# Sampling weekends directly: filtering with assume() trips hypothesis health checks.
WEEKENDS_2026 = [d for d in DAYS_2026 if d.weekday() >= 5]


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    """A random 2026 schedule, sometimes none at all; 2025 real; 2027 unknown."""
    holidays = draw(st.frozensets(st.sampled_from(DAYS_2026), max_size=60))
    weekends = [x for x in DAYS_2026 if x.weekday() >= 5 and x not in holidays]
    makeup = draw(st.frozensets(st.sampled_from(weekends), max_size=10))
    schedules = {2025: CALENDAR.schedule(2025)}
    if draw(st.booleans()):
        schedules[2026] = YearSchedule(2026, holidays, makeup, "test")
    return WorkCalendar(schedules)


def check_shape(deadline: Deadline, calendar: WorkCalendar) -> None:
    local_received = deadline.received_at.astimezone(deadline.tz).date()
    assert deadline.days[0].day == local_received + timedelta(days=1)
    for before, after in zip(deadline.days, deadline.days[1:], strict=False):
        assert after.day == before.day + timedelta(days=1)
    assert sum(c.counted for c in deadline.days) == deadline.working_days
    assert deadline.days[-1].counted and deadline.days[-1].count == deadline.working_days
    assert deadline.last_day == deadline.days[-1].day
    assert all(c.counted == calendar.is_workday(c.day) for c in deadline.days)
    assert deadline.provisional == any(not calendar.is_known(c.day.year) for c in deadline.days)


@PROPERTY
@given(RECEIVED, WORKING_DAYS, calendars())
def test_deadline_is_never_before_receipt(
    received: datetime, working_days: int, calendar: WorkCalendar
) -> None:
    deadline = compute_deadline(received, working_days, calendar)
    assert deadline.due_at > received
    assert deadline.last_day > received.astimezone(SHANGHAI).date()
    check_shape(deadline, calendar)


@PROPERTY
@given(RECEIVED, WORKING_DAYS, calendars())
def test_due_at_is_local_midnight_after_a_working_day(
    received: datetime, working_days: int, calendar: WorkCalendar
) -> None:
    due_at = compute_deadline(received, working_days, calendar).due_at
    assert due_at.tzinfo is SHANGHAI
    assert due_at.time() == time(0)
    assert calendar.is_workday(due_at.date() - timedelta(days=1))


@PROPERTY
@given(RECEIVED, WORKING_DAYS, calendars(), st.sampled_from(DAYS_2026))
def test_adding_a_holiday_never_makes_the_deadline_earlier(
    received: datetime, working_days: int, calendar: WorkCalendar, extra_holiday: date
) -> None:
    schedule = calendar.schedule(2026) or YearSchedule(2026, frozenset(), frozenset(), "test")
    more = YearSchedule(
        2026,
        schedule.holidays | {extra_holiday},
        schedule.makeup_workdays - {extra_holiday},
        "test",
    )
    before = compute_deadline(received, working_days, calendar.with_year(schedule))
    after = compute_deadline(received, working_days, calendar.with_year(more))
    assert after.due_at >= before.due_at


@PROPERTY
@given(RECEIVED, WORKING_DAYS, calendars(), st.sampled_from(WEEKENDS_2026))
def test_adding_a_makeup_workday_never_makes_the_deadline_later(
    received: datetime, working_days: int, calendar: WorkCalendar, extra: date
) -> None:
    schedule = calendar.schedule(2026) or YearSchedule(2026, frozenset(), frozenset(), "test")
    more = YearSchedule(
        2026, schedule.holidays - {extra}, schedule.makeup_workdays | {extra}, "test"
    )
    before = compute_deadline(received, working_days, calendar.with_year(schedule))
    after = compute_deadline(received, working_days, calendar.with_year(more))
    assert after.due_at <= before.due_at


@PROPERTY
@given(RECEIVED, st.integers(1, 30), st.integers(1, 30), calendars())
def test_an_extension_equals_a_longer_clock_from_the_start(
    received: datetime, first: int, extra: int, calendar: WorkCalendar
) -> None:
    deadline = compute_deadline(received, first, calendar)
    assert extend(deadline, extra, calendar) == compute_deadline(received, first + extra, calendar)


@PROPERTY
@given(RECEIVED, WORKING_DAYS, calendars(), st.lists(st.integers(0, 120 * 24 * 3600), max_size=6))
def test_working_days_left_only_goes_down_and_overdue_means_past_due_at(
    received: datetime, working_days: int, calendar: WorkCalendar, offsets: list[int]
) -> None:
    deadline = compute_deadline(received, working_days, calendar)
    moments = [received + timedelta(seconds=s) for s in sorted(offsets)]
    lefts = [working_days_left(deadline, m, calendar) for m in moments]
    assert lefts == sorted(lefts, reverse=True)
    assert all(0 <= n <= working_days for n in lefts)
    for moment, left in zip(moments, lefts, strict=True):
        overdue = status(deadline, moment, calendar) is ClockStatus.OVERDUE
        assert overdue == (moment >= deadline.due_at)
        assert (left == 0) == overdue


# --- Logging --------------------------------------------------------------------------------


def test_a_deadline_and_its_extension_are_logged_with_the_days_skipped(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="complaints.clock")
    deadline = compute_deadline(at("2026-09-23 10:00"), 5, CALENDAR)
    extend(deadline, 5, CALENDAR)
    # 09-24 Thu(1); 25–27 中秋; 28(2), 29(3), 30(4); 10-01–07 国庆节; 10-08(5). Then 10-09(6),
    # 10-10 Sat 调休(7), 10-11 Sun, 12(8), 13(9), 14(10).
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("DEBUG", "clock: received 2026-09-23, 5 working days -> due by 24:00 of 2026-10-08 "
                  "(skipped 10 holiday days (中秋、国庆节))"),
        ("INFO", "clock: extended by 5 working days, from 24:00 of 2026-10-08 to 24:00 of "
                 "2026-10-14 (skipped 1 weekend days; 1 make-up workday counted)"),
    ]
    assert not re.search(r"1[3-9]\d{9}", caplog.text)


def test_a_provisional_deadline_says_which_years_had_no_schedule(caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="complaints.clock")
    compute_deadline(at("2026-12-30 10:00"), 3, CALENDAR)
    assert caplog.records[-1].getMessage().endswith("provisional: no schedule for 2027)")
