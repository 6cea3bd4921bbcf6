"""Street/town offices (乡镇、街道) added by civil affairs: one office of a type per street,
named like the others, every addition audited (seed 000 苏州 三(一), seed 001 (十八): 乡镇（街道）
日常巡查、投诉举报受理; seed 004 addresses 各乡镇（街道）民政办).

A new office reaches intake at once: the departments' trigger (migration 0012) moves the
reference version, so the routing reference is read again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.core import audit
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import street_office_name


class StreetOfficeError(Exception):
    """Problems by field, in Chinese."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class StreetRow:
    id: int
    district: str
    name: str
    offices: tuple[str, ...]  # its offices' names


def streets_with_offices(session: Session) -> list[StreetRow]:
    """Every street by district, with the names of its offices."""
    offices: dict[int, list[str]] = {}
    for street_id, name in session.execute(
            select(Department.street_id, Department.name)
            .where(Department.street_id.is_not(None)).order_by(Department.id)):
        if street_id is not None:
            offices.setdefault(street_id, []).append(name)
    rows = session.execute(select(Street.id, District.name, Street.name)
                           .join(District, District.id == Street.district_id)
                           .order_by(District.id, Street.id))
    return [StreetRow(id_, district, name, tuple(offices.get(id_, ())))
            for id_, district, name in rows]


def add_street_office(session: Session, *, street_id: int, type_code: str, name: str,
                      phone: str, actor_id: int) -> Department:
    """Add the office of `type_code` for a street; StreetOfficeError when the street is
    unknown, already has one of the type, or the name is taken. The caller commits."""
    street = session.get(Street, street_id, options=[joinedload(Street.district)])
    if street is None:
        raise StreetOfficeError({"street_id": "请选择乡镇（街道）"})
    taken = session.scalar(select(Department.name).where(
        Department.street_id == street_id, Department.type_code == type_code))
    if taken is not None:
        raise StreetOfficeError({"type_code": f"{street.name}已有该类型的承办单位：{taken}"})
    name = name or street_office_name(type_code, street.district.name, street.name)
    if session.scalar(select(Department.id).where(Department.name == name)) is not None:
        raise StreetOfficeError({"name": f"已有名为“{name}”的单位，请换一个名称"})
    office = Department(type_code=type_code, street_id=street.id, district_id=None, name=name,
                        phone=phone)
    session.add(office)
    session.flush()
    audit.record(session, actor_id, "create", "department", office.id, street_id=street.id,
                 type_code=type_code)
    return office
