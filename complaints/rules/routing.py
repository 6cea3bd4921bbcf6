"""Routing (归口负责, 属地管理): category → department type → the street's office (where the city
sends the category to streets), the district's office or the city's.

Pure: takes the rule and the known offices as plain values, never the database. Each decision
is logged (INFO, logger `complaints.rules.routing`) with the rule, the department types and office
ids — never anything of the complainant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

# (type_code, district_id or None for city level) -> office id
OfficeMap = Mapping[tuple[str, int | None], int]
# (type_code, street_id) -> the street/town office's id
StreetOfficeMap = Mapping[tuple[str, int], int]

# Why a category may go to the street office: both seeds ask streets/towns to take complaints.
STREET_BASIS = ("苏州市苏府办〔2021〕248号 三(一)：支持镇（街道）做好养老服务机构日常巡查、投诉举报受理；"
                "实施方案（征求意见稿）(十八)：支持乡镇（街道）做好日常巡查、投诉举报受理")


@dataclass(frozen=True)
class Rule:
    code: str
    responsible: str
    co_handling: tuple[str, ...] = ()
    # The city sends this category to the street office of the responsible type where the
    # institution's street has one (STREET_BASIS); else the district's office as always.
    street_level: bool = False


@dataclass(frozen=True)
class Routing:
    responsible_office: int
    co_offices: tuple[int, ...]
    # True when no district office of the type exists and the city office takes it.
    fell_back_to_city: bool
    # Civil affairs leads supervision and sees every complaint (民政牵头).
    supervising_office: int | None
    # True when the street/town office took it (the district's civil affairs supervises it).
    street_office: bool = False


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


def street_office_for(rule: Rule, street_id: int | None,
                      street_offices: StreetOfficeMap) -> int | None:
    """The street office taking a category, or None: the rule must send it to streets, the
    place must be in a street, and that street must have an office of the responsible type."""
    if not rule.street_level or street_id is None:
        return None
    return street_offices.get((rule.responsible, street_id))


def route(rule: Rule, district_id: int | None, offices: OfficeMap, *,
          street_id: int | None = None, street_offices: StreetOfficeMap | None = None) -> Routing:
    """Route a category for a place in `district_id` (and `street_id`, an institution's
    street; None for a place without one). The street office is chosen only when the rule is
    street-level and the street has an office of the responsible type; co-handling and
    supervision stay with the district's (or city's) offices."""
    street_office = street_office_for(rule, street_id, street_offices or {})
    if street_office is not None:
        responsible, fell_back = street_office, False
    else:
        try:
            responsible, fell_back = office_for(rule.responsible, district_id, offices)
        except NoOffice:
            log.warning("routing: rule %s needs a %s office; neither district %s nor the city "
                        "has one", rule.code, rule.responsible, district_id)
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
             f"street {street_id}'s" if street_office is not None
             else f"no office in district {district_id}, the city's" if fell_back
             else "the city's" if district_id is None else f"district {district_id}'s",
             list(co) or "none", supervising)
    return Routing(
        responsible_office=responsible,
        co_offices=tuple(co),
        fell_back_to_city=fell_back,
        supervising_office=supervising,
        street_office=street_office is not None,
    )
