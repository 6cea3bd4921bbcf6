"""Routing (归口负责, 属地管理): category → department type → the district's office or the city's.

Pure: takes the rule and the known offices as plain values, never the database. Each decision
is logged (INFO, logger `complaints.routing`) with the rule, the department types and office
ids — never anything of the complainant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

# (type_code, district_id or None for city level) -> office id
OfficeMap = Mapping[tuple[str, int | None], int]


@dataclass(frozen=True)
class Rule:
    code: str
    responsible: str
    co_handling: tuple[str, ...] = ()


@dataclass(frozen=True)
class Routing:
    responsible_office: int
    co_offices: tuple[int, ...]
    # True when no district office of the type exists and the city office takes it.
    fell_back_to_city: bool
    # Civil affairs leads supervision and sees every complaint (民政牵头).
    supervising_office: int | None


class NoOffice(LookupError):
    """Neither the district nor the city has an office of the needed type."""

    def __init__(self, type_code: str) -> None:
        super().__init__(f"no office of type {type_code}")
        self.type_code = type_code


def office_for(type_code: str, district_id: int | None, offices: OfficeMap) -> tuple[int, bool]:
    """The office of a type for a district, falling back to the city level."""
    if district_id is not None and (type_code, district_id) in offices:
        return offices[(type_code, district_id)], False
    if (type_code, None) in offices:
        return offices[(type_code, None)], district_id is not None
    raise NoOffice(type_code)


def route(rule: Rule, district_id: int | None, offices: OfficeMap) -> Routing:
    try:
        responsible, fell_back = office_for(rule.responsible, district_id, offices)
    except NoOffice:
        log.warning("routing: rule %s needs a %s office; neither district %s nor the city has one",
                    rule.code, rule.responsible, district_id)
        raise
    co: list[int] = []
    for type_code in rule.co_handling:
        try:
            office, _ = office_for(type_code, district_id, offices)
        except NoOffice:
            # a missing co-handling office must not block the complaint
            log.info("routing: rule %s: no %s office for district %s; co-handling skipped",
                     rule.code, type_code, district_id)
            continue
        if office != responsible and office not in co:
            co.append(office)
    try:
        supervising, _ = office_for("civil_affairs", district_id, offices)
    except NoOffice:
        supervising = None
    log.info("routing: rule %s -> %s office %d (%s); co-handling offices %s; supervising office %s",
             rule.code, rule.responsible, responsible,
             f"no office in district {district_id}, the city's" if fell_back
             else "the city's" if district_id is None else f"district {district_id}'s",
             list(co) or "none", supervising)
    return Routing(
        responsible_office=responsible,
        co_offices=tuple(co),
        fell_back_to_city=fell_back,
        supervising_office=supervising,
    )
