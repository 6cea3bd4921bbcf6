"""The working-day calendar as data: statutory holidays and 调休 make-up workdays per year.

Logged (logger `complaints.calendar`): a year without a schedule read as weekends only (INFO,
once per calendar and year), a year's schedule added or replaced, schedules loaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType

log = logging.getLogger(__name__)

SATURDAY = 5


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    # A Saturday or Sunday officially worked to make up for a holiday (调休上班).
    MAKEUP_WORKDAY = "makeup_workday"

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule; a year absent from the calendar is 'unknown'."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str
    # Optional display names ("春节", "国庆节") for holiday and make-up dates. Kept out of the
    # hash because a mapping is not hashable; it still takes part in equality.
    names: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Coerce so a set or list passed by a caller cannot be mutated behind our back.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "makeup_workdays", frozenset(self.makeup_workdays))
        outside = sorted(d for d in self.holidays | self.makeup_workdays if d.year != self.year)
        if outside:
            raise ValueError(f"dates outside {self.year}: {_iso_list(outside)}")
        both = sorted(self.holidays & self.makeup_workdays)
        if both:
            raise ValueError(f"dates both holiday and make-up workday: {_iso_list(both)}")
        weekdays = sorted(d for d in self.makeup_workdays if d.weekday() < SATURDAY)
        if weekdays:
            raise ValueError(
                f"make-up workdays must be Saturdays or Sundays: {_iso_list(weekdays)}"
            )
        names: dict[date, str] = {}
        for d, name in self.names.items():
            if d not in self.holidays and d not in self.makeup_workdays:
                raise ValueError(f"name given for {d.isoformat()}, which is not listed")
            if "\n" in name or "\r" in name:
                raise ValueError(f"name for {d.isoformat()} spans several lines")
            if name.strip():
                names[d] = name.strip()
        object.__setattr__(self, "names", MappingProxyType(names))


class WorkCalendar:
    """Answers 'is this a working day?' from per-year schedules; unknown years fall back to weekends."""

    def __init__(self, schedules: Mapping[int, YearSchedule] | None = None) -> None:
        schedules = dict(schedules or {})
        for year, schedule in schedules.items():
            if schedule.year != year:
                raise ValueError(f"schedule for {schedule.year} filed under {year}")
        self._schedules = schedules
        self._guessed: set[int] = set()  # years already logged as read without a schedule

    def __repr__(self) -> str:
        return f"WorkCalendar(known_years={self.known_years()!r})"

    def known_years(self) -> list[int]:
        return sorted(self._schedules)

    def is_known(self, year: int) -> bool:
        return year in self._schedules

    def schedule(self, year: int) -> YearSchedule | None:
        return self._schedules.get(year)

    def with_year(self, schedule: YearSchedule) -> WorkCalendar:
        """A new calendar with `schedule` added or replacing that year (an admin upload)."""
        log.info("calendar: %s %d's schedule (%d holidays, %d make-up workdays, source %s)",
                 "replacing" if schedule.year in self._schedules else "adding", schedule.year,
                 len(schedule.holidays), len(schedule.makeup_workdays), schedule.source)
        return WorkCalendar({**self._schedules, schedule.year: schedule})

    def day_kind(self, d: date) -> DayKind:
        schedule = self._schedules.get(d.year)
        if schedule is not None:
            if d in schedule.holidays:
                return DayKind.HOLIDAY
            if d in schedule.makeup_workdays:
                return DayKind.MAKEUP_WORKDAY
        elif d.year not in self._guessed:
            self._guessed.add(d.year)
            log.info("calendar: no schedule for %d; its days are counted as weekends-only "
                     "(provisional until the year's schedule is loaded)", d.year)
        return DayKind.WEEKEND if d.weekday() >= SATURDAY else DayKind.WORKDAY

    def is_workday(self, d: date) -> bool:
        return self.day_kind(d).is_working

    def day_name(self, d: date) -> str | None:
        """The holiday a date belongs to (or makes up for), when the schedule names it."""
        schedule = self._schedules.get(d.year)
        return schedule.names.get(d) if schedule is not None else None


def chinesecalendar_years() -> range:
    """The years the installed chinesecalendar package has data for (2004–2026 in 1.11.0)."""
    import chinese_calendar

    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def schedules_from_chinesecalendar(years: Iterable[int] | None = None) -> dict[int, YearSchedule]:
    """Seed schedules from chinesecalendar; a year it does not cover raises ValueError.

    Its `holidays` dict lists only statutory holiday periods (weekend days inside a period
    included, ordinary weekends never) and its `workdays` dict only weekend days worked in lieu,
    so they map directly onto our holidays and make-up workdays, split by calendar year (a New
    Year period can start in December).
    """
    import chinese_calendar

    covered = chinesecalendar_years()
    wanted = sorted(set(covered if years is None else years))
    missing = [y for y in wanted if y not in covered]
    if missing:
        raise ValueError(
            f"chinesecalendar {chinese_calendar.__version__} has no data for "
            f"{', '.join(map(str, missing))} (covers {covered.start}–{covered.stop - 1})"
        )
    source = f"chinesecalendar {chinese_calendar.__version__}"
    result: dict[int, YearSchedule] = {}
    for year in wanted:
        holidays = {d: v for d, v in chinese_calendar.holidays.items() if d.year == year}
        workdays = {d: v for d, v in chinese_calendar.workdays.items() if d.year == year}
        names = {d: _chinese_holiday_name(v) for d, v in (holidays | workdays).items()}
        result[year] = YearSchedule(
            year=year,
            holidays=frozenset(holidays),
            makeup_workdays=frozenset(workdays),
            source=source,
            names=names,
        )
    log.info("calendar: %d year(s) of schedules from %s", len(result), source)
    return result


def _chinese_holiday_name(english: str) -> str:
    from chinese_calendar import Holiday

    try:
        return Holiday(english).chinese
    except ValueError:
        return english


# --- The admin upload file (docs/holiday-calendar-format.md) --------------------------------


class CalendarFileError(ValueError):
    """A holiday calendar file that cannot be loaded; line_no is None for whole-file problems."""

    def __init__(self, line_no: int | None, message: str) -> None:
        super().__init__(line_no, message)
        self.line_no = line_no
        self.message = message

    def __str__(self) -> str:
        return self.message if self.line_no is None else f"第 {self.line_no} 行：{self.message}"


_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z]+)\s*:\s*(?P<value>.*)$")
_YEAR = re.compile(r"^\d{4}$")
_DATE = r"\d{4}-\d{2}-\d{2}"
_DATES = re.compile(rf"^(?P<start>{_DATE})(?:\s*\.\.\s*(?P<end>{_DATE}))?$")
WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_KINDS = {"holiday": DayKind.HOLIDAY, "workday": DayKind.MAKEUP_WORKDAY}


def parse_year_file(text: str, source: str = "admin upload") -> YearSchedule:
    """Parse one year's holiday file; raise CalendarFileError naming the first bad line."""
    year: int | None = None
    year_line = 0
    seen: dict[date, tuple[DayKind, int]] = {}
    names: dict[date, str] = {}
    for line_no, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        body, has_name, name = stripped.partition("#")
        match = _KEY_VALUE.match(body.strip())
        if match is None:
            raise CalendarFileError(line_no, f"格式应为“键: 值”，这一行是“{body.strip()}”")
        key, value = match["key"].lower(), match["value"].strip()

        if year is None:
            if key != "year":
                raise CalendarFileError(line_no, "第一项须为年份行“year: YYYY”")
            if not _YEAR.match(value) or int(value) < 1:
                raise CalendarFileError(line_no, f"年份须为四位数字，这里是“{value}”")
            year, year_line = int(value), line_no
            continue
        if key == "year":
            raise CalendarFileError(line_no, f"年份重复声明（第一次在第 {year_line} 行）")
        kind = _KINDS.get(key)
        if kind is None:
            raise CalendarFileError(
                line_no, f"未知的项目“{key}”，只能是 holiday（放假）或 workday（调休上班）"
            )

        for d in _parse_dates(value, line_no):
            if d.year != year:
                raise CalendarFileError(line_no, f"{d.isoformat()} 不在声明的年份 {year} 内")
            if kind is DayKind.MAKEUP_WORKDAY and d.weekday() < SATURDAY:
                raise CalendarFileError(
                    line_no,
                    f"{d.isoformat()} 是{WEEKDAY_NAMES[d.weekday()]}；调休上班日须为星期六或星期日"
                    "（周一至周五本来就上班）",
                )
            if d in seen:
                other_kind, other_line = seen[d]
                if other_kind is kind:
                    raise CalendarFileError(
                        line_no, f"{d.isoformat()} 重复列出（第一次在第 {other_line} 行）"
                    )
                raise CalendarFileError(
                    line_no,
                    f"{d.isoformat()} 既是放假日又是调休上班日（见第 {other_line} 行）",
                )
            seen[d] = (kind, line_no)
            if has_name and name.strip():
                names[d] = name.strip()

    if year is None:
        raise CalendarFileError(None, "缺少年份行“year: YYYY”")
    return YearSchedule(
        year=year,
        holidays=frozenset(d for d, (k, _) in seen.items() if k is DayKind.HOLIDAY),
        makeup_workdays=frozenset(d for d, (k, _) in seen.items() if k is DayKind.MAKEUP_WORKDAY),
        source=source,
        names=names,
    )


def _parse_dates(value: str, line_no: int) -> list[date]:
    match = _DATES.match(value)
    if match is None:
        raise CalendarFileError(
            line_no, f"日期应为 YYYY-MM-DD 或区间 YYYY-MM-DD..YYYY-MM-DD，这里是“{value}”"
        )
    try:
        start = date.fromisoformat(match["start"])
        end = date.fromisoformat(match["end"]) if match["end"] else start
    except ValueError as exc:
        raise CalendarFileError(line_no, f"“{value}”不是有效日期") from exc
    if end < start:
        raise CalendarFileError(
            line_no, f"区间 {start.isoformat()}..{end.isoformat()} 的结束日早于开始日"
        )
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def format_year_file(schedule: YearSchedule) -> str:
    """Write a schedule in the upload format, consecutive same-name dates folded into ranges."""
    lines = [
        f"# Working-day calendar for {schedule.year} (source: {schedule.source})",
        "# Format: docs/holiday-calendar-format.md",
        f"year: {schedule.year}",
    ]
    entries = sorted(
        [(d, "holiday") for d in schedule.holidays]
        + [(d, "workday") for d in schedule.makeup_workdays]
    )
    runs: list[tuple[str, date, date, str | None]] = []
    for d, key in entries:
        name = schedule.names.get(d)
        if runs:
            last_key, start, end, last_name = runs[-1]
            if last_key == key and last_name == name and end + timedelta(days=1) == d:
                runs[-1] = (key, start, d, name)
                continue
        runs.append((key, d, d, name))
    for key, start, end, name in runs:
        dates = start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"
        lines.append(f"{key}: {dates}" + (f" # {name}" if name else ""))
    return "\n".join(lines) + "\n"


def _iso_list(dates: Iterable[date]) -> str:
    return ", ".join(d.isoformat() for d in dates)
