"""Efficiency indicators from the database: load the rows once, compute per district and city,
and per street/town (乡镇（街道）: seed 004's 效能评估表 is filled in by each 乡镇（街道）, its
header line names one; every indicator computed here counts the institutions of the 辖区, so a
street's form counts those of the street).

A handful of queries (none per institution) fill the plain values of `indicator_types`; the
pure rules in `rules/indicators.py` do the counting. The page, the drill-down and the XLSX all call
`IndicatorService.report`, so they show the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from complaints.services.calendar_store import load_calendar
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
    ServiceResources,
)
from portal.institutions.rules.thresholds import DEFAULT_THRESHOLDS, Thresholds
from portal.institutions.services.page import facts_for
from portal.opendata.rules.indicator_types import (
    CreditRow,
    Indicator,
    InspectionRow,
    PenaltyRow,
    Period,
    Subject,
    Visit,
)
from portal.opendata.rules.indicators import compute_all
from portal.orgs.models import Department, District, Street

CITY = 0  # the scope id of the whole city


@dataclass(frozen=True)
class Inputs:
    subjects: list[Subject]
    inspections: list[InspectionRow]
    penalties: list[PenaltyRow]
    credit: list[CreditRow]
    districts: list[District]
    # (street id, street name, district id), by district then street
    streets: list[tuple[int, str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    scope_id: int  # CITY or a district id (a street's district for a street)
    scope_name: str
    period: Period
    indicators: list[Indicator]
    street_id: int | None = None  # a street/town's form

    def get(self, code: str) -> Indicator | None:
        return next((i for i in self.indicators if i.code == code), None)


def _latest(rows, key) -> dict[int, object]:
    """The last row per institution in the given order (the newest when sorted ascending)."""
    latest: dict[int, object] = {}
    for row in sorted(rows, key=key):
        latest[row.institution_id] = row
    return latest


def load_inputs(db: Session, tz: ZoneInfo) -> Inputs:
    institutions = list(db.scalars(
        select(Institution).options(joinedload(Institution.district)).order_by(Institution.id)))
    fees: dict[int, list[FeeItem]] = defaultdict(list)
    for fee in db.scalars(select(FeeItem).where(FeeItem.effective_to.is_(None))):
        fees[fee.institution_id].append(fee)
    resources = _latest(db.scalars(select(ServiceResources)), lambda r: (r.effective_from, r.id))
    grades = _latest(db.scalars(select(Grade)), lambda g: (g.awarded_on, g.id))
    inspection_rows = db.execute(select(
        Inspection.institution_id, Inspection.inspected_on, Inspection.outcome,
        Inspection.rectification_status, Inspection.rectification_deadline,
        Department.type_code).join(Department, Department.id == Inspection.department_id)).all()
    visits: dict[int, list[Visit]] = defaultdict(list)
    for row in inspection_rows:
        visits[row.institution_id].append(Visit(row.inspected_on, row.type_code))
    subjects = []
    for inst in institutions:
        res = resources.get(inst.id)
        facts = facts_for(inst, fees[inst.id], res, grades.get(inst.id), [])  # type: ignore[arg-type]
        subjects.append(Subject(
            id=inst.id, name=inst.name, district=inst.district.name, facts=facts,
            filing_date=inst.filing_date, discovered_on=inst.discovered_on,
            discovered_via=inst.discovered_via, discovered_by=inst.discovered_by,
            inspections=tuple(visits[inst.id]),
            social_workers=res.social_workers if res is not None else None,  # type: ignore[attr-defined]
            district_id=inst.district_id, street_id=inst.street_id,
        ))
    return Inputs(
        subjects=subjects,
        inspections=[InspectionRow(r.institution_id, r.inspected_on, r.outcome,
                                   r.rectification_status, r.rectification_deadline)
                     for r in inspection_rows],
        penalties=[PenaltyRow(*r) for r in db.execute(
            select(Penalty.institution_id, Penalty.decided_on, Penalty.amount))],
        credit=[CreditRow(*r) for r in db.execute(select(
            CreditEntry.institution_id, CreditEntry.list_type, CreditEntry.listed_on,
            CreditEntry.expires_on, CreditEntry.removed_on))],
        districts=list(db.scalars(select(District).order_by(District.id))),
        streets=[tuple(r) for r in db.execute(  # type: ignore[misc]
            select(Street.id, Street.name, Street.district_id)
            .order_by(Street.district_id, Street.id))],
    )


class IndicatorService:
    """Indicators for the city or one district, for one reporting year."""

    def __init__(self, db: Session, tz: ZoneInfo,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS) -> None:
        self.db = db
        self.tz = tz
        self.thresholds = thresholds
        self._inputs: Inputs | None = None

    @property
    def inputs(self) -> Inputs:
        if self._inputs is None:
            self._inputs = load_inputs(self.db, self.tz)
        return self._inputs

    def period(self, year: int, today: date) -> Period:
        # A past year is reported as it stood at its end; the current year up to today.
        end = min(today, date(year, 12, 31))
        return Period(year=year, today=end, calendar=load_calendar(self.db), tz=self.tz,
                      thresholds=self.thresholds)

    def scopes(self) -> list[tuple[int, str]]:
        return [(CITY, "全市"), *((d.id, d.name) for d in self.inputs.districts)]

    def scope_name(self, scope_id: int) -> str | None:
        return dict(self.scopes()).get(scope_id)

    def report(self, scope_id: int, period: Period) -> Report:
        data = self.inputs
        subjects = [s for s in data.subjects if scope_id == CITY or s.district_id == scope_id]
        indicators = compute_all(subjects, data.inspections, data.penalties, data.credit, period)
        return Report(scope_id, self.scope_name(scope_id) or "", period, indicators)

    def all_reports(self, period: Period) -> list[Report]:
        """The city first, then each district (the page's matrix)."""
        return [self.report(scope_id, period) for scope_id, _ in self.scopes()]

    def streets(self, district_id: int) -> list[tuple[int, str]]:
        """(street id, name) of a district's streets/towns; none for the city."""
        return [(id_, name) for id_, name, d in self.inputs.streets if d == district_id]

    def street_report(self, street_id: int, period: Period) -> Report | None:
        """A street/town's form: the indicators over the institutions in that street."""
        found = next((row for row in self.inputs.streets if row[0] == street_id), None)
        if found is None:
            return None
        _, name, district_id = found
        data = self.inputs
        subjects = [s for s in data.subjects if s.street_id == street_id]
        indicators = compute_all(subjects, data.inspections, data.penalties, data.credit, period)
        return Report(district_id, f"{self.scope_name(district_id) or ''}{name}", period,
                      indicators, street_id)

    def street_reports(self, district_id: int, period: Period) -> list[Report]:
        """Each street/town of a district (the page's street matrix)."""
        return [r for id_, _ in self.streets(district_id)
                if (r := self.street_report(id_, period)) is not None]
