"""Fill an empty database with a deterministic demo city (`portal seed-demo`)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update

from complaints.models import RoutingRule
from demo import geo, names
from demo.backoffice import pending_draft
from demo.draw import landline
from demo.institutions import CHILD_TABLES, INSTITUTION_NOTES, InstitutionMaker, forced_kind_nature
from demo.opendays import open_day_rows, seats_by_event, signup_rows
from demo.org import DemoDistrict, DemoOrg
from portal.accounts.models import User
from portal.accounts.rules.passwords import hash_password
from portal.accounts.rules.roles import Role
from portal.core.db import get_engine, utcnow
from portal.core.settings import get_settings
from portal.institutions.models import (
    Institution,
)
from portal.institutions.vocab import KINDS, NATURES
from portal.opendays.models import OpenDay, Signup
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import DEPARTMENT_TYPES, office_name, street_office_name
from search.rules.pinyin import initials

# Documented in the README: every demo account shares it; never used outside demo data.
DEMO_PASSWORD = "Demo-2026-pass"  # noqa: S105
BATCH_SIZE = 2000
# District offices that get a demo login of their own (the city office of every type has one).
DISTRICT_LOGIN_TYPES = ("civil_affairs", "market_regulation", "fire_rescue")
INSTITUTION_LOGINS = 5

Row = dict[str, Any]


class SeedError(Exception):
    """The database is not empty enough to seed safely."""


@dataclass
class SeedSummary:
    districts: int = 0
    streets: int = 0
    departments: int = 0
    users: int = 0
    institutions: int = 0
    fee_items: int = 0
    service_resources: int = 0
    grades: int = 0
    inspections: int = 0
    penalties: int = 0
    credit_entries: int = 0
    institution_rules: int = 0
    credit_commitments: int = 0
    fulfilment_assessments: int = 0
    institution_status_changes: int = 0
    open_days: int = 0
    page_documents: int = 0
    elapsed_seconds: float = 0.0

    def __str__(self) -> str:
        counts = ", ".join(
            f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.name != "elapsed_seconds"
        )
        return f"demo data seeded in {self.elapsed_seconds:.1f} s: {counts}"


def _district_logins() -> list[tuple[str, str]]:
    return [(name, initials(name)) for name, _code, _streets in names.DISTRICTS]


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role label, what it sees) for every demo account, for the README."""
    city = get_settings().city_name
    rows = [
        (
            "admin",
            Role.ADMIN.label,
            "系统管理：机构、部门、用户、路由规则、节假日、等级、检查、处罚、信用名单、审核",
        ),
        (
            "supervisor",
            Role.SUPERVISOR.label,
            f"{city}民政局：全部投诉、逾期清单、督办、延期审批、统计",
        ),
        ("operator1", Role.OPERATOR.label, "坐席台：录入电话投诉、机构拼音检索、来电历史"),
        ("operator2", Role.OPERATOR.label, "坐席台（第二个坐席，用于并发演示）"),
    ]
    for code in DEPARTMENT_TYPES:
        rows.append(
            (
                f"dept-{code}",
                Role.DEPARTMENT.label,
                f"{office_name(code, city, city_level=True)}的待办队列",
            )
        )
    for district, abbr in _district_logins():
        for code in DISTRICT_LOGIN_TYPES:
            rows.append(
                (
                    f"dept-{code}-{abbr}",
                    Role.DEPARTMENT.label,
                    f"{office_name(code, district, city_level=False)}的待办队列",
                )
            )
    for username, office in _street_logins():
        rows.append((username, Role.DEPARTMENT.label,
                     f"{office}的待办队列（“服务质量”类投诉派往乡镇承办）"))
    for n in range(1, INSTITUTION_LOGINS + 1):
        kind, nature = forced_kind_nature(n - 1)
        rows.append(
            (
                f"inst-{n}",
                Role.INSTITUTION.label,
                f"第{n}家示范机构（{NATURES[nature]}{KINDS[kind]}{INSTITUTION_NOTES.get(n - 1, '')}）"
                "的后台：维护信息公开，提交审核",
            )
        )
    return rows


# --- places and offices -------------------------------------------------------------------


def _insert_returning_ids(conn: Connection, table: Table, rows: list[Row]) -> list[int]:
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.scalars(stmt, rows))


def _seed_org(conn: Connection, city: str, rng: random.Random) -> DemoOrg:
    district_ids = _insert_returning_ids(
        conn,
        District.__table__,
        [
            {"code": code, "name": name, "pinyin_initials": initials(name)}
            for name, code, _streets in names.DISTRICTS
        ],
    )
    districts = []
    for index, (district_id, (name, code, street_names)) in enumerate(
            zip(district_ids, names.DISTRICTS, strict=True)):
        centroids = geo.street_centroids(code, index, len(street_names))
        street_ids = _insert_returning_ids(
            conn,
            Street.__table__,
            [{"district_id": district_id, "name": s, "latitude": lat, "longitude": lng}
             for s, (lat, lng) in zip(street_names, centroids, strict=True)],
        )
        districts.append(
            DemoDistrict(district_id, name, code, tuple(zip(street_ids, street_names, strict=True)),
                         tuple(centroids))
        )
    dept_rows = []
    for code in DEPARTMENT_TYPES:
        dept_rows.append(
            {
                "type_code": code,
                "district_id": None,
                "name": office_name(code, city, city_level=True),
                "phone": landline(rng),
            }
        )
        for d in districts:
            dept_rows.append(
                {
                    "type_code": code,
                    "district_id": d.id,
                    "name": office_name(code, d.name, city_level=False),
                    "phone": landline(rng),
                }
            )
    dept_ids = _insert_returning_ids(conn, Department.__table__, dept_rows)
    offices = {
        (row["type_code"], row["district_id"]): dept_id
        for row, dept_id in zip(dept_rows, dept_ids, strict=True)
    }
    return DemoOrg(districts, offices, _seed_street_offices(conn, districts, rng))


def _demo_street_offices(districts: list[DemoDistrict]) -> list[tuple[int, str, str]]:
    """(street id, district name, street name) of the demo county's street offices."""
    county = next(d for d in districts if d.name == names.STREET_OFFICE_DISTRICT)
    return [(street_id, county.name, street) for street_id, street in county.streets
            if street in names.STREET_OFFICE_STREETS]


def _seed_street_offices(conn: Connection, districts: list[DemoDistrict],
                         rng: random.Random) -> dict[tuple[str, int], int]:
    """The demo county's street offices (乡镇民政办) and the categories the city sends to them
    (seed 000 苏州 三(一), seed 001 (十八))."""
    kind = names.STREET_OFFICE_TYPE
    rows = [{"type_code": kind, "district_id": None, "street_id": street_id,
             "name": street_office_name(kind, district, street), "phone": landline(rng)}
            for street_id, district, street in _demo_street_offices(districts)]
    ids = _insert_returning_ids(conn, Department.__table__, rows)
    conn.execute(update(RoutingRule.__table__)
                 .where(RoutingRule.code.in_(names.STREET_LEVEL_CATEGORIES))
                 .values(street_level=True))
    return {(kind, row["street_id"]): id_ for row, id_ in zip(rows, ids, strict=True)}


def _street_logins() -> list[tuple[str, str]]:
    """(username, office name) of the street offices' demo accounts."""
    county = initials(names.STREET_OFFICE_DISTRICT)
    return [(f"dept-{names.STREET_OFFICE_TYPE}-{county}-{initials(street)}",
             street_office_name(names.STREET_OFFICE_TYPE, names.STREET_OFFICE_DISTRICT, street))
            for street in names.STREET_OFFICE_STREETS]


def _user(username: str, display: str, role: Role, pw_hash: str, **org: int | None) -> Row:
    return {
        "username": username,
        "display_name": display[:50],
        "email": f"{username}@demo.invalid",
        "password_hash": pw_hash,
        "role": role.value,
        "department_id": org.get("department_id"),
        "institution_id": org.get("institution_id"),
        "is_active": True,
        "failed_logins": 0,
        "created_at": utcnow(),
    }


def _staff_users(org: DemoOrg, city: str, pw_hash: str) -> list[Row]:
    city_civil = org.offices[("civil_affairs", None)]
    rows = [
        _user("admin", "系统管理员", Role.ADMIN, pw_hash),
        _user(
            "supervisor", f"{city}民政局督办员", Role.SUPERVISOR, pw_hash, department_id=city_civil
        ),
        _user("operator1", "热线坐席一", Role.OPERATOR, pw_hash),
        _user("operator2", "热线坐席二", Role.OPERATOR, pw_hash),
    ]
    for code in DEPARTMENT_TYPES:
        rows.append(
            _user(
                f"dept-{code}",
                f"{office_name(code, city, city_level=True)}经办人",
                Role.DEPARTMENT,
                pw_hash,
                department_id=org.offices[(code, None)],
            )
        )
    for d in org.districts:
        abbr = initials(d.name)
        for code in DISTRICT_LOGIN_TYPES:
            rows.append(
                _user(
                    f"dept-{code}-{abbr}",
                    f"{office_name(code, d.name, city_level=False)}经办人",
                    Role.DEPARTMENT,
                    pw_hash,
                    department_id=org.offices[(code, d.id)],
                )
            )
    street_ids = [street_id for street_id, _d, _s in _demo_street_offices(org.districts)]
    for (username, office), street_id in zip(_street_logins(), street_ids, strict=True):
        rows.append(_user(username, f"{office}经办人", Role.DEPARTMENT, pw_hash,
                          department_id=org.street_offices[(names.STREET_OFFICE_TYPE, street_id)]))
    return rows


# --- small random values -------------------------------------------------------------------


def _refuse_if_not_empty(conn: Connection) -> None:
    existing = conn.scalar(select(func.count()).select_from(Institution.__table__))
    if existing:
        raise SeedError(f"数据库中已有 {existing} 家机构；演示数据只能写入空数据库")
    if conn.scalar(select(func.count()).select_from(District.__table__)):
        raise SeedError("数据库中已有区县数据；演示数据只能写入空数据库")
    if conn.scalar(select(func.count()).select_from(Department.__table__)):
        raise SeedError("数据库中已有部门数据；演示数据只能写入空数据库")
    taken = conn.scalars(
        select(User.username).where(User.username.in_([u for u, _r, _s in demo_logins()]))
    ).all()
    if taken:
        raise SeedError(f"演示账号已存在：{', '.join(sorted(taken))}")


def seed_demo(
    database_url: str,
    *,
    institutions: int = 200,
    seed: int = 0,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Seed an empty database; the same seed and today give the same data.

    Institutions are written in batches of BATCH_SIZE with Core executemany and committed
    batch by batch, so memory stays flat at any size. `today` defaults to the real date;
    every generated date is relative to it.
    """
    started = time.perf_counter()
    today = today or date.today()
    say = progress or (lambda _line: None)
    city = get_settings().city_name
    rng = random.Random(seed)
    engine = get_engine(database_url)
    summary = SeedSummary()

    with engine.begin() as conn:
        _refuse_if_not_empty(conn)
        org = _seed_org(conn, city, rng)
        # argon2 takes ~0.15 s per hash: hash the one demo password once, share the hash.
        pw_hash = hash_password(DEMO_PASSWORD)
        staff = _staff_users(org, city, pw_hash)
        conn.execute(insert(User.__table__), staff)
    summary.districts = len(org.districts)
    summary.streets = sum(len(d.streets) for d in org.districts)
    summary.departments = len(org.offices) + len(org.street_offices)
    summary.users = len(staff)
    say(
        f"{summary.districts} districts, {summary.streets} streets, "
        f"{summary.departments} departments, {summary.users} staff users"
    )

    maker = InstitutionMaker(rng, today, city, org)
    first_ids: list[int] = []
    done = 0
    while done < institutions:
        bundles = [maker.make(i) for i in range(done, min(done + BATCH_SIZE, institutions))]
        with engine.begin() as conn:
            ids = _insert_returning_ids(
                conn, Institution.__table__, [b.institution for b in bundles]
            )
            if len(first_ids) < INSTITUTION_LOGINS:
                first_ids.extend(ids[: INSTITUTION_LOGINS - len(first_ids)])
            for table_name, table in CHILD_TABLES.items():
                rows = [
                    {**row, "institution_id": inst_id}
                    for inst_id, b in zip(ids, bundles, strict=True)
                    for row in b.children.get(table_name, ())
                ]
                if rows:
                    conn.execute(insert(table), rows)
                setattr(summary, table_name, getattr(summary, table_name) + len(rows))
        done += len(bundles)
        summary.institutions = done
        say(f"institutions {done}/{institutions} ({time.perf_counter() - started:.1f} s)")

    with engine.begin() as conn:
        rows = []
        for n, inst_id in enumerate(first_ids, start=1):
            inst_name = conn.scalar(select(Institution.name).where(Institution.id == inst_id))
            rows.append(
                _user(
                    f"inst-{n}",
                    f"{inst_name}管理员",
                    Role.INSTITUTION,
                    pw_hash,
                    institution_id=inst_id,
                )
            )
        if rows:
            conn.execute(insert(User.__table__), rows)
            inst_1 = conn.scalar(select(User.id).where(User.username == "inst-1"))
            pending_draft(conn, first_ids[0], inst_1, utcnow())
            hosts = [(inst_id, conn.scalar(select(User.id).where(User.username == f"inst-{n}")),
                      conn.scalar(select(Institution.name).where(Institution.id == inst_id)))
                     for n, inst_id in enumerate(first_ids, start=1)]
            days = open_day_rows(hosts, today, get_settings().timezone)
            conn.execute(insert(OpenDay.__table__), days)
            summary.open_days = len(days)
            inserted = conn.execute(
                select(OpenDay.id, OpenDay.status, OpenDay.created_at, OpenDay.ends_at)
                .where(OpenDay.institution_id.in_(first_ids)).order_by(OpenDay.id)).mappings()
            signups = signup_rows([dict(r) for r in inserted])
            conn.execute(insert(Signup.__table__), signups)
            for open_day_id, seats in seats_by_event(signups).items():
                conn.execute(update(OpenDay.__table__).where(OpenDay.id == open_day_id)
                             .values(seats_taken=seats))
        summary.users += len(rows)

    # The public pages' documents (portal/institutions/services/pagedoc.py); two processes for a big city.
    from portal.institutions.services.pagedoc import build_stale_parallel

    summary.page_documents = build_stale_parallel(
        database_url, procs=2 if institutions > 5000 else 1,
        progress=lambda n: say(
            f"page documents {n}/{institutions} ({time.perf_counter() - started:.1f} s)"))
    say(f"page documents {summary.page_documents} ({time.perf_counter() - started:.1f} s)")

    summary.elapsed_seconds = round(time.perf_counter() - started, 2)
    return summary
