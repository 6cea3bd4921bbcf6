"""Routing (归口负责, 属地管理) as a pure function: table cases and hypothesis properties."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.rules.routing import NoOffice, Rule, route

TYPES = ["civil_affairs", "market_regulation", "fire_rescue", "public_security", "health",
         "development_reform", "financial_regulation"]
# City offices 1xx, district 1's offices 2xx, district 2 has civil affairs only.
OFFICES = {("civil_affairs", None): 100, ("market_regulation", None): 101,
           ("fire_rescue", None): 102, ("public_security", None): 103,
           ("civil_affairs", 1): 200, ("market_regulation", 1): 201, ("fire_rescue", 1): 202,
           ("civil_affairs", 2): 300}


@pytest.mark.parametrize(
    ("rule", "district", "responsible", "co", "fell_back", "supervising"),
    [
        (Rule("food_safety", "market_regulation"), 1, 201, (), False, 200),
        (Rule("food_safety", "market_regulation"), 2, 101, (), True, 300),
        (Rule("fire_safety", "fire_rescue", ("civil_affairs",)), 1, 202, (200,), False, 200),
        (Rule("fraud_sales", "market_regulation", ("public_security", "civil_affairs")), 1,
         201, (103, 200), False, 200),
        # An unregistered place with no district: the city offices.
        (Rule("unlicensed", "civil_affairs", ("market_regulation",)), None, 100, (101,), False,
         100),
        # Co-handling by the responsible type itself or a missing type is dropped.
        (Rule("x", "civil_affairs", ("civil_affairs", "health")), 2, 300, (), False, 300),
        (Rule("y", "market_regulation", ("market_regulation", "fire_rescue")), 2, 101, (102,),
         True, 300),
    ],
)
def test_routing_table(rule, district, responsible, co, fell_back, supervising):
    result = route(rule, district, OFFICES)
    assert (result.responsible_office, result.co_offices, result.fell_back_to_city,
            result.supervising_office) == (responsible, co, fell_back, supervising)


def test_no_office_of_the_responsible_type_anywhere_is_an_error_naming_it():
    with pytest.raises(NoOffice) as info:
        route(Rule("medical_care", "health"), 1, OFFICES)
    assert info.value.type_code == "health"


offices_st = st.dictionaries(
    st.tuples(st.sampled_from(TYPES), st.one_of(st.none(), st.integers(1, 4))),
    st.integers(1, 10_000), max_size=25)
rules_st = st.builds(Rule, st.just("c"), st.sampled_from(TYPES),
                     st.lists(st.sampled_from(TYPES), max_size=4).map(tuple))


@given(rule=rules_st, district=st.one_of(st.none(), st.integers(1, 4)), offices=offices_st)
def test_routing_properties(rule, district, offices):
    own = offices.get((rule.responsible, district)) if district is not None else None
    city = offices.get((rule.responsible, None))
    if own is None and city is None:
        with pytest.raises(NoOffice):
            route(rule, district, offices)
        return
    result = route(rule, district, offices)
    # 属地管理: the district's own office when it has one, else the city's.
    assert result.responsible_office == (own if own is not None else city)
    assert result.fell_back_to_city == (own is None and district is not None)
    # Co-handling offices are real offices of the named types, distinct, never the responsible.
    assert result.responsible_office not in result.co_offices
    assert len(set(result.co_offices)) == len(result.co_offices)
    assert set(result.co_offices) <= set(offices.values())
    # Civil affairs always supervises when it has any office for the place (民政牵头).
    has_civil = ("civil_affairs", district) in offices or ("civil_affairs", None) in offices
    assert (result.supervising_office is not None) == has_civil


@given(rule=rules_st, district=st.integers(1, 4), offices=offices_st,
       extra=st.integers(20_000, 30_000))
def test_adding_a_district_office_only_moves_its_own_type_there(rule, district, offices, extra):
    try:
        before = route(rule, district, offices)
    except NoOffice:
        return
    added = {**offices, (rule.responsible, district): extra}
    after = route(rule, district, added)
    assert after.responsible_office == extra and not after.fell_back_to_city
    if (rule.responsible, district) in offices:
        assert before.responsible_office == offices[(rule.responsible, district)]


MOBILE = re.compile(r"1[3-9]\d{9}")


def test_the_routing_decision_is_logged_with_its_reasons(caplog):
    caplog.set_level(logging.INFO, logger="complaints.rules.routing")
    rule = Rule("fire_safety", "fire_rescue", ("civil_affairs", "health"))
    route(rule, 2, OFFICES)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "routing: rule fire_safety: no health office for district 2; co-handling skipped",
        "routing: rule fire_safety -> fire_rescue office 102 (no office in district 2, the "
        "city's); co-handling offices [300]; supervising office 300",
    ]
    caplog.clear()
    route(Rule("food_safety", "market_regulation"), 1, OFFICES)
    assert "market_regulation office 201 (district 1's); co-handling offices none" in caplog.text
    assert not MOBILE.search(caplog.text)


def test_a_complaint_no_office_can_take_is_logged_as_a_warning(caplog):
    caplog.set_level(logging.INFO, logger="complaints.rules.routing")
    with pytest.raises(NoOffice):
        route(Rule("elder_health", "health"), 1, OFFICES)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "routing: rule elder_health needs a health office; neither district 1 nor "
                    "the city has one"),
    ]


# Street offices (乡镇/街道; seed 000 苏州 三(一), seed 001 (十八)): street 11 and 12 in
# district 1, street 21 in district 2; street 11 has a civil-affairs office, 21 a market one.
STREET_OFFICES = {("civil_affairs", 11): 500, ("market_regulation", 21): 501}
STREET_RULE = Rule("service_quality", "civil_affairs", ("market_regulation",), street_level=True)


@pytest.mark.parametrize(
    ("rule", "district", "street", "responsible", "co", "street_office"),
    [
        # The street has an office of the type: it takes the complaint; co-handling stays
        # with the district's offices.
        (STREET_RULE, 1, 11, 500, (201,), True),
        # A street without such an office: the district's office, as before.
        (STREET_RULE, 1, 12, 200, (201,), False),
        # No street known (an unregistered place): the district's.
        (STREET_RULE, 1, None, 200, (201,), False),
        # The street's office is of another type.
        (STREET_RULE, 2, 21, 300, (101,), False),
        # The city has not sent the category to streets: the district's, street office or not.
        (Rule("service_quality", "civil_affairs", ("market_regulation",)), 1, 11, 200, (201,),
         False),
        (Rule("food", "market_regulation", street_level=True), 2, 21, 501, (), True),
    ],
)
def test_street_level_rules_go_to_the_street_office_where_there_is_one(
        rule, district, street, responsible, co, street_office):
    result = route(rule, district, OFFICES, street_id=street, street_offices=STREET_OFFICES)
    assert (result.responsible_office, result.co_offices, result.street_office,
            result.fell_back_to_city) == (responsible, co, street_office, False)
    # The district's civil affairs supervises whoever handles it.
    assert result.supervising_office == {1: 200, 2: 300}[district]


def test_a_street_office_takes_the_complaint_even_without_a_district_or_city_office():
    result = route(Rule("food", "market_regulation", street_level=True), 2, {},
                   street_id=21, street_offices=STREET_OFFICES)
    assert (result.responsible_office, result.supervising_office) == (501, None)
    with pytest.raises(NoOffice):
        route(Rule("food", "market_regulation", street_level=True), 2, {},
              street_id=22, street_offices=STREET_OFFICES)


@given(rule=rules_st, district=st.one_of(st.none(), st.integers(1, 4)), offices=offices_st,
       street=st.one_of(st.none(), st.integers(1, 4)))
def test_a_rule_not_sent_to_streets_routes_as_without_street_offices(rule, district, offices,
                                                                     street):
    streets = {(t, s): 20_000 + s for t in TYPES for s in range(1, 5)}
    try:
        plain = route(rule, district, offices)
    except NoOffice:
        with pytest.raises(NoOffice):
            route(rule, district, offices, street_id=street, street_offices=streets)
        return
    assert route(rule, district, offices, street_id=street, street_offices=streets) == plain
