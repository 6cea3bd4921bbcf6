"""Monthly figures, from a stored snapshot for closed months and computed live otherwise.

A month's snapshot is written once, after the month ends (portal.stats.tasks, nightly), and never
rewritten: later corrections to records do not change a published month's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints.rules.calendar import WorkCalendar
from portal.core.db import utcnow
from portal.stats.models import StatsSnapshot
from portal.stats.rules.periods import Period, add_month, is_closed, parse_month
from portal.stats.services.complaints import (
    Breakdown,
    combine,
    misrouted_by_month,
    monthly_breakdowns,
)
from portal.stats.services.institutions import MonthActivity, activity_by_month

MONTHLY = "monthly"


@dataclass
class MonthFigures:
    complaints: Breakdown = field(default_factory=Breakdown)
    activity: MonthActivity = field(default_factory=MonthActivity)
    # {office id: (dispatched to it, returned by it as misrouted)}
    misrouted: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"complaints": self.complaints.to_json(), "activity": self.activity.to_json(),
                "misrouted": {k: list(v) for k, v in self.misrouted.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MonthFigures:
        return cls(Breakdown.from_json(data["complaints"]),
                   MonthActivity.from_json(data.get("activity", {})),
                   {k: (int(v[0]), int(v[1])) for k, v in data.get("misrouted", {}).items()})


@dataclass
class PeriodFigures:
    period: Period
    months: dict[str, MonthFigures]
    from_snapshot: set[str]

    @property
    def complaints(self) -> Breakdown:
        return combine([m.complaints for m in self.months.values()])

    def misrouted(self) -> dict[str, tuple[int, int]]:
        total: dict[str, tuple[int, int]] = {}
        for m in self.months.values():
            for office, (sent, back) in m.misrouted.items():
                s, b = total.get(office, (0, 0))
                total[office] = (s + sent, b + back)
        return total


def compute_months(session: Session, first: date, end: date, *, tz: ZoneInfo,
                   calendar: WorkCalendar, as_of: datetime) -> dict[str, MonthFigures]:
    """Live figures of every month in [first, end): one query per kind of figure."""
    complaints = monthly_breakdowns(session, first, end, tz=tz, calendar=calendar, as_of=as_of)
    activity = activity_by_month(session, first, end)
    misrouted = misrouted_by_month(session, first, end, tz)
    result: dict[str, MonthFigures] = {}
    d = first
    while d < end:
        key = f"{d.year:04d}-{d.month:02d}"
        result[key] = MonthFigures(complaints.get(key, Breakdown()),
                                   activity.get(key, MonthActivity()),
                                   {str(k): v for k, v in misrouted.get(key, {}).items()})
        d = add_month(d, 1)
    return result


def load_snapshots(session: Session, months: list[str]) -> dict[str, MonthFigures]:
    rows = session.scalars(select(StatsSnapshot).where(
        StatsSnapshot.kind == MONTHLY, StatsSnapshot.period.in_(months)))
    return {row.period: MonthFigures.from_json(row.payload) for row in rows}


def period_figures(session: Session, period: Period, *, tz: ZoneInfo, calendar: WorkCalendar,
                   now: datetime) -> PeriodFigures:
    """Each month of the period: its snapshot when one exists, otherwise live figures."""
    months = period.months
    stored = load_snapshots(session, months)
    live_keys = [m for m in months if m not in stored]
    live: dict[str, MonthFigures] = {}
    if live_keys:
        first, last = parse_month(live_keys[0]), parse_month(live_keys[-1])
        live = compute_months(session, first, add_month(last, 1), tz=tz, calendar=calendar,
                              as_of=now)
    merged = {m: stored[m] if m in stored else live.get(m, MonthFigures()) for m in months}
    return PeriodFigures(period, merged, set(stored))


def store_month(session: Session, key: str, *, tz: ZoneInfo, calendar: WorkCalendar,
                now: datetime | None = None) -> bool:
    """Write the snapshot of a closed month once; False if it exists or the month is open."""
    now = now or utcnow()
    if not is_closed(key, now.astimezone(tz).date()):
        return False
    if session.scalar(select(StatsSnapshot.id).where(
            StatsSnapshot.kind == MONTHLY, StatsSnapshot.period == key)) is not None:
        return False
    first = parse_month(key)
    figures = compute_months(session, first, add_month(first, 1), tz=tz, calendar=calendar,
                             as_of=now)[key]
    try:
        with session.begin_nested():
            session.add(StatsSnapshot(kind=MONTHLY, period=key, computed_at=now,
                                      payload=figures.to_json()))
    except IntegrityError:  # another worker stored it first
        return False
    return True
