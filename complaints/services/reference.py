"""The complaint rules' reference data, read once per change instead of once per request.

Intake needs the active routing rules, every office and the working-day calendar for each
complaint, a queue view the rules' labels and the calendar; they change only by an admin's edit.
Triggers (migration 0012) add one to `reference_version.n` in the transaction of any insert,
update or delete of `routing_rules`, `departments` or `holiday_years`, whatever writes it. A
session reads that number once (a signed-in request with its session or API key) and the
process reuses what it read of the tables under the same number (`portal.core.reference_version`
says why that is never older than the tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import HolidayYear, RoutingRule
from complaints.rules.calendar import WorkCalendar, YearSchedule, schedules_from_chinesecalendar
from complaints.rules.categories import seed_basis
from complaints.rules.routing import OfficeMap, StreetOfficeMap
from portal.core import reference_version
from portal.core.db import core_rows
from portal.orgs.models import Department


@dataclass(frozen=True)
class RuleInfo:
    """An active routing rule (a complaint category) as intake and the forms use it."""

    code: str
    label: str
    help_text: str
    keywords: tuple[str, ...]
    responsible_type: str
    co_handling_types: tuple[str, ...]
    street_level: bool = False

    @property
    def basis(self) -> str:
        """The seed clause this rule follows while it routes as its default ("" otherwise)."""
        return seed_basis(self.code, self.responsible_type, self.co_handling_types)


@dataclass(frozen=True)
class Reference:
    # Active rules by code, in their display order.
    rules: Mapping[str, RuleInfo]
    offices: OfficeMap
    # Street/town offices by (type, street) (complaints.rules.routing.StreetOfficeMap).
    street_offices: StreetOfficeMap
    office_names: Mapping[int, str]
    calendar: WorkCalendar


@lru_cache(maxsize=1)
def package_schedules() -> dict[int, YearSchedule]:
    """The years the chinesecalendar package knows (2004–2026 in 1.11.0), read once."""
    return schedules_from_chinesecalendar()


def _schedule_of(row: HolidayYear) -> YearSchedule:
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(d) for d in row.holidays),
        makeup_workdays=frozenset(date.fromisoformat(d) for d in row.makeup_workdays),
        source=row.source,
        names={date.fromisoformat(d): n for d, n in (row.names or {}).items()},
    )


_RULES = (select(RoutingRule.code, RoutingRule.label, RoutingRule.help_text, RoutingRule.keywords,
                 RoutingRule.responsible_type, RoutingRule.co_handling_types,
                 RoutingRule.street_level)
          .where(RoutingRule.active).order_by(RoutingRule.position))
_OFFICES = select(Department.id, Department.type_code, Department.district_id, Department.name,
                  Department.street_id)


def _read(session: Session) -> Reference:
    rules = {code: RuleInfo(code, label, help_text or "", tuple(keywords or ()), responsible,
                            tuple(co or ()), bool(street_level))
             for code, label, help_text, keywords, responsible, co, street_level
             in core_rows(session, _RULES)}
    offices = core_rows(session, _OFFICES)
    schedules = dict(package_schedules())
    for row in session.scalars(select(HolidayYear)):
        schedules[row.year] = _schedule_of(row)
    return Reference(
        rules=MappingProxyType(rules),
        offices=MappingProxyType({(t, d): i for i, t, d, _, s in offices if s is None}),
        street_offices=MappingProxyType({(t, s): i for i, t, _, _, s in offices
                                         if s is not None}),
        office_names=MappingProxyType({i: name for i, _, _, name, _ in offices}),
        calendar=WorkCalendar(schedules),
    )


def reference(session: Session) -> Reference:
    """The reference data as this session's database has it now; read once per transaction."""
    return reference_version.kept(session, "complaints", _read)


reference_version.watch(RoutingRule, Department, HolidayYear)
