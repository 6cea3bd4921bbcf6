"""Institution statistics: counts by grade, kind, nature and filing state; GB 38600 compliance;
grading coverage; penalties and inspections by month.

Definitions:
- An institution's grade is its most recent award (latest `awarded_on`, then latest record);
  it counts as graded on `today` when that award has no end date or ends on or after `today`.
- GB 38600 and grading apply to 养老机构 (kind "residential") that are registered (filing state
  other than 未登记): compliance rate = those whose latest grade found them compliant / all of
  them; coverage = those graded on `today` / all of them.
- Penalties by decision date, inspections by inspection date, both in calendar months.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from portal.institutions.models import Grade, Inspection, Institution, Penalty
from portal.stats.services.sql import date_month

UNGRADED = "none"
SUBJECT_KINDS = ("residential",)


@dataclass(frozen=True)
class Share:
    """`part` out of `whole`, with the rate (None when there is nothing to divide by)."""

    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        return self.part / self.whole if self.whole else None


@dataclass
class InstitutionFigures:
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_nature: dict[str, int] = field(default_factory=dict)
    by_filing: dict[str, int] = field(default_factory=dict)
    by_grade: dict[str, int] = field(default_factory=dict)  # "1".."5" and UNGRADED
    gb38600: Share = Share(0, 0)
    gb38600_assessed: int = 0
    grading: Share = Share(0, 0)


def _latest_grades():
    """One row per institution: its most recent grade (window function, no per-row queries)."""
    ranked = select(
        Grade.institution_id, Grade.level, Grade.valid_until, Grade.gb38600_compliant,
        func.row_number().over(partition_by=Grade.institution_id,
                               order_by=(Grade.awarded_on.desc(), Grade.id.desc())).label("rn"),
    ).subquery()
    return select(ranked).where(ranked.c.rn == 1).subquery("latest_grade")


def institution_figures(session: Session, today: date, district_id: int | None = None
                        ) -> InstitutionFigures:
    """Counts over all institutions (optionally of one district) as of `today`."""
    inst = Institution
    where = [inst.district_id == district_id] if district_id is not None else []
    result = InstitutionFigures()
    for column, target in ((inst.kind, result.by_kind), (inst.nature, result.by_nature),
                           (inst.filing_status, result.by_filing)):
        for key, n in session.execute(
                select(column, func.count()).where(*where).group_by(column)):
            target[key] = int(n)
    result.total = sum(result.by_kind.values())

    g = _latest_grades()
    current = and_(g.c.level.is_not(None), or_(g.c.valid_until.is_(None), g.c.valid_until >= today))
    level = case((current, g.c.level), else_=None).label("level")
    for lvl, n in session.execute(
            select(level, func.count()).select_from(inst)
            .outerjoin(g, g.c.institution_id == inst.id).where(*where).group_by(level)):
        result.by_grade[str(lvl) if lvl is not None else UNGRADED] = int(n)

    subject = and_(inst.kind.in_(SUBJECT_KINDS), inst.filing_status != "unregistered", *where)
    row = session.execute(
        select(func.count(),
               func.sum(case((g.c.gb38600_compliant.is_(True), 1), else_=0)),
               func.sum(case((g.c.level.is_not(None), 1), else_=0)),
               func.sum(case((current, 1), else_=0)))
        .select_from(inst).outerjoin(g, g.c.institution_id == inst.id).where(subject)
    ).one()
    population = int(row[0] or 0)
    result.gb38600 = Share(int(row[1] or 0), population)
    result.gb38600_assessed = int(row[2] or 0)
    result.grading = Share(int(row[3] or 0), population)
    return result


@dataclass
class MonthActivity:
    penalties: int = 0
    penalty_amount: Decimal = Decimal("0")
    inspections: int = 0

    def to_json(self) -> dict[str, object]:
        return {"penalties": self.penalties, "penalty_amount": str(self.penalty_amount),
                "inspections": self.inspections}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MonthActivity:
        return cls(int(data.get("penalties", 0)), Decimal(str(data.get("penalty_amount", "0"))),
                   int(data.get("inspections", 0)))


def activity_by_month(session: Session, first: date, end: date,
                      institution_id: int | None = None) -> dict[str, MonthActivity]:
    """{'YYYY-MM': penalties decided, their amount, inspections held} in [first, end)."""
    result: dict[str, MonthActivity] = defaultdict(MonthActivity)
    p_month = date_month(session, Penalty.decided_on).label("month")
    stmt = (select(p_month, func.count(), func.coalesce(func.sum(Penalty.amount), 0))
            .where(Penalty.decided_on >= first, Penalty.decided_on < end).group_by(p_month))
    if institution_id is not None:
        stmt = stmt.where(Penalty.institution_id == institution_id)
    for month, n, amount in session.execute(stmt):
        result[month].penalties = int(n)
        result[month].penalty_amount = Decimal(str(amount))
    i_month = date_month(session, Inspection.inspected_on).label("month")
    stmt = (select(i_month, func.count())
            .where(Inspection.inspected_on >= first, Inspection.inspected_on < end)
            .group_by(i_month))
    if institution_id is not None:
        stmt = stmt.where(Inspection.institution_id == institution_id)
    for month, n in session.execute(stmt):
        result[month].inspections = int(n)
    return dict(result)
