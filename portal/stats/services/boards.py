"""Read models of the internal dashboards: one office, all offices, one institution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.rules.calendar import WorkCalendar
from portal.institutions.services.page import InstitutionPage, load_page
from portal.orgs.models import Department
from portal.stats.rules.charts import Chart, Series, column_chart, line_chart
from portal.stats.rules.periods import last_12_months
from portal.stats.services.complaints import (
    Breakdown,
    ComplaintCounts,
    QueueHealth,
    Scope,
    combine,
    monthly_breakdowns,
    queue_health,
)
from portal.stats.services.page import month_label

NO_QUEUE = QueueHealth(0, 0, 0, 0)


@dataclass(frozen=True)
class Trend:
    months: list[str]
    counts: list[ComplaintCounts]
    total: ComplaintCounts
    volume: Chart
    rates: Chart


def trend(session: Session, scope: Scope, *, chart_prefix: str, who: str, tz: ZoneInfo,
          calendar: WorkCalendar, now: datetime) -> Trend:
    """Twelve months of one office's or institution's complaints, live, as two charts."""
    period = last_12_months(now.astimezone(tz).date())
    months = monthly_breakdowns(session, period.first, period.end, tz=tz, calendar=calendar,
                                as_of=now, scope=scope)
    keys = period.months
    counts = [months.get(k, Breakdown()).total for k in keys]
    labels = [month_label(k, i == 0) for i, k in enumerate(keys)]
    volume = column_chart(
        f"{chart_prefix}-volume", f"{who}近12个月受理与超期投诉",
        f"{who}近12个月每月受理的投诉（实心）和其中超期的件数（斜线）。", labels,
        [Series("受理", [c.received for c in counts]), Series("超期", [c.overdue for c in counts])])
    rates = line_chart(
        f"{chart_prefix}-rates", f"{who}近12个月按时答复率与满意率",
        f"{who}近12个月每月的按时答复率（实线、圆点）和满意率（虚线、方块）。", labels,
        [Series("按时答复率", [c.on_time_rate for c in counts]),
         Series("满意率", [c.satisfaction_rate for c in counts])])
    total = combine(list(months.values())).total
    return Trend(keys, counts, total, volume, rates)


@dataclass(frozen=True)
class OfficeBoard:
    office: Department
    health: QueueHealth
    trend: Trend


def office_board(session: Session, office: Department, *, now: datetime, soon: datetime,
                 tz: ZoneInfo, calendar: WorkCalendar) -> OfficeBoard:
    health = queue_health(session, now, soon, office.id).get(office.id, NO_QUEUE)
    return OfficeBoard(office, health, trend(session, Scope(office_id=office.id),
                                             chart_prefix="office", who="本部门", tz=tz,
                                             calendar=calendar, now=now))


@dataclass(frozen=True)
class OfficeRank:
    office: Department
    health: QueueHealth
    counts: ComplaintCounts


def office_ranking(session: Session, *, now: datetime, soon: datetime, tz: ZoneInfo,
                   calendar: WorkCalendar) -> list[OfficeRank]:
    """Every office with open or recent complaints: most overdue first, then lowest on-time rate.

    Two GROUP BY queries in all (queue health now, and the last 12 months' figures by office).
    """
    period = last_12_months(now.astimezone(tz).date())
    months = monthly_breakdowns(session, period.first, period.end, tz=tz, calendar=calendar,
                                as_of=now)
    by_office = combine(list(months.values())).by.get("office", {})
    health = queue_health(session, now, soon)
    rows = []
    for office in session.scalars(select(Department).order_by(Department.id)):
        h = health.get(office.id, NO_QUEUE)
        counts = by_office.get(str(office.id), ComplaintCounts())
        if h.open or counts.received:
            rows.append(OfficeRank(office, h, counts))

    def key(r: OfficeRank) -> tuple:
        rate = r.counts.on_time_rate
        return (-r.health.overdue, rate is None, rate if rate is not None else 0, r.office.name)

    return sorted(rows, key=key)


@dataclass(frozen=True)
class InstitutionBoard:
    page: InstitutionPage
    trend: Trend


def institution_board(session: Session, institution_id: int, *, now: datetime, today: date,
                      tz: ZoneInfo, calendar: WorkCalendar) -> InstitutionBoard | None:
    page = load_page(session, institution_id, today, now=now)
    if page is None:
        return None
    return InstitutionBoard(page, trend(session, Scope(institution_id=institution_id),
                                        chart_prefix="inst", who="本机构", tz=tz,
                                        calendar=calendar, now=now))
