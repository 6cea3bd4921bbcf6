"""Importing the kinds read whole — districts and streets, offices, staff accounts (hundreds of
rows, not a registry of thousands): the file read as institutions are (services.read_table),
every row planned against what is stored by the kind's pure rules (portal/registry/rules/),
and — only when the whole file is valid, or valid rows only are asked for — the plan written in
the caller's transaction, audited as one change. Nothing is deleted: a district, office or
account missing from the file stays as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.accounts.rules.passwords import initial_password
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.accounts.tasks import send_welcome
from portal.core import audit
from portal.core.jobs import record_job
from portal.core.settings import get_settings
from portal.orgs.models import Department, District, Street
from portal.registry.rules import districts, imports, offices, staff
from portal.registry.services import Outcome, importer, read_table
from search.rules.pinyin import initials

log = logging.getLogger(__name__)

Rows = Iterator[tuple[int, tuple[Any, ...]]]


@dataclass
class Written:
    """What writing a plan leaves to say: notes shown once (initial passwords) and what the
    audit event records beside the counts (which accounts were added or changed)."""

    notes: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetKind:
    name: str
    columns: tuple[imports.Column, ...]
    plan: Callable[[Session, imports.Headers, Rows], imports.Plan]  # reads what is stored
    write: Callable[[Session, Any], Written]


def run_sheet(kind: SheetKind, db: Session, path: Path, *, dry_run: bool = False,
              valid_only: bool = False, username: str | None = None) -> Outcome:
    """Check the whole file and, unless `dry_run`, write it when it is all valid or
    `valid_only` is given. The caller commits."""
    actor_id, actor = importer(db, username)
    table = read_table(path)
    headers = imports.map_headers(table.headers, kind.columns)
    planned = kind.plan(db, headers, table.rows)
    outcome = Outcome(path.name, table.encoding, planned, [*headers.ignored],
                      added=planned.added, updated=planned.updated, unchanged=planned.unchanged)
    header_broken = any(p.row <= 1 for p in planned.problems)
    if (dry_run or header_broken or (planned.problems and not valid_only)
            or not (planned.added or planned.updated)):
        return outcome
    written = kind.write(db, planned)
    outcome.notes = written.notes
    outcome.written = True
    audit.record(db, actor_id, "registry.imported", kind.name, "",
                 file=outcome.file, encoding=outcome.encoding, rows=planned.total,
                 bad_rows=len(planned.bad_rows), added=planned.added, updated=planned.updated,
                 unchanged=planned.unchanged, by=actor, **written.detail)
    log.info("registry import of %s %s by %s: %d added, %d updated, %d unchanged, %d bad rows",
             kind.name, outcome.file, actor, planned.added, planned.updated, planned.unchanged,
             len(planned.bad_rows))
    return outcome


# ---- districts and streets ---------------------------------------------------------------

def _plan_districts(db: Session, headers: imports.Headers, rows: Rows) -> imports.Plan:
    stored = {d.name: districts.StoredDistrict(d.id, d.code, {s.name: (s.id, s.code)
                                                             for s in d.streets})
              for d in db.scalars(select(District).options(selectinload(District.streets)))}
    return districts.plan(headers, rows, stored)


def _write_districts(db: Session, plan: districts.DistrictPlan) -> Written:
    db.add_all(District(name=row["name"], code=row["code"],
                        pinyin_initials=initials(row["name"])[:20])
               for row in plan.new_districts)
    for row in plan.district_codes:
        db.execute(update(District).where(District.id == row["id"]).values(code=row["code"]))
    db.flush()
    ids = dict(db.execute(select(District.name, District.id)).all())
    db.add_all(Street(district_id=ids[row["district"]], name=row["name"], code=row["code"])
               for row in plan.new_streets)
    for row in plan.street_codes:
        db.execute(update(Street).where(Street.id == row["id"]).values(code=row["code"]))
    db.flush()
    return Written(detail={"districts_added": [row["name"] for row in plan.new_districts]})


DISTRICTS = SheetKind("districts", districts.COLUMNS, _plan_districts,
                      cast(Callable[[Session, Any], Written], _write_districts))


# ---- offices -----------------------------------------------------------------------------

def stored_offices(db: Session) -> dict[offices.OfficeKey, offices.StoredOffice]:
    """The city's and districts' offices by their key. Street/town offices are left out: their
    district_id is NULL (their street gives the district), so they would look like the city
    office of their type; they are added in the back office (/admin/street-offices)."""
    return {offices.office_key(type_code, district_id): offices.StoredOffice(id_, name, phone)
            for id_, type_code, district_id, name, phone in db.execute(
                select(Department.id, Department.type_code, Department.district_id,
                       Department.name, Department.phone).where(Department.street_id.is_(None)))}


def _plan_offices(db: Session, headers: imports.Headers, rows: Rows) -> imports.Plan:
    by_name = dict(db.execute(select(District.name, District.id)).all())
    return offices.plan(headers, rows, city=get_settings().city_name, districts=by_name,
                        stored=stored_offices(db))


def _write_offices(db: Session, plan: offices.OfficePlan) -> Written:
    db.add_all(Department(**row) for row in plan.new_offices)
    for row in plan.changed:
        values = {name: value for name, value in row.items() if name != "id"}
        db.execute(update(Department).where(Department.id == row["id"]).values(**values))
    db.flush()
    return Written(detail={"offices_added": [row["name"] for row in plan.new_offices]})


OFFICES = SheetKind("offices", offices.COLUMNS, _plan_offices,
                    cast(Callable[[Session, Any], Written], _write_offices))


# ---- staff accounts ----------------------------------------------------------------------

def _plan_staff(db: Session, headers: imports.Headers, rows: Rows) -> imports.Plan:
    users = {u.username: staff.StoredUser(u.id, u.display_name, u.role, u.department_id,
                                          u.email, u.is_active)
             for u in db.scalars(select(User))}
    by_name = dict(db.execute(select(Department.name, Department.id)).all())
    return staff.plan(headers, rows, offices=by_name, stored=users)


def _write_staff(db: Session, plan: staff.StaffPlan) -> Written:
    accounts = AccountService(db)
    notes = []
    for row in plan.new_users:
        password = initial_password(row["username"])
        user = accounts.create_user(username=row["username"], display_name=row["display_name"],
                                    password=password, role=Role(row["role"]),
                                    department_id=row["department_id"], email=row["email"])
        user.is_active = row["is_active"]
        user.must_change_password = True  # the printed password is known to whoever ran this
        if user.email:
            record_job(db, send_welcome, user.id)
        notes.append(f"新账号 {user.username}（{user.display_name}）的初始密码：{password}")
    for row in plan.changed:
        values = {name: value for name, value in row.items() if name not in ("id", "username")}
        db.execute(update(User).where(User.id == row["id"]).values(**values))
    db.flush()
    if notes:
        notes.append("初始密码只显示这一次，平台只保存其哈希：请当面或电话告知本人。")
    # Who was given an account or a new role, office or state: never a password.
    return Written(notes, {
        "accounts_added": {row["username"]: row["role"] for row in plan.new_users},
        "accounts_changed": {row["username"]: sorted(set(row) - {"id", "username"})
                             for row in plan.changed}})


STAFF = SheetKind("staff", staff.COLUMNS, _plan_staff,
                  cast(Callable[[Session, Any], Written], _write_staff))


# What portal/registry/kinds.py names.
import_districts = partial(run_sheet, DISTRICTS)
import_offices = partial(run_sheet, OFFICES)
import_staff = partial(run_sheet, STAFF)
