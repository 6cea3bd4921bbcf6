"""Tests for the working-day calendar: chinesecalendar seeding, day kinds and the upload file."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.calendar import (
    CalendarFileError,
    DayKind,
    WorkCalendar,
    YearSchedule,
    chinesecalendar_years,
    format_year_file,
    parse_year_file,
    schedules_from_chinesecalendar,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "holiday-calendar-format.md"
# No example database: the tests must not leave a .hypothesis directory in the work tree.
PROPERTY = settings(database=None, deadline=None)


def span(start: str, end: str | None = None) -> set[date]:
    first = date.fromisoformat(start)
    last = date.fromisoformat(end) if end else first
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


@pytest.fixture(scope="module")
def seeded() -> dict[int, YearSchedule]:
    return schedules_from_chinesecalendar()


@pytest.fixture(scope="module")
def calendar(seeded: dict[int, YearSchedule]) -> WorkCalendar:
    return WorkCalendar(seeded)


# --- Seeding from chinesecalendar ---------------------------------------------------------


def test_chinesecalendar_covers_2004_to_2026() -> None:
    assert chinesecalendar_years() == range(2004, 2027)


def test_seeding_a_year_chinesecalendar_does_not_cover_is_refused() -> None:
    with pytest.raises(ValueError, match="no data for 2027"):
        schedules_from_chinesecalendar([2026, 2027])


def test_seeded_schedules_name_their_source(seeded: dict[int, YearSchedule]) -> None:
    assert sorted(seeded) == list(range(2004, 2027))
    assert {s.source for s in seeded.values()} == {"chinesecalendar 1.11.0"}


def test_seeded_calendar_agrees_with_chinesecalendar_on_every_day(calendar: WorkCalendar) -> None:
    day = date(2004, 1, 1)
    disagreements = []
    while day <= date(2026, 12, 31):
        if calendar.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


def test_seeded_holidays_are_never_plain_working_weekdays_and_workdays_are_weekends(
    seeded: dict[int, YearSchedule],
) -> None:
    for schedule in seeded.values():
        assert all(d.weekday() >= 5 for d in schedule.makeup_workdays)
        assert not schedule.holidays & schedule.makeup_workdays


# Published schedules (国务院办公厅通知), checked against /work/shared/FACTS.md for 2026.
HOLIDAYS_2025 = (
    span("2025-01-01")
    | span("2025-01-28", "2025-02-04")
    | span("2025-04-04", "2025-04-06")
    | span("2025-05-01", "2025-05-05")
    | span("2025-05-31", "2025-06-02")
    | span("2025-10-01", "2025-10-08")
)
MAKEUP_2025 = {
    date.fromisoformat(d)
    for d in ("2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11")
}
HOLIDAYS_2026 = (
    span("2026-01-01", "2026-01-03")
    | span("2026-02-15", "2026-02-23")
    | span("2026-04-04", "2026-04-06")
    | span("2026-05-01", "2026-05-05")
    | span("2026-06-19", "2026-06-21")
    | span("2026-09-25", "2026-09-27")
    | span("2026-10-01", "2026-10-07")
)
MAKEUP_2026 = {
    date.fromisoformat(d)
    for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
}


@pytest.mark.parametrize(
    ("year", "holidays", "makeup"),
    [(2025, HOLIDAYS_2025, MAKEUP_2025), (2026, HOLIDAYS_2026, MAKEUP_2026)],
    ids=["2025", "2026"],
)
def test_seeded_year_matches_the_published_schedule(
    seeded: dict[int, YearSchedule], year: int, holidays: set[date], makeup: set[date]
) -> None:
    assert seeded[year].holidays == holidays
    assert seeded[year].makeup_workdays == makeup


@pytest.mark.parametrize(
    ("day", "kind", "name"),
    [
        ("2025-01-01", DayKind.HOLIDAY, "元旦"),
        ("2025-01-26", DayKind.MAKEUP_WORKDAY, "春节"),  # Sunday worked before 春节
        ("2025-01-28", DayKind.HOLIDAY, "春节"),
        ("2025-02-08", DayKind.MAKEUP_WORKDAY, "春节"),  # Saturday worked after 春节
        ("2025-02-09", DayKind.WEEKEND, None),
        ("2025-04-27", DayKind.MAKEUP_WORKDAY, "劳动节"),
        ("2025-05-31", DayKind.HOLIDAY, "端午"),  # a Saturday inside the holiday period
        ("2025-10-06", DayKind.HOLIDAY, "中秋"),
        ("2025-10-08", DayKind.HOLIDAY, "国庆节"),  # a Wednesday
        ("2025-10-11", DayKind.MAKEUP_WORKDAY, "国庆节"),
        ("2025-12-31", DayKind.WORKDAY, None),
        ("2026-01-02", DayKind.HOLIDAY, "元旦"),  # a Friday
        ("2026-01-04", DayKind.MAKEUP_WORKDAY, "元旦"),
        ("2026-02-14", DayKind.MAKEUP_WORKDAY, "春节"),
        ("2026-02-23", DayKind.HOLIDAY, "春节"),  # a Monday
        ("2026-02-24", DayKind.WORKDAY, None),
        ("2026-03-07", DayKind.WEEKEND, None),
        ("2026-09-20", DayKind.MAKEUP_WORKDAY, "国庆节"),
        ("2026-09-25", DayKind.HOLIDAY, "中秋"),
        ("2026-10-07", DayKind.HOLIDAY, "国庆节"),
        ("2026-10-10", DayKind.MAKEUP_WORKDAY, "国庆节"),
        ("2026-10-11", DayKind.WEEKEND, None),
    ],
)
def test_day_kind_and_name_of_seeded_days(
    calendar: WorkCalendar, day: str, kind: DayKind, name: str | None
) -> None:
    d = date.fromisoformat(day)
    assert calendar.day_kind(d) is kind
    assert calendar.is_workday(d) is kind.is_working
    assert calendar.day_name(d) == name


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        ("2027-01-01", DayKind.WORKDAY),  # a Friday; 元旦 unknown until 2027 is loaded
        ("2027-01-02", DayKind.WEEKEND),
        ("2027-01-03", DayKind.WEEKEND),
        ("2027-01-04", DayKind.WORKDAY),
        ("2003-12-31", DayKind.WORKDAY),
    ],
)
def test_unknown_year_has_only_weekends_as_rest_days(
    calendar: WorkCalendar, day: str, kind: DayKind
) -> None:
    d = date.fromisoformat(day)
    assert not calendar.is_known(d.year)
    assert calendar.day_kind(d) is kind
    assert calendar.day_name(d) is None


def test_calendar_lists_known_years(calendar: WorkCalendar) -> None:
    assert calendar.known_years() == list(range(2004, 2027))
    assert calendar.is_known(2026)
    assert not calendar.is_known(2027)


def test_empty_calendar_knows_no_year() -> None:
    calendar = WorkCalendar()
    assert calendar.known_years() == []
    assert calendar.day_kind(date(2026, 10, 1)) is DayKind.WORKDAY


def test_with_year_adds_an_uploaded_year_without_changing_the_original(
    calendar: WorkCalendar,
) -> None:
    uploaded = parse_year_file("year: 2027\nholiday: 2027-01-01 # 元旦\n")
    updated = calendar.with_year(uploaded)
    assert updated.day_kind(date(2027, 1, 1)) is DayKind.HOLIDAY
    assert updated.day_name(date(2027, 1, 1)) == "元旦"
    assert updated.known_years()[-1] == 2027
    assert not calendar.is_known(2027)


def test_with_year_replaces_a_seeded_year(calendar: WorkCalendar) -> None:
    corrected = parse_year_file("year: 2026\nholiday: 2026-10-01..2026-10-08\n")
    updated = calendar.with_year(corrected)
    assert updated.day_kind(date(2026, 10, 8)) is DayKind.HOLIDAY
    assert updated.day_kind(date(2026, 10, 10)) is DayKind.WEEKEND
    assert updated.day_kind(date(2026, 2, 16)) is DayKind.WORKDAY


def test_calendar_refuses_a_schedule_filed_under_the_wrong_year() -> None:
    schedule = YearSchedule(2026, frozenset(), frozenset(), "test")
    with pytest.raises(ValueError, match="filed under 2027"):
        WorkCalendar({2027: schedule})


# --- YearSchedule invariants --------------------------------------------------------------


@pytest.mark.parametrize(
    ("holidays", "makeup", "names", "message"),
    [
        ({date(2025, 12, 31)}, set(), {}, "dates outside 2026: 2025-12-31"),
        (set(), {date(2026, 10, 10)}, {}, None),
        ({date(2026, 10, 10)}, {date(2026, 10, 10)}, {}, "both holiday and make-up"),
        (set(), {date(2026, 10, 9)}, {}, "must be Saturdays or Sundays: 2026-10-09"),
        (set(), set(), {date(2026, 10, 1): "国庆节"}, "not listed"),
        ({date(2026, 10, 1)}, set(), {date(2026, 10, 1): "国庆\n节"}, "several lines"),
    ],
    ids=["outside-year", "valid", "both", "weekday-makeup", "stray-name", "multiline-name"],
)
def test_year_schedule_invariants(
    holidays: set[date], makeup: set[date], names: dict[date, str], message: str | None
) -> None:
    def build() -> YearSchedule:
        return YearSchedule(2026, frozenset(holidays), frozenset(makeup), "test", names)

    if message is None:
        assert build().makeup_workdays == makeup
    else:
        with pytest.raises(ValueError, match=message):
            build()


def test_year_schedule_is_hashable_and_its_names_are_read_only() -> None:
    schedule = YearSchedule(
        2026, {date(2026, 10, 1)}, set(), "test", {date(2026, 10, 1): " 国庆节 "}
    )
    assert isinstance(schedule.holidays, frozenset)
    assert schedule.names == {date(2026, 10, 1): "国庆节"}
    hash(schedule)
    with pytest.raises(TypeError):
        schedule.names[date(2026, 10, 1)] = "x"  # type: ignore[index]


# --- The upload file ----------------------------------------------------------------------


def test_parse_reads_years_ranges_names_and_comments() -> None:
    text = (
        "\ufeff# 2027 schedule, typed in by an admin\r\n"
        "\r\n"
        "year: 2027   # the year line may carry a comment\r\n"
        "holiday: 2027-01-01 # 元旦\r\n"
        "  Holiday : 2027-02-06 .. 2027-02-08   #  春节  \r\n"
        "workday: 2027-02-13\r\n"
    )
    schedule = parse_year_file(text)
    assert schedule == YearSchedule(
        year=2027,
        holidays=frozenset(span("2027-01-01") | span("2027-02-06", "2027-02-08")),
        makeup_workdays=frozenset({date(2027, 2, 13)}),
        source="admin upload",
        names={
            date(2027, 1, 1): "元旦",
            date(2027, 2, 6): "春节",
            date(2027, 2, 7): "春节",
            date(2027, 2, 8): "春节",
        },
    )


def test_parse_accepts_a_year_without_holidays_and_names_the_source() -> None:
    schedule = parse_year_file("year: 2027\n", source="国务院办公厅通知 (upload by admin 7)")
    assert schedule.holidays == frozenset()
    assert schedule.makeup_workdays == frozenset()
    assert schedule.source == "国务院办公厅通知 (upload by admin 7)"


@pytest.mark.parametrize(
    ("text", "line_no", "message"),
    [
        ("", None, "缺少年份行“year: YYYY”"),
        ("# nothing but a comment\n\n", None, "缺少年份行“year: YYYY”"),
        ("holiday: 2027-01-01\n", 1, "第一项须为年份行“year: YYYY”"),
        ("year: 27\n", 1, "年份须为四位数字，这里是“27”"),
        (
            "year: 2027\nholiday: 2027-01-01\n\nyear: 2027\n",
            4,
            "年份重复声明（第一次在第 1 行）",
        ),
        ("year: 2027\nholiday 2027-01-01\n", 2, "格式应为“键: 值”，这一行是“holiday 2027-01-01”"),
        (
            "year: 2027\nvacation: 2027-01-01\n",
            2,
            "未知的项目“vacation”，只能是 holiday（放假）或 workday（调休上班）",
        ),
        (
            "year: 2027\nholiday: 2027/01/01\n",
            2,
            "日期应为 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD，这里是“2027/01/01”",
        ),
        (
            "year: 2027\nholiday: 2027-01-01..\n",
            2,
            "日期应为 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD，这里是“2027-01-01..”",
        ),
        ("year: 2027\nholiday: 2027-02-30\n", 2, "“2027-02-30”不是有效日期"),
        ("year: 2027\nholiday: 2026-12-31\n", 2, "2026-12-31 不在声明的年份 2027 内"),
        (
            "year: 2027\nholiday: 2027-12-31..2028-01-02\n",
            2,
            "2028-01-01 不在声明的年份 2027 内",
        ),
        (
            "year: 2027\nholiday: 2027-02-14..2027-02-06\n",
            2,
            "区间 2027-02-14..2027-02-06 的结束日早于开始日",
        ),
        (
            "year: 2027\nworkday: 2027-02-15\n",
            2,
            "2027-02-15 是星期一；调休上班日须为星期六或星期日（周一至周五本来就上班）",
        ),
        (
            "year: 2027\nholiday: 2027-02-06..2027-02-14\nworkday: 2027-02-07\n",
            3,
            "2027-02-07 既是放假日又是调休上班日（见第 2 行）",
        ),
        (
            "year: 2027\nworkday: 2027-02-07\nholiday: 2027-02-06..2027-02-14\n",
            3,
            "2027-02-07 既是放假日又是调休上班日（见第 2 行）",
        ),
        (
            "year: 2027\nholiday: 2027-02-06..2027-02-10\nholiday: 2027-02-10..2027-02-14\n",
            3,
            "2027-02-10 重复列出（第一次在第 2 行）",
        ),
        (
            "# comment\n\nyear: 2027\n# another\nholiday: 2027-13-01\n",
            5,
            "“2027-13-01”不是有效日期",
        ),
    ],
    ids=[
        "empty-file",
        "only-comments",
        "entry-before-year",
        "two-digit-year",
        "year-twice",
        "missing-colon",
        "unknown-key",
        "slashed-date",
        "open-range",
        "impossible-date",
        "date-in-previous-year",
        "range-into-next-year",
        "reversed-range",
        "weekday-as-workday",
        "holiday-then-workday",
        "workday-then-holiday",
        "overlapping-ranges",
        "line-numbers-count-comments",
    ],
)
def test_parse_rejects_bad_files_with_the_line_number(
    text: str, line_no: int | None, message: str
) -> None:
    with pytest.raises(CalendarFileError) as caught:
        parse_year_file(text)
    assert caught.value.line_no == line_no
    assert caught.value.message == message
    expected = message if line_no is None else f"第 {line_no} 行：{message}"
    assert str(caught.value) == expected


def test_calendar_file_error_is_a_value_error() -> None:
    assert issubclass(CalendarFileError, ValueError)


def test_format_folds_consecutive_days_into_ranges_in_date_order() -> None:
    schedule = YearSchedule(
        year=2027,
        holidays=frozenset(span("2027-02-06", "2027-02-08") | span("2027-01-01")),
        makeup_workdays=frozenset(span("2027-01-30", "2027-01-31")),
        source="test",
        names={date(2027, 2, 6): "春节", date(2027, 2, 7): "春节"},
    )
    assert format_year_file(schedule) == (
        "# Working-day calendar for 2027 (source: test)\n"
        "# Format: docs/holiday-calendar-format.md\n"
        "year: 2027\n"
        "holiday: 2027-01-01\n"
        "workday: 2027-01-30..2027-01-31\n"
        "holiday: 2027-02-06..2027-02-07 # 春节\n"
        "holiday: 2027-02-08\n"
    )


@pytest.mark.parametrize("year", range(2004, 2027))
def test_every_seeded_year_survives_a_format_parse_round_trip(
    seeded: dict[int, YearSchedule], year: int
) -> None:
    schedule = seeded[year]
    assert parse_year_file(format_year_file(schedule), source=schedule.source) == schedule


def test_documented_example_is_what_format_writes_for_2026(
    seeded: dict[int, YearSchedule],
) -> None:
    example = re.search(r"```text\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    assert example.group(1) == format_year_file(seeded[2026])


def test_documented_error_messages_are_the_real_ones() -> None:
    table = DOC.read_text(encoding="utf-8").split("## Error messages", 1)[1]
    documented = re.findall(r"\| `(.+?)` \|$", table, re.MULTILINE)
    samples = [
        "",
        "holiday: 2027-01-01",
        "year: 2027\nholiday: 2027-01-01\nholiday: 2027-01-02\nyear: 2027",
        "year: 2027\n\nholiday 2027-01-01",
        "year: 2027\n\nvacation: 2027-01-01",
        "year: 2027\n\nholiday: 2027-02-30",
        "year: 2027\n\nholiday: 2026-12-31",
        "year: 2027\n\nholiday: 2027-02-14..2027-02-06",
        "year: 2027\n\n\nholiday: 2027-02-06..2027-02-14\nworkday: 2027-02-15",
        "year: 2027\n\n\nholiday: 2027-02-06..2027-02-14\n\nworkday: 2027-02-07",
        "year: 2027\n\n\nholiday: 2027-02-06..2027-02-14\n\nholiday: 2027-02-07",
    ]
    actual = []
    for text in samples:
        with pytest.raises(CalendarFileError) as caught:
            parse_year_file(text)
        actual.append(str(caught.value))
    assert documented == actual


# --- Properties ---------------------------------------------------------------------------


def year_schedules(year: int = 2027) -> st.SearchStrategy[YearSchedule]:
    days = [date(year, 1, 1) + timedelta(days=i) for i in range(365)]
    weekends = [d for d in days if d.weekday() >= 5]
    names = st.sampled_from(["元旦", "春节", "国庆节", "中秋", "a # b", ""])

    @st.composite
    def build(draw: st.DrawFn) -> YearSchedule:
        holidays = draw(st.frozensets(st.sampled_from(days), max_size=40))
        makeup = draw(st.frozensets(st.sampled_from(weekends), max_size=8)) - holidays
        named = draw(st.dictionaries(st.sampled_from(sorted(holidays | makeup) or days), names))
        named = {d: n for d, n in named.items() if d in holidays | makeup}
        return YearSchedule(year, holidays, makeup, "test", named)

    return build()


@PROPERTY
@given(year_schedules())
def test_any_schedule_survives_a_format_parse_round_trip(schedule: YearSchedule) -> None:
    assert parse_year_file(format_year_file(schedule), source="test") == schedule


@PROPERTY
@given(year_schedules(), st.dates(date(2026, 1, 1), date(2028, 12, 31)))
def test_day_kind_follows_the_schedule(schedule: YearSchedule, d: date) -> None:
    kind = WorkCalendar({2027: schedule}).day_kind(d)
    if d in schedule.holidays:
        assert kind is DayKind.HOLIDAY
    elif d in schedule.makeup_workdays:
        assert kind is DayKind.MAKEUP_WORKDAY
    else:
        assert kind is (DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY)


# --- Logging --------------------------------------------------------------------------------


def test_a_year_without_a_schedule_is_logged_once_as_read_weekends_only(caplog) -> None:
    caplog.set_level(logging.INFO, logger="complaints.calendar")
    calendar = WorkCalendar({})
    for offset in range(10):
        calendar.day_kind(date(2031, 3, 1) + timedelta(days=offset))
    assert [r.getMessage() for r in caplog.records] == [
        "calendar: no schedule for 2031; its days are counted as weekends-only (provisional "
        "until the year's schedule is loaded)",
    ]


def test_adding_and_replacing_a_year_is_logged(caplog) -> None:
    caplog.set_level(logging.INFO, logger="complaints.calendar")
    schedule = parse_year_file("year: 2031\nholiday: 2031-10-01..2031-10-07 # 国庆节\n"
                               "workday: 2031-09-28\n", source="admin upload")
    calendar = WorkCalendar({}).with_year(schedule)
    calendar.with_year(schedule)
    assert [r.getMessage() for r in caplog.records] == [
        "calendar: adding 2031's schedule (7 holidays, 1 make-up workdays, source admin upload)",
        "calendar: replacing 2031's schedule (7 holidays, 1 make-up workdays, source admin "
        "upload)",
    ]
    assert not re.search(r"1[3-9]\d{9}", caplog.text)
