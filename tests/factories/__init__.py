"""Readable builders for test data; each returns the flushed ORM object."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.rules.passwords import hash_password
from portal.accounts.rules.roles import NEEDS_DEPARTMENT, NEEDS_INSTITUTION, Role
from portal.institutions.models import FeeItem, Institution
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import office_name, street_office_name
from search.rules.pinyin import initials, sort_key

PASSWORD = "Test-pass-2026"
_seq = count(1)
_hash_cache: dict[str, str] = {}


def district(db: Session, name: str | None = None) -> District:
    n = next(_seq)
    row = District(code=f"3301{n:02d}", name=name or f"测试{n}区")
    db.add(row)
    db.flush()
    db.add(Street(district_id=row.id, name=f"{row.name}第一街道"))
    db.flush()
    return row


def department(
    db: Session, type_code: str = "civil_affairs", district_: District | None = None
) -> Department:
    row = Department(
        type_code=type_code,
        district_id=district_.id if district_ else None,
        name=office_name(
            type_code,
            district_.name if district_ else f"测试市{next(_seq)}",
            city_level=district_ is None,
        ),
    )
    db.add(row)
    db.flush()
    return row


def street_office(db: Session, street: Street, type_code: str = "civil_affairs") -> Department:
    """A street/town office (乡镇、街道) of a type: street_id set, district_id NULL."""
    row = Department(type_code=type_code, street_id=street.id,
                     name=street_office_name(type_code, street.district.name, street.name))
    db.add(row)
    db.flush()
    return row


def institution(db: Session, district_: District | None = None, **overrides) -> Institution:
    district_ = district_ or district(db)
    n = next(_seq)
    values = dict(
        name=f"测试颐养院{n}",
        credit_code=None,
        kind="residential",
        nature="private_nonprofit",
        filing_status="filed",
        district_id=district_.id,
        address=f"测试路{n}号",
        beds_total=100,
        beds_vacant=10,
    )
    values.update(overrides)
    values.setdefault("name_initials", initials(values["name"]))
    values.setdefault("name_pinyin", sort_key(values["name"]))
    row = Institution(**values)
    db.add(row)
    db.flush()
    db.add(
        FeeItem(
            institution_id=row.id,
            item="床位费",
            unit="元/月",
            price=Decimal("1800.00"),
            pricing_type="market",
            care_level="self_care",
            effective_from=date(2026, 1, 1),
        )
    )
    db.flush()
    return row


def user(db: Session, role: Role, username: str | None = None, **overrides) -> User:
    if PASSWORD not in _hash_cache:
        _hash_cache[PASSWORD] = hash_password(PASSWORD)
    values = dict(
        username=username or f"{role.value}-{next(_seq)}",
        display_name=f"测试{role.label}",
        password_hash=_hash_cache[PASSWORD],
        role=role.value,
    )
    if role in NEEDS_DEPARTMENT and "department_id" not in overrides:
        values["department_id"] = department(db).id
    if role in NEEDS_INSTITUTION and "institution_id" not in overrides:
        values["institution_id"] = institution(db).id
    values.update(overrides)
    row = User(**values)
    db.add(row)
    db.flush()
    return row
