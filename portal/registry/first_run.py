"""`portal init`: from an empty, migrated database to a working city without demo data — its
districts and streets and its offices from the city's files (the same imports as
`portal import districts|offices`), a city-level office of each of the sixteen department types
a file did not give, the default routing rules (complaints/rules/categories.py, from the seeds'
division of duties) checked to route every category, and the first administrator. One
transaction: a bad file or password writes nothing.

The city's name is PORTAL_CITY_NAME (the pages' titles and the city offices' names read it):
`portal init --city` must agree with it, so there is one place that names the city.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from complaints.models import RoutingRule
from complaints.rules.categories import DEFAULT_CATEGORIES
from portal.accounts.exceptions import AccountError
from portal.accounts.rules.passwords import password_problems
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core import audit
from portal.institutions.models import Institution
from portal.orgs.models import Department, District
from portal.orgs.vocab import DEPARTMENT_TYPES, office_name
from portal.registry.kinds import KINDS
from portal.registry.rules import offices
from portal.registry.services import Outcome
from portal.registry.services.institutions import sha256_of
from portal.registry.services.running import import_file
from portal.registry.sheets import stored_offices


class InitError(Exception):
    """portal init cannot go on; the message says why in Chinese, `outcomes` the files' reports."""

    def __init__(self, message: str, outcomes: list[tuple[str, Outcome]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.outcomes = outcomes or []


@dataclass
class InitResult:
    outcomes: list[tuple[str, Outcome]] = field(default_factory=list)
    city_offices: list[str] = field(default_factory=list)  # added because no file gave them
    rules: int = 0
    districts: int = 0
    offices: int = 0


def refusal(db: Session) -> str | None:
    """Why the database already has a city (None when it has none)."""
    districts = db.scalar(select(func.count(District.id))) or 0
    departments = db.scalar(select(func.count(Department.id))) or 0
    institutions = db.scalar(select(func.count(Institution.id))) or 0
    if not (districts or departments or institutions):
        return None
    return (f"数据库中已有城市数据（区县 {districts} 个、部门 {departments} 个、机构 {institutions} 家），"
            "portal init 只用于刚迁移的空数据库；要增补已有的城市，请用 portal import")


def _city_offices(db: Session, city: str) -> list[str]:
    """A city-level office of every department type no file gave: routing falls back to it
    (complaints/rules/routing.py: office_for), so every category has an office to go to."""
    stored = stored_offices(db)
    names = {office.name for office in stored.values()}
    added = []
    for type_code in DEPARTMENT_TYPES:
        if offices.office_key(type_code, None) in stored:
            continue
        name = office_name(type_code, city, city_level=True)
        if name in names:
            raise InitError(f"部门文件中已有名为“{name}”的另一个部门，无法再建市级{DEPARTMENT_TYPES[type_code]}")
        db.add(Department(type_code=type_code, district_id=None, name=name))
        added.append(name)
    db.flush()
    return added


def _routing_rules(db: Session) -> int:
    """The default rules (migration 0002 writes them; written here if the table was emptied),
    and a check that every active one routes: its responsible type has a city office."""
    if not db.scalar(select(func.count()).select_from(RoutingRule)):
        db.add_all(RoutingRule(code=c.code, label=c.label, help_text=c.help_text,
                               keywords=list(c.keywords), responsible_type=c.responsible,
                               co_handling_types=list(c.co_handling), position=i, active=True)
                   for i, c in enumerate(DEFAULT_CATEGORIES))
        db.flush()
    city_types = {key[0] for key in stored_offices(db) if key[1] is None}
    rules = db.execute(select(RoutingRule.code, RoutingRule.responsible_type)
                       .where(RoutingRule.active)).all()
    missing = sorted({responsible for _code, responsible in rules if responsible not in city_types})
    if missing:  # a rule naming a type outside the sixteen: an admin must fix it first
        raise InitError(f"路由规则需要的部门类型没有市级部门：{'、'.join(missing)}")
    return len(rules)


def init_city(db: Session, *, city: str, admin: str, password: str,
              districts_file: Path | None = None, offices_file: Path | None = None) -> InitResult:
    """Set up the city in the caller's transaction (the caller commits); InitError otherwise."""
    why = refusal(db)
    if why:
        raise InitError(why)
    problems = password_problems(password, admin)
    if problems:
        raise InitError(f"管理员密码不符合要求：{'；'.join(problems)}")
    result = InitResult()
    for name, path, code in (("区县和乡镇（街道）", districts_file, "districts"),
                             ("部门", offices_file, "offices")):
        if path is None:
            continue
        # As `portal import` runs it: listed with the city's imports (/admin/imports).
        outcome, _ = import_file(db, KINDS[code], path, mode="import", sha256=sha256_of(path))
        result.outcomes.append((name, outcome))
        if outcome.problems:
            raise InitError(f"{name}文件有错误，未写入任何数据", result.outcomes)
    result.city_offices = _city_offices(db, city)
    result.rules = _routing_rules(db)
    try:
        user = AccountService(db).create_user(username=admin, display_name="系统管理员",
                                              password=password, role=Role.ADMIN)
    except AccountError as exc:
        raise InitError(f"无法创建管理员：{exc.message}", result.outcomes) from None
    result.districts = db.scalar(select(func.count(District.id))) or 0
    result.offices = db.scalar(select(func.count(Department.id))) or 0
    audit.record(db, None, "city.initialised", "city", city, districts=result.districts,
                 offices=result.offices, city_offices_added=len(result.city_offices),
                 routing_rules=result.rules, admin=user.username, by="命令行")
    return result
