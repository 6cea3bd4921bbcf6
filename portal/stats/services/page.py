"""Read models of the public statistics page and the departments' league table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import RoutingRule
from complaints.services.calendar_store import load_calendar
from portal.institutions.vocab import FILING_STATUSES, GRADES, KINDS, NATURES
from portal.orgs.models import Department, District
from portal.orgs.vocab import DEPARTMENT_TYPES
from portal.stats.rules.charts import Chart, Series, bar_chart, column_chart, line_chart
from portal.stats.rules.periods import Period, parse_month
from portal.stats.services.complaints import NO_DISTRICT, ComplaintCounts
from portal.stats.services.institutions import UNGRADED, InstitutionFigures, institution_figures
from portal.stats.services.snapshots import PeriodFigures, period_figures

DIMENSION_TITLES = {"category": "投诉类别", "department_type": "部门类型", "district": "区县"}


def month_label(key: str, first: bool = False) -> str:
    d = parse_month(key)
    return f"{d.year}年{d.month}月" if first or d.month == 1 else f"{d.month}月"


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    counts: ComplaintCounts


@dataclass(frozen=True)
class StatsPage:
    period: Period
    totals: ComplaintCounts
    months: list[tuple[str, ComplaintCounts]]
    charts: dict[str, Chart]
    tables: dict[str, list[Row]]
    institutions: InstitutionFigures
    institution_tables: dict[str, list[tuple[str, int]]]
    snapshot_months: list[str]
    live_months: list[str]


def group_labels(session: Session) -> dict[str, dict[str, str]]:
    """Chinese names for each dimension's keys."""
    categories = dict(session.execute(select(RoutingRule.code, RoutingRule.label)).all())
    districts = {str(i): n for i, n in session.execute(select(District.id, District.name))}
    districts[NO_DISTRICT] = "未注明区县"
    offices = {str(i): n for i, n in session.execute(select(Department.id, Department.name))}
    return {"category": categories, "department_type": dict(DEPARTMENT_TYPES),
            "district": districts, "office": offices}


def _rows(groups: dict[str, ComplaintCounts], labels: dict[str, str]) -> list[Row]:
    rows = [Row(k, labels.get(k, k), c) for k, c in groups.items() if c.received]
    return sorted(rows, key=lambda r: (-r.counts.received, r.label))


def build_stats_page(session: Session, period: Period, *, tz: ZoneInfo, now: datetime,
                     today: date) -> StatsPage:
    figures: PeriodFigures = period_figures(session, period, tz=tz,
                                            calendar=load_calendar(session), now=now)
    combined = figures.complaints
    keys = period.months
    labels = [month_label(k, i == 0) for i, k in enumerate(keys)]
    monthly = [figures.months[k].complaints.total for k in keys]
    names = group_labels(session)
    tables = {dim: _rows(combined.by.get(dim, {}), names[dim]) for dim in DIMENSION_TITLES}
    span = f"{period.label}（{keys[0]} 至 {keys[-1]}）"
    charts = {
        "monthly": column_chart(
            "chart-monthly", "每月受理与按时答复投诉数",
            f"{span}每月受理的投诉件数和其中按时答复的件数，数值标在柱上，下方表格列出全部数据。",
            labels, [Series("受理", [c.received for c in monthly]),
                     Series("按时答复", [c.on_time for c in monthly])]),
        "rates": line_chart(
            "chart-rates", "每月按时答复率与满意率",
            f"{span}每月的按时答复率（实线、圆点）和投诉人满意率（虚线、方块）。",
            labels, [Series("按时答复率", [c.on_time_rate for c in monthly]),
                     Series("满意率", [c.satisfaction_rate for c in monthly])]),
    }
    for dim, title in DIMENSION_TITLES.items():
        rows = tables[dim][:12]
        charts[dim] = bar_chart(
            f"chart-{dim.replace('_', '-')}", f"按{title}：受理与超期件数",
            f"{span}按{title}统计的受理件数（实心）和超期件数（斜线），受理最多的前 12 项。",
            [r.label for r in rows], [Series("受理", [r.counts.received for r in rows]),
                                      Series("超期", [r.counts.overdue for r in rows])])
    activity = [figures.months[k].activity for k in keys]
    charts["activity"] = column_chart(
        "chart-activity", "每月行政处罚与监督检查次数",
        f"{span}每月作出的行政处罚决定数（实心）和开展的监督检查次数（斜线）。",
        labels, [Series("行政处罚", [a.penalties for a in activity]),
                 Series("监督检查", [a.inspections for a in activity])])
    inst = institution_figures(session, today)
    grade_rows = [(GRADES[lvl], inst.by_grade.get(str(lvl), 0)) for lvl in range(5, 0, -1)]
    grade_rows.append(("未评定或已过期", inst.by_grade.get(UNGRADED, 0)))
    charts["grades"] = bar_chart(
        "chart-grades", "养老服务机构等级分布",
        f"截至{today.isoformat()}，按最近一次等级评定（在有效期内）统计的机构数。",
        [g for g, _ in grade_rows], [Series("机构数", [n for _, n in grade_rows])])
    institution_tables = {
        "kind": [(KINDS.get(k, k), inst.by_kind.get(k, 0)) for k in KINDS],
        "nature": [(NATURES.get(k, k), inst.by_nature.get(k, 0)) for k in NATURES],
        "filing": [(FILING_STATUSES.get(k, k), inst.by_filing.get(k, 0))
                   for k in FILING_STATUSES],
    }
    return StatsPage(
        period=period, totals=combined.total, months=list(zip(keys, monthly, strict=True)),
        charts=charts, tables=tables, institutions=inst, institution_tables=institution_tables,
        snapshot_months=sorted(figures.from_snapshot),
        live_months=[k for k in keys if k not in figures.from_snapshot],
    )


@dataclass(frozen=True)
class LeagueRow:
    office_id: int
    name: str
    type_label: str
    counts: ComplaintCounts
    dispatched: int
    returned: int

    @property
    def misrouted_rate(self) -> float | None:
        return self.returned / self.dispatched if self.dispatched else None


def league_table(session: Session, period: Period, *, tz: ZoneInfo, now: datetime
                 ) -> list[LeagueRow]:
    """Every office with complaints or dispatches in the period, best on-time rate first."""
    figures = period_figures(session, period, tz=tz, calendar=load_calendar(session), now=now)
    by_office = figures.complaints.by.get("office", {})
    misrouted = figures.misrouted()
    offices = session.execute(select(Department.id, Department.name, Department.type_code)).all()
    rows = []
    for office_id, name, type_code in offices:
        counts = by_office.get(str(office_id), ComplaintCounts())
        sent, back = misrouted.get(str(office_id), (0, 0))
        if counts.received or sent:
            rows.append(LeagueRow(office_id, name, DEPARTMENT_TYPES.get(type_code, type_code),
                                  counts, sent, back))

    def rank_key(r: LeagueRow) -> tuple:
        rate = r.counts.on_time_rate
        return (rate is None, -(rate or 0), r.counts.overdue, r.name)

    return sorted(rows, key=rank_key)
