"""The complaint response clock: N working days after receipt, counted per 民法典 201 and 203.

The day of receipt is not counted; day 1 is the first working day after it; the answer is due
by 24:00 local time of the Nth working day. 24:00 is represented as `due_at`, the aware
datetime 00:00 of the following calendar day, so "answered on time" is `answered_at < due_at`
and "overdue" is `now >= due_at`.

Each deadline computed is logged at DEBUG (logger `complaints.clock`: the days counted and the
weekend days, holidays and provisional years skipped over), an extension at INFO; only dates and
counts, never anything of the complaint.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from complaints.calendar import DayKind, WorkCalendar

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Far beyond any statutory answer period; guards against a typo turning into a year-long clock.
MAX_WORKING_DAYS = 60


class ClockStatus(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class CountedDay:
    """One calendar day after receipt and whether it counted towards the clock."""

    day: date
    kind: DayKind
    counted: bool
    count: int  # working days counted so far, this day included
    name: str | None = None  # the holiday it belongs to, when the schedule names it
    provisional: bool = False  # its year had no published schedule: weekends-only guess


@dataclass(frozen=True)
class Deadline:
    received_at: datetime
    due_at: datetime  # 00:00 local of the day after last_day, i.e. 24:00 of last_day
    last_day: date  # the Nth working day
    working_days: int
    provisional: bool  # some counted-over day lies in a year whose schedule is not known
    days: tuple[CountedDay, ...]  # every day from the day after receipt to last_day

    @property
    def tz(self) -> tzinfo:
        assert self.due_at.tzinfo is not None
        return self.due_at.tzinfo

    @property
    def received_day(self) -> date:
        """The local calendar day of receipt, which is never counted."""
        return self.received_at.astimezone(self.tz).date()


def compute_deadline(
    received_at: datetime,
    working_days: int,
    calendar: WorkCalendar,
    tz: ZoneInfo = SHANGHAI,
) -> Deadline:
    """The deadline `working_days` working days after the local day of `received_at`."""
    _require_aware(received_at, "received_at")
    _require_day_count(working_days, "working_days")
    received_day = received_at.astimezone(tz).date()
    days = _count_forward(received_day, working_days, calendar, already_counted=0)
    deadline = _deadline(received_at, working_days, days, tz)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("clock: received %s, %d working days -> due by 24:00 of %s (%s)",
                  received_day.isoformat(), working_days, deadline.last_day.isoformat(),
                  _skipped(days))
    return deadline


def extend(deadline: Deadline, extra_working_days: int, calendar: WorkCalendar) -> Deadline:
    """An approved extension: the clock runs on from the current last day."""
    _require_day_count(extra_working_days, "extra_working_days")
    total = deadline.working_days + extra_working_days
    if total > MAX_WORKING_DAYS:
        raise ValueError(f"extended clock of {total} working days exceeds {MAX_WORKING_DAYS}")
    more = _count_forward(
        deadline.last_day, extra_working_days, calendar, already_counted=deadline.working_days
    )
    extended = _deadline(deadline.received_at, total, deadline.days + more, deadline.tz)
    log.info("clock: extended by %d working days, from 24:00 of %s to 24:00 of %s (%s)",
             extra_working_days, deadline.last_day.isoformat(), extended.last_day.isoformat(),
             _skipped(more))
    return extended


def _skipped(days: tuple[CountedDay, ...]) -> str:
    """What a count passed over, for the log: 'skipped 3 holiday days (国庆节), 2 weekend days'."""
    kinds = Counter(c.kind for c in days if not c.counted)
    names = sorted({c.name for c in days if c.name and c.kind is DayKind.HOLIDAY})
    parts = [f"{n} {kind} days" + (f" ({'、'.join(names)})" if kind is DayKind.HOLIDAY and names
                                   else "")
             for kind, n in sorted(kinds.items())]
    text = "skipped " + ", ".join(parts) if parts else "no day skipped"
    makeup = sum(1 for c in days if c.kind is DayKind.MAKEUP_WORKDAY)
    if makeup:
        text += f"; {makeup} make-up workday counted"
    provisional = sorted({c.day.year for c in days if c.provisional})
    if provisional:
        text += f"; provisional: no schedule for {', '.join(map(str, provisional))}"
    return text


def working_days_left(deadline: Deadline, now: datetime, calendar: WorkCalendar) -> int:
    """Working days d with today <= d <= last_day (today counts until 24:00); 0 once overdue.

    Days before the first counted day are skipped, so on the day of receipt the answer is the
    full clock.
    """
    _require_aware(now, "now")
    if now >= deadline.due_at:
        return 0
    first = max(now.astimezone(deadline.tz).date(), deadline.received_day + timedelta(days=1))
    return sum(
        1
        for offset in range((deadline.last_day - first).days + 1)
        if calendar.is_workday(first + timedelta(days=offset))
    )


def status(
    deadline: Deadline, now: datetime, calendar: WorkCalendar, due_soon_days: int = 1
) -> ClockStatus:
    """Overdue from due_at on; due soon when at most `due_soon_days` working days are left."""
    if due_soon_days < 0:
        raise ValueError("due_soon_days must not be negative")
    _require_aware(now, "now")
    if now >= deadline.due_at:
        return ClockStatus.OVERDUE
    if working_days_left(deadline, now, calendar) <= due_soon_days:
        return ClockStatus.DUE_SOON
    return ClockStatus.ON_TIME


def answered_on_time(deadline: Deadline, answered_at: datetime) -> bool:
    _require_aware(answered_at, "answered_at")
    return answered_at < deadline.due_at


_KIND_LABELS = {
    DayKind.WORKDAY: "工作日",
    DayKind.WEEKEND: "周末",
    DayKind.HOLIDAY: "法定节假日",
    DayKind.MAKEUP_WORKDAY: "调休上班日",
}
_WEEKDAYS = "一二三四五六日"


def explain(deadline: Deadline) -> list[str]:
    """Short Chinese lines saying why the deadline falls where it does, one per day."""
    lines = [f"{_day_label(deadline.received_day)} 受理当日 不计"]
    for counted in deadline.days:
        label = _KIND_LABELS[counted.kind]
        if counted.name and counted.kind in (DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY):
            label += f"（{counted.name}）"
        verdict = f"计第{counted.count}日" if counted.counted else "不计"
        lines.append(f"{_day_label(counted.day)} {label} {verdict}")
    lines.append(
        f"答复期限：{deadline.last_day.isoformat()} 24:00 前（第{deadline.working_days}个工作日）"
    )
    if deadline.provisional:
        years = sorted({c.day.year for c in deadline.days if c.provisional})
        lines.append(
            f"{'、'.join(f'{y}年' for y in years)}节假日安排尚未公布，按周末计算，期限为暂定"
        )
    return lines


def _day_label(d: date) -> str:
    return f"{d.isoformat()} 周{_WEEKDAYS[d.weekday()]}"


def _count_forward(
    after: date, n: int, calendar: WorkCalendar, already_counted: int
) -> tuple[CountedDay, ...]:
    days: list[CountedDay] = []
    count = already_counted
    d = after
    while count < already_counted + n:
        d += timedelta(days=1)
        kind = calendar.day_kind(d)
        if kind.is_working:
            count += 1
        days.append(
            CountedDay(
                day=d,
                kind=kind,
                counted=kind.is_working,
                count=count,
                name=calendar.day_name(d),
                provisional=not calendar.is_known(d.year),
            )
        )
    return tuple(days)


def _deadline(
    received_at: datetime,
    working_days: int,
    days: tuple[CountedDay, ...],
    tz: tzinfo,
) -> Deadline:
    last_day = days[-1].day
    return Deadline(
        received_at=received_at,
        due_at=datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=tz),
        last_day=last_day,
        working_days=working_days,
        provisional=any(c.provisional for c in days),
        days=days,
    )


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _require_day_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    if not 1 <= value <= MAX_WORKING_DAYS:
        raise ValueError(f"{name} must be between 1 and {MAX_WORKING_DAYS}, got {value}")
