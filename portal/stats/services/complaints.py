"""Complaint statistics: received, answered on time, overdue, answer time, satisfaction.

Definitions (shown on the statistics page, asserted by tests/unit/stats):
- A complaint belongs to the local calendar month of its receipt and is counted once, however
  often it was reopened; its figures are those of its latest handling cycle (the row itself).
- Answered: status 已答复 or 已办结. A reopened complaint being handled again is open.
- On time: answered before `due_at`, the 24:00 of the last working day (so 23:59:59 of that day
  is on time and 00:00 of the next is late). Approved extensions and reopening move `due_at`; a
  provisional deadline (holiday schedule not yet published) is judged as stored.
- Overdue: answered late, or still open at `as_of` past its `due_at`.
- On-time rate: on time / (answered + open overdue), the complaints whose outcome is known.
- Answer time: working days from the day of receipt (not counted) to the day of the answer,
  using the holiday calendar; the median is taken over answered complaints.
- Satisfaction rate: (满意 + 基本满意) / complaints with feedback.
- Outcomes: answered complaints by the answering office's 核查结论 (查实, 部分查实, 不属实,
  无法核实); answered ones without (answered before outcomes were recorded) are 未记录.

Every figure is additive over months and groups (the answer time is kept as a histogram), so a
period's figures are the sum of monthly figures, some of them from stored snapshots.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, column, func, select, values
from sqlalchemy.orm import Session

from complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent
from complaints.rules.calendar import WorkCalendar
from portal.orgs.models import Department
from portal.stats.services.sql import day_number, local_day_number, local_month

ANSWERED = ("answered", "closed")
SATISFIED = ("satisfied", "basically_satisfied")
DIMENSIONS = ("category", "department_type", "district", "office")
NO_DISTRICT = "-"  # complaints about places without a district


@dataclass
class ComplaintCounts:
    received: int = 0
    answered: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    provisional: int = 0
    reopened: int = 0
    # Answered complaints by 核查结论 (complaints.services.handling.OUTCOMES); snapshots before: 0.
    substantiated: int = 0
    partly: int = 0
    unfounded: int = 0
    unverifiable: int = 0
    answer_days: Counter[int] = field(default_factory=Counter)

    @property
    def outcome_unknown(self) -> int:
        """Answered before outcomes were recorded (migration 0016)."""
        return self.answered - self.substantiated - self.partly - self.unfounded \
            - self.unverifiable

    @property
    def overdue(self) -> int:
        return self.late + self.open_overdue

    @property
    def judged(self) -> int:
        return self.answered + self.open_overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def median_answer_days(self) -> float | None:
        return weighted_median(self.answer_days)

    def add(self, other: ComplaintCounts) -> None:
        for f in fields(self):
            if f.name == "answer_days":
                self.answer_days.update(other.answer_days)
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["answer_days"] = {str(k): v for k, v in sorted(self.answer_days.items())}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ComplaintCounts:
        values_ = {f.name: int(data.get(f.name, 0)) for f in fields(cls) if f.name != "answer_days"}
        days = Counter({int(k): int(v) for k, v in data.get("answer_days", {}).items()})
        return cls(**values_, answer_days=days)


def weighted_median(histogram: Counter[int] | dict[int, int]) -> float | None:
    """The median of values given as {value: how many}; None when empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    ordered = sorted((v, n) for v, n in histogram.items() if n > 0)

    def nth(k: int) -> int:  # 0-based
        seen = 0
        for value, n in ordered:
            seen += n
            if k < seen:
                return value
        raise AssertionError("unreachable")

    if total % 2:
        return float(nth(total // 2))
    return (nth(total // 2 - 1) + nth(total // 2)) / 2


@dataclass
class Breakdown:
    """One month's (or a period's) figures: the total and by each dimension's key."""

    total: ComplaintCounts = field(default_factory=ComplaintCounts)
    by: dict[str, dict[str, ComplaintCounts]] = field(
        default_factory=lambda: {d: defaultdict(ComplaintCounts) for d in DIMENSIONS}
    )

    def add(self, other: Breakdown) -> None:
        self.total.add(other.total)
        for dim, groups in other.by.items():
            target = self.by.setdefault(dim, defaultdict(ComplaintCounts))
            for key, counts in groups.items():
                target[key].add(counts)

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total.to_json(),
                "by": {d: {k: c.to_json() for k, c in g.items()} for d, g in self.by.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Breakdown:
        result = cls(total=ComplaintCounts.from_json(data["total"]))
        for dim, groups in data.get("by", {}).items():
            target = result.by.setdefault(dim, defaultdict(ComplaintCounts))
            for key, counts in groups.items():
                target[key] = ComplaintCounts.from_json(counts)
        return result


def workday_index(calendar: WorkCalendar, first: date, last: date) -> list[tuple[int, int]]:
    """(day number, working days counted from `first` to that day inclusive) for each day."""
    rows, n, d = [], 0, first
    while d <= last:
        if calendar.is_workday(d):
            n += 1
        rows.append((day_number(d), n))
        d += timedelta(days=1)
    return rows


def _calendar_cte(rows: list[tuple[int, int]], name: str):
    return values(column("d", Integer), column("n", Integer), name=name,
                  literal_binds=True).data(rows).cte(name)


@dataclass(frozen=True)
class Scope:
    """Optional restriction: one office's or one institution's complaints."""

    office_id: int | None = None
    institution_id: int | None = None


def monthly_breakdowns(
    session: Session,
    first: date,
    end: date,
    *,
    tz: ZoneInfo,
    calendar: WorkCalendar,
    as_of: datetime,
    scope: Scope = Scope(),
) -> dict[str, Breakdown]:
    """{'YYYY-MM': Breakdown} for complaints received in [first, end) local time.

    One GROUP BY query over the complaints (plus a small join to a working-day index), so the
    cost is one scan of the period's rows whatever the number of groups.
    """
    start_utc = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end_utc = datetime.combine(end, datetime.min.time(), tzinfo=tz)
    # Answers come after receipt, up to now; a year's margin covers records dated later.
    last_day = max(end, as_of.astimezone(tz).date()) + timedelta(days=366)
    index = workday_index(calendar, first - timedelta(days=1), last_day)
    rc, ac = _calendar_cte(index, "rc"), _calendar_cte(index, "ac")
    c = Complaint
    answered = c.status.in_(ANSWERED)
    is_open = c.status.in_(OPEN_STATUSES)

    def count_if(condition) -> Any:
        return func.sum(case((condition, 1), else_=0))

    month = local_month(session, c.received_at, tz).label("month")
    wd = (ac.c.n - rc.c.n).label("wd")
    stmt = (
        select(
            month, c.category_code, c.responsible_department_id, c.district_id, wd,
            func.count(),
            count_if(answered),
            count_if(and_(answered, c.answered_at < c.due_at)),
            count_if(and_(answered, c.answered_at >= c.due_at)),
            count_if(is_open),
            count_if(and_(is_open, c.due_at <= as_of)),
            count_if(c.satisfaction.is_not(None)),
            count_if(c.satisfaction.in_(SATISFIED)),
            count_if(c.provisional),
            count_if(c.reopened_count > 0),
            *(count_if(and_(answered, c.outcome == code))
              for code in ("substantiated", "partly", "unfounded", "unverifiable")),
        )
        .select_from(c)
        .outerjoin(rc, and_(answered, rc.c.d == local_day_number(session, c.received_at, tz)))
        .outerjoin(ac, and_(answered, ac.c.d == local_day_number(session, c.answered_at, tz)))
        .where(c.received_at >= start_utc, c.received_at < end_utc)
        .group_by(month, c.category_code, c.responsible_department_id, c.district_id, wd)
    )
    if scope.office_id is not None:
        stmt = stmt.where(c.responsible_department_id == scope.office_id)
    if scope.institution_id is not None:
        stmt = stmt.where(c.institution_id == scope.institution_id)
    office_types = dict(session.execute(select(Department.id, Department.type_code)).all())
    result: dict[str, Breakdown] = defaultdict(Breakdown)
    for row in session.execute(stmt):
        counts = ComplaintCounts(*(int(v or 0) for v in row[5:]))
        if row.wd is not None:
            counts.answer_days[int(row.wd)] += counts.answered
        month_figures = result[row.month]
        month_figures.total.add(counts)
        keys = {
            "category": row.category_code,
            "department_type": office_types.get(row.responsible_department_id, ""),
            "district": str(row.district_id) if row.district_id else NO_DISTRICT,
            "office": str(row.responsible_department_id),
        }
        for dim, key in keys.items():
            month_figures.by[dim][key].add(counts)
    return dict(result)


def combine(breakdowns: list[Breakdown]) -> Breakdown:
    total = Breakdown()
    for b in breakdowns:
        total.add(b)
    return total


def misrouted_by_month(
    session: Session, first: date, end: date, tz: ZoneInfo
) -> dict[str, dict[int, tuple[int, int]]]:
    """{'YYYY-MM': {office id: (dispatched to it, returned by it as misrouted 退回)}}.

    Counted from the event log by the local month of the event: every dispatch (派单 or 改派)
    to the office, and every return by it.
    """
    e = ComplaintEvent
    start_utc = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    end_utc = datetime.combine(end, datetime.min.time(), tzinfo=tz)
    month = local_month(session, e.at, tz).label("month")
    rows = session.execute(
        select(month, e.department_id, e.kind, func.count())
        .where(e.kind.in_(("assigned", "transferred", "returned")),
               e.department_id.is_not(None), e.at >= start_utc, e.at < end_utc)
        .group_by(month, e.department_id, e.kind)
    ).all()
    result: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for key, office_id, kind, n in rows:
        result[key][office_id][1 if kind == "returned" else 0] += int(n)
    return {k: {o: (v[0], v[1]) for o, v in offices.items()} for k, offices in result.items()}


@dataclass(frozen=True)
class QueueHealth:
    open: int
    due_soon: int
    overdue: int
    unsigned: int


def queue_health(
    session: Session, now: datetime, soon: datetime, office_id: int | None = None
) -> dict[int, QueueHealth]:
    """{office id: open, due soon (before `soon`), overdue, unsigned} of open complaints now."""
    c = Complaint

    def count_if(condition) -> Any:
        return func.sum(case((condition, 1), else_=0))

    stmt = (
        select(c.responsible_department_id, func.count(),
               count_if(and_(c.due_at > now, c.due_at <= soon)),
               count_if(c.due_at <= now), count_if(c.status == "assigned"))
        .where(c.status.in_(OPEN_STATUSES))
        .group_by(c.responsible_department_id)
    )
    if office_id is not None:
        stmt = stmt.where(c.responsible_department_id == office_id)
    return {row[0]: QueueHealth(*(int(v or 0) for v in row[1:])) for row in session.execute(stmt)}


def month_series(breakdowns: dict[str, Breakdown], months: list[str]) -> list[ComplaintCounts]:
    """The total figures of each month in order (empty months give zero figures)."""
    return [breakdowns[m].total if m in breakdowns else ComplaintCounts() for m in months]
