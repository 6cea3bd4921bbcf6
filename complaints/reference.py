"""The complaint rules' reference data, read once per change instead of once per request.

Intake needs the active routing rules, every office and the working-day calendar for each
complaint, a queue view the rules' labels and the calendar; they change only by an admin's edit.
Triggers (migration 0012) add one to `reference_version.n` in the transaction of any insert,
update or delete of `routing_rules`, `departments` or `holiday_years`, whatever writes it. A
session reads that number once (a signed-in request with its session or API key) and the
process reuses what it read of the tables under the same number (`portal.reference_version`
says why that is never older than the tables).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from complaints.calendar import WorkCalendar, YearSchedule, schedules_from_chinesecalendar
from complaints.models import HolidayYear, RoutingRule
from complaints.routing import OfficeMap
from portal import reference_version
from portal.db import core_rows
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


@dataclass(frozen=True)
class Reference:
    version: int | None
    # Active rules by code, in their display order.
    rules: Mapping[str, RuleInfo]
    offices: OfficeMap
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
                 RoutingRule.responsible_type, RoutingRule.co_handling_types)
          .where(RoutingRule.active).order_by(RoutingRule.position))
_OFFICES = select(Department.id, Department.type_code, Department.district_id, Department.name)


def _read(session: Session, version: int | None) -> Reference:
    rules = {code: RuleInfo(code, label, help_text or "", tuple(keywords or ()), responsible,
                            tuple(co or ()))
             for code, label, help_text, keywords, responsible, co in core_rows(session, _RULES)}
    offices = core_rows(session, _OFFICES)
    schedules = dict(package_schedules())
    for row in session.scalars(select(HolidayYear)):
        schedules[row.year] = _schedule_of(row)
    return Reference(
        version=version,
        rules=MappingProxyType(rules),
        offices=MappingProxyType({(t, d): i for i, t, d, _ in offices}),
        office_names=MappingProxyType({i: name for i, _, _, name in offices}),
        calendar=WorkCalendar(schedules),
    )


# What each engine's database had at its last number. Weak: the test suite makes and drops an
# engine per test; a deployment has one.
_kept: weakref.WeakKeyDictionary[Engine, Reference] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_MEMO = "complaints.reference"


def reference(session: Session) -> Reference:
    """The reference data as this session's database has it now; read once per session."""
    ref = session.info.get(_MEMO)
    if ref is not None:
        return ref
    version = reference_version.current(session)
    engine = session.get_bind()
    with _lock:
        ref = _kept.get(engine)
    if ref is None or version is None or ref.version != version:
        ref = _read(session, version)
        if reference_version.may_keep(session):
            with _lock:
                _kept[engine] = ref
    session.info[_MEMO] = ref
    return ref


def forget(session: Session) -> None:
    """Read the reference data afresh at this session's next use (after changing it)."""
    session.info.pop(_MEMO, None)


_REFERENCE_CLASSES = (RoutingRule, Department, HolidayYear)


@event.listens_for(Session, "after_flush")
def _forget_after_reference_change(session: Session, _context) -> None:
    if any(isinstance(obj, _REFERENCE_CLASSES)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        forget(session)
        reference_version.changed_here(session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_at_transaction_end(session: Session) -> None:
    # A later transaction of the same session checks the number again (one statement).
    forget(session)
