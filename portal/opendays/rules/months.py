"""The open-day calendar's month: read from ?month=YYYY-MM and kept to the years it can show."""

from __future__ import annotations

from datetime import date, datetime

# A calendar page also needs the months either side; far years are typing errors (and year 1
# or 9999 has no month before or after it: date arithmetic overflows).
YEARS = (2000, 2099)


class MonthOutOfRange(ValueError):
    """A well-formed month outside YEARS."""

    message = f"只能查看 {YEARS[0]} 年至 {YEARS[1]} 年的开放日月历，请检查月份。"


def calendar_month(raw: str, today: date) -> date:
    """The first day of the month asked for; blank or junk means this month."""
    try:
        first = datetime.strptime(raw, "%Y-%m").date() if raw else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)
    if not YEARS[0] <= first.year <= YEARS[1]:
        raise MonthOutOfRange(raw)
    return first


def neighbours(first: date) -> tuple[date | None, date | None]:
    """The first days of the previous and next months, None past the ends of YEARS."""
    before = date(first.year - 1, 12, 1) if first.month == 1 else first.replace(month=first.month - 1)
    after = date(first.year + 1, 1, 1) if first.month == 12 else first.replace(month=first.month + 1)
    return (before if before.year >= YEARS[0] else None,
            after if after.year <= YEARS[1] else None)
