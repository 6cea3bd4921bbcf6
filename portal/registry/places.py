"""Unregistered places (未登记/未备案场所, issue 20) in the back office: civil affairs adds a
place found by an inspection, a complaint or a market-regulation record (how, when, by whom),
follows it to 已取缔 or 已转介, and converts it into a registered or filed institution — the
same `institutions` row, so its inspections, complaints and discovery stay with it.

The place's name, address and the rest go through the institution form's checks
(portal/registry/institutions.py `checked`, the registry import's rules) with the credit code
optional; what may follow what is portal/registry/rules/places.py. Every step is audited and
raises the institution's page version (its row is updated); jobs rebuild its documents. The
on-site check deadline counts from `discovered_on`, as indicator 2.6 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from complaints.services.calendar_store import load_calendar
from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.institutions.models import Inspection, Institution
from portal.institutions.rules.thresholds import Thresholds
from portal.opendata.rules.indicator_types import Period
from portal.opendata.rules.inspection_indicators import CHECK_DEPARTMENT
from portal.orgs.models import Department
from portal.registry import institutions
from portal.registry.exceptions import InvalidEntry, NotFound
from portal.registry.forms import ConversionForm, DiscoveryForm, FollowUpForm
from portal.registry.lifecycle import may_keep, require_keeper
from portal.registry.models import PlaceFollowUp
from portal.registry.rules import places as rules
from portal.registry.rules.imports import NEW_DEFAULTS
from search.rules.pinyin import name_keys

# What a place's form may set of the institution form (no registration or filing: a place
# gets those by being converted).
PLACE_FIELDS = ("name", "credit_code", "kind", "nature", "beds_total", "beds_vacant",
                "district", "street", "address", "legal_representative", "phone", "opened_year")
# What its conversion sets.
CONVERSION_FIELDS = ("name", "credit_code", "nature", "legal_representative", "registration_no",
                     "registration_date", "filing_no", "filing_date")
PLACES = or_(Institution.discovered_on.is_not(None), Institution.filing_status == "unregistered")


@dataclass(frozen=True)
class Place:
    inst: Institution
    outcome: str | None  # the newest follow-up's (None: 跟进中)
    follow_ups: list[PlaceFollowUp]  # newest first
    check: rules.Check | None  # None: no discovery date recorded

    @property
    def state(self) -> str:
        return rules.state_label(self.outcome)


def _errors(form: Any, problems: dict[str, str]) -> dict[str, str]:
    for name, message in problems.items():
        if not form.failed(name):
            form.fail(name, message)
    return dict(form.problems)


def add(db: Session, actor: User, data: Any, today: date) -> Institution:
    """A place found operating without registration or filing; InvalidEntry when a field has
    a problem (nothing written)."""
    require_keeper(actor, None)
    typed = {k: data.get(k, "") for k in PLACE_FIELDS}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        _form, values = institutions.checked(db, typed, None, code_required=False)
    except InvalidEntry as err:
        errors.update(err.errors)
    found = DiscoveryForm(data, today=today)
    found.validate()
    errors.update(found.problems)
    if errors:
        raise InvalidEntry(errors)
    full = institutions.full_values(values)
    full["credit_code"] = values.get("credit_code")
    # 登记未备案 with a business or social-organisation registration, else 未登记.
    full["filing_status"] = "registered_unfiled" if full["credit_code"] else "unregistered"
    inst = Institution(**{**NEW_DEFAULTS, **full}, **name_keys(full["name"]),
                       operating_status="operating",
                       discovered_on=found.discovered_on.data,
                       discovered_by=found.discovered_by.data,
                       discovered_via=found.discovered_via.data)
    require_keeper(actor, inst)  # a district office: its own district
    db.add(inst)
    db.flush()
    audit.record(db, actor.id, "place.create", "institution", inst.id,
                 values={k: _plain(v) for k, v in full.items()},
                 discovered_on=inst.discovered_on.isoformat() if inst.discovered_on else None,
                 discovered_by=inst.discovered_by, discovered_via=inst.discovered_via)
    institutions.changed(db, inst.id)
    return inst


def place(db: Session, institution_id: int) -> Institution:
    inst = db.scalar(select(Institution).where(Institution.id == institution_id, PLACES))
    if inst is None:
        raise NotFound("没有这个未登记/未备案场所，可能编号有误。")
    return inst


def _history(db: Session, institution_id: int) -> list[PlaceFollowUp]:
    return _histories(db, [institution_id])[institution_id]


def follow_up(db: Session, actor: User, institution_id: int, data: Any,
              today: date) -> PlaceFollowUp:
    """Record 已取缔 or 已转介 with the day and a note."""
    inst = place(db, institution_id)
    require_keeper(actor, inst)
    form = FollowUpForm(data, today=today)
    form.validate()
    history = _history(db, inst.id)
    last = history[0] if history else None
    errors = _errors(form, rules.follow_up_problems(
        (last.outcome if last else None), form.outcome.data, form.decided_on.data, inst.discovered_on,
        (last.decided_on if last else None), form.note.data))
    if errors:
        raise InvalidEntry(errors)
    assert form.decided_on.data is not None
    return _record(db, actor, inst, form.outcome.data, form.decided_on.data, form.note.data,
                   (last.outcome if last else None))


def convert(db: Session, actor: User, institution_id: int, data: Any,
            today: date) -> PlaceFollowUp:
    """Register the place: the same row gets its credit code, registration and filing
    (filed with a 备案号, else 登记未备案) and a 已登记 follow-up."""
    inst = place(db, institution_id)
    require_keeper(actor, inst)
    typed = institutions.form_values(inst)
    typed.pop("filing_status")  # from the filing number, as a registration's
    typed.update({k: data.get(k, "") for k in CONVERSION_FIELDS})
    form = ConversionForm(data, today=today)
    form.validate()
    history = _history(db, inst.id)
    last = history[0] if history else None
    errors = dict(form.problems)
    values: dict[str, Any] = {}
    try:
        _form, values = institutions.checked(db, typed, inst.id)
    except InvalidEntry as err:
        errors.update(err.errors)
    full = institutions.full_values(values)
    problems = {**rules.conversion_problems(values.get("credit_code"), full["filing_status"]),
                **rules.follow_up_problems((last.outcome if last else None), "registered",
                                           form.decided_on.data, inst.discovered_on,
                                           (last.decided_on if last else None), form.note.data)}
    for name, message in problems.items():
        errors.setdefault(name, message)
    if errors:
        raise InvalidEntry(errors)
    assert form.decided_on.data is not None
    institutions.update(db, actor, inst.id, typed)
    return _record(db, actor, inst, "registered", form.decided_on.data, form.note.data,
                   (last.outcome if last else None), filing_status=inst.filing_status,
                   credit_code=inst.credit_code)


def _record(db: Session, actor: User, inst: Institution, outcome: str, on: date, note: str,
            old: str | None, **detail: Any) -> PlaceFollowUp:
    row = PlaceFollowUp(institution_id=inst.id, outcome=outcome, decided_on=on, note=note,
                        recorded_by_id=actor.id)
    db.add(row)
    inst.updated_at = utcnow()  # the institution's row: its page version rises
    db.flush()
    audit.record(db, actor.id, "place.follow_up", "institution", inst.id, follow_up_id=row.id,
                 old=old, new=outcome, decided_on=on.isoformat(), note=note, **detail)
    institutions.changed(db, inst.id)
    return row


def _civil_checks(db: Session, ids: list[int]) -> dict[int, list[date]]:
    found: dict[int, list[date]] = {i: [] for i in ids}
    for institution_id, on in db.execute(
            select(Inspection.institution_id, Inspection.inspected_on)
            .join(Department, Department.id == Inspection.department_id)
            .where(Inspection.institution_id.in_(ids),
                   Department.type_code == CHECK_DEPARTMENT)):
        found[institution_id].append(on)
    return found


def _histories(db: Session, ids: list[int]) -> dict[int, list[PlaceFollowUp]]:
    found: dict[int, list[PlaceFollowUp]] = {i: [] for i in ids}
    for row in db.scalars(select(PlaceFollowUp).where(PlaceFollowUp.institution_id.in_(ids))
                          .order_by(PlaceFollowUp.decided_on.desc(), PlaceFollowUp.id.desc())):
        found[row.institution_id].append(row)
    return found


def _places(db: Session, insts: list[Institution], today: date, tz: ZoneInfo,
            thresholds: Thresholds) -> list[Place]:
    """Each place with its follow-ups and its check: three statements whatever the count."""
    ids = [inst.id for inst in insts]
    histories, checks = _histories(db, ids), _civil_checks(db, ids)
    calendar = load_calendar(db)
    shown = []
    for inst in insts:
        history = histories[inst.id]
        check = None
        if inst.discovered_on is not None:
            period = Period(year=inst.discovered_on.year, today=today, calendar=calendar,
                            tz=tz, thresholds=thresholds)
            check = rules.onsite_check(inst.discovered_on, checks[inst.id], period)
        shown.append(Place(inst, history[0].outcome if history else None, history, check))
    return shown


def shown(db: Session, actor: User, institution_id: int, today: date, tz: ZoneInfo,
          thresholds: Thresholds) -> Place:
    inst = place(db, institution_id)
    require_keeper(actor, inst)
    return _places(db, [inst], today, tz, thresholds)[0]


def listed(db: Session, actor: User, today: date, tz: ZoneInfo, thresholds: Thresholds,
           limit: int = 200) -> list[Place]:
    """The places the actor keeps, newest discovery first (the open ones before the rest)."""
    office = actor.department
    own = ([Institution.district_id == office.district_id]
           if office is not None and office.district_id is not None else [])
    rows = db.scalars(select(Institution).options(joinedload(Institution.district))
                      .where(PLACES, *own)
                      .order_by(Institution.discovered_on.desc().nulls_last(),
                                Institution.id.desc()).limit(limit))
    kept = [inst for inst in rows if may_keep(actor, inst)]
    return sorted(_places(db, kept, today, tz, thresholds),
                  key=lambda p: p.outcome in ("registered", "banned"))


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
