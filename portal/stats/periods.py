"""Reporting periods: whole local calendar months, their UTC bounds and query-string parsing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

MAX_MONTHS = 36


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def add_month(d: date, months: int) -> date:
    """The first day of the month `months` after the month of `d`."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def parse_month(key: str) -> date:
    """'2026-03' -> date(2026, 3, 1); ValueError for anything else."""
    if len(key) != 7 or key[4] != "-":
        raise ValueError(f"not a month: {key!r}")
    return date(int(key[:4]), int(key[5:]), 1)


@dataclass(frozen=True)
class Period:
    """Whole months from `first` (the 1st of a month) up to but excluding `end` (a 1st)."""

    first: date
    end: date
    label: str

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.end.day != 1 or self.end <= self.first:
            raise ValueError("a period runs from the 1st of a month to the 1st of a later one")

    @property
    def months(self) -> list[str]:
        keys, d = [], self.first
        while d < self.end:
            keys.append(month_key(d))
            d = add_month(d, 1)
        return keys

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight of the first and the end day."""
        return (datetime.combine(self.first, time(0), tzinfo=tz),
                datetime.combine(self.end, time(0), tzinfo=tz))


def month_period(key: str) -> Period:
    first = parse_month(key)
    return Period(first, add_month(first, 1), f"{first.year}年{first.month}月")


def last_12_months(today: date) -> Period:
    """The current month and the 11 before it."""
    current = today.replace(day=1)
    return Period(add_month(current, -11), add_month(current, 1), "近12个月")


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year + 1, 1, 1), f"{year}年")


def is_closed(key: str, today: date) -> bool:
    """A month is closed once it has ended (its figures can be snapshotted)."""
    return add_month(parse_month(key), 1) <= today


def period_from_query(value: str | None, today: date, earliest_year: int = 2000) -> Period:
    """'12m' (default), 'YYYY' for a calendar year or 'YYYY-MM' for one month.

    Unknown or out-of-range values fall back to the last 12 months, so a bad link never fails.
    """
    value = (value or "").strip()
    try:
        if len(value) == 4 and value.isascii() and value.isdigit():
            year = int(value)
            if earliest_year <= year <= today.year:
                return calendar_year(year)
        elif len(value) == 7:
            period = month_period(value)
            if period.first.year >= earliest_year and period.first <= today:
                return period
    except ValueError:
        pass
    return last_12_months(today)


def previous_month(today: date) -> str:
    return month_key(add_month(today.replace(day=1), -1))
