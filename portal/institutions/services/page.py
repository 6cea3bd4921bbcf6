"""Assembling an institution's public page: its records, flags, completeness and complaint figures.

Rows are loaded here (a handful of queries, none per row), turned into the facts of
portal/institutions/rules/facts.py and fed to the pure rules with the caller's `today`.
`page_json.page_json` is the same page for the JSON API, so the API and the HTML show one set of
data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from portal.backoffice.services.current import latest_resources
from portal.backoffice.services.public import Published, load_published
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
    RecordRevision,
    ServiceResources,
)
from portal.institutions.rules.checks import compute_flags
from portal.institutions.rules.completeness import Completeness, completeness
from portal.institutions.rules.facts import (
    Facts,
    FeeFacts,
    GradeFacts,
    InspectionFacts,
    InstitutionFacts,
    MonthlyTotal,
    ResourceFacts,
    monthly_totals,
)
from portal.institutions.rules.flags import SEVERITY_LABELS, Flag
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS, Thresholds
from portal.institutions.services.credit_status import CreditStatus
from portal.institutions.services.page_live import ComplaintStats, load_live, with_open_days
from portal.opendays.services.events import InstitutionOpenDays

COMPLAINT_WINDOW_DAYS = 365


class ShownPage:
    """What the page's per-view parts read, for the live page and the stored document alike:
    the grade's age, the monthly totals, the flag counts (subclasses give `today`, `grade`,
    `totals` and `flags`)."""

    # Built page parts (pagedoc.DocPage); empty: the template renders them from the rows.
    fragments: ClassVar[tuple[str, ...]] = ()
    today: date
    grade: Any
    totals: dict[str | None, MonthlyTotal]
    flags: list[Flag]
    credit_status: CreditStatus  # 履约评价 and red-list blockers on `today`

    @property
    def grade_age(self) -> str:
        """'3 年前' / '5 个月前' / '本月' for the grade award date."""
        if self.grade is None:
            return ""
        months = (self.today.year - self.grade.awarded_on.year) * 12 + (
            self.today.month - self.grade.awarded_on.month
        )
        if self.today.day < self.grade.awarded_on.day:
            months -= 1
        if months >= 12:
            return f"{months // 12} 年前"
        return f"{months} 个月前" if months > 0 else "不到 1 个月前"

    def total_for(self, level: str | None) -> MonthlyTotal | None:
        if level:
            return self.totals.get(level) or self.totals.get(None)
        if not self.totals:
            return None
        values = list(self.totals.values())
        return MonthlyTotal(None, min(t.low for t in values), max(t.high for t in values))

    @property
    def flag_counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.flags if f.severity == s) for s in SEVERITY_LABELS}


@dataclass(frozen=True)
class InstitutionPage(ShownPage):
    inst: Institution
    fees: list[FeeItem]  # current
    fee_history: list[FeeItem]  # closed rows (effective_to set), newest first
    resources: ServiceResources | None
    grade: Grade | None
    inspections: list[Inspection]
    penalties: list[Penalty]
    credit: list[CreditEntry]
    flags: list[Flag]
    completeness: Completeness
    complaints: ComplaintStats
    totals: dict[str | None, MonthlyTotal]
    today: date
    # Rules, credit commitment and change history from the back office.
    published: Published = field(default_factory=Published)
    open_days: InstitutionOpenDays = field(
        default_factory=lambda: InstitutionOpenDays([], [], None))
    facts: Facts | None = None  # what the flags and completeness were computed from
    credit_status: CreditStatus = field(default_factory=CreditStatus)
    # Inspections and penalties withdrawn by their office (corrections.py), newest first.
    withdrawals: list[RecordRevision] = field(default_factory=list)

    @property
    def last_updated(self) -> datetime | None:
        """The later of the institution row's update and the last published back-office change."""
        stamps = [t for t in (self.inst.updated_at, self.published.last_updated) if t]
        return max(stamps) if stamps else None


def facts_for(
    inst: Institution,
    fees: list[FeeItem],
    resources: ServiceResources | None,
    grade: Grade | None,
    inspections: list[Inspection],
    rule_titles: tuple[str, ...] = (),
    credit_commitment: bool = False,
    last_open_day: date | None = None,
    open_days_checked: bool = False,
) -> Facts:
    return Facts(
        rule_titles=rule_titles,
        credit_commitment=credit_commitment,
        last_open_day=last_open_day,
        open_days_checked=open_days_checked,
        institution=InstitutionFacts.from_obj(inst),
        fees=tuple(FeeFacts.from_obj(f) for f in fees),
        resources=ResourceFacts.from_obj(resources) if resources else None,
        grade=GradeFacts.from_obj(grade) if grade else None,
        inspections=tuple(
            InspectionFacts.from_obj(i, department_name=i.department.name) for i in inspections
        ),
    )


# The page's statements are built once with bind parameters: every view runs all of them, and
# building an ORM statement took longer (≈ 0.1 ms each) than SQLite took to answer it.
_INSTITUTION = select(Institution).options(
    joinedload(Institution.district), joinedload(Institution.street)
).where(Institution.id == bindparam("institution_id"))
_FEES = select(FeeItem).where(
    FeeItem.institution_id == bindparam("institution_id")).order_by(FeeItem.id)
_GRADE = select(Grade).where(Grade.institution_id == bindparam("institution_id")).order_by(
    Grade.awarded_on.desc(), Grade.id.desc()).limit(1)


def _dated(model, date_column):
    """An institution's records of one kind with their department, newest first."""
    return (
        select(model)
        .options(joinedload(model.department))
        .where(model.institution_id == bindparam("institution_id"))
        .order_by(date_column.desc(), model.id.desc())
    )


_INSPECTIONS = _dated(Inspection, Inspection.inspected_on)
_PENALTIES = _dated(Penalty, Penalty.decided_on)
_CREDIT = _dated(CreditEntry, CreditEntry.listed_on)
_WITHDRAWALS = select(RecordRevision).options(joinedload(RecordRevision.department)).where(
    RecordRevision.institution_id == bindparam("institution_id"),
    RecordRevision.action == "withdraw").order_by(RecordRevision.at.desc(),
                                                  RecordRevision.id.desc())


def load_page(
    db: Session,
    institution_id: int,
    today: date,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    now: datetime | None = None,
) -> InstitutionPage | None:
    by_id = {"institution_id": institution_id}
    inst = db.scalars(_INSTITUTION, by_id).first()
    if inst is None:
        return None
    all_fees = list(db.scalars(_FEES, by_id))
    fees = [f for f in all_fees if f.effective_to is None]
    history = sorted(
        (f for f in all_fees if f.effective_to is not None),
        key=lambda f: (f.effective_to, f.id),
        reverse=True,
    )
    resources = latest_resources(db, institution_id)
    grade = db.scalars(_GRADE, by_id).first()
    inspections = list(db.scalars(_INSPECTIONS, by_id))
    penalties = list(db.scalars(_PENALTIES, by_id))
    credit = list(db.scalars(_CREDIT, by_id))
    published = load_published(db, institution_id)
    live = load_live(db, institution_id, now or datetime.now(UTC), today)
    facts = with_open_days(facts_for(inst, fees, resources, grade, inspections,
                                     rule_titles=tuple(r.title for r in published.rules),
                                     credit_commitment=published.commitment is not None),
                           live.open_days)
    return InstitutionPage(
        inst=inst,
        fees=fees,
        fee_history=history,
        resources=resources,
        grade=grade,
        inspections=inspections,
        penalties=penalties,
        credit=credit,
        flags=compute_flags(facts, today, thresholds),
        completeness=completeness(facts),
        complaints=live.complaints,
        totals=monthly_totals(facts.fees, today),
        today=today,
        published=published,
        open_days=live.open_days,
        facts=facts,
        credit_status=live.credit_status,
        withdrawals=list(db.scalars(_WITHDRAWALS, by_id)),
    )
