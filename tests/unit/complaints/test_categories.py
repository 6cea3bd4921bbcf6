"""The default categories follow the seeds' division of duties (SPEC §3, corrected 2026-12-06)."""

from __future__ import annotations

import pytest

from complaints.rules.categories import DEFAULT_BY_CODE, DEFAULT_CATEGORIES, seed_basis
from portal.orgs.vocab import DEPARTMENT_TYPES


@pytest.mark.parametrize("code,responsible,co,cited", [
    ("building_safety", "civil_affairs", {"housing_construction"}, ("征求意见稿", "昆政办", "第13项")),
    ("safety_incident", "civil_affairs", {"emergency_management", "public_security"},
     ("第28项", "（七）")),
    ("land_use", "natural_resources", {"civil_affairs"}, ("第10项",)),
    ("allocated_land", "civil_affairs", {"natural_resources"}, ("第11项",)),
])
def test_corrected_defaults_route_as_the_seeds_say_and_cite_them(code, responsible, co, cited):
    default = DEFAULT_BY_CODE[code]
    assert (default.responsible, set(default.co_handling)) == (responsible, co)
    for clause in cited:
        assert clause in default.basis


def test_codes_are_unique_departments_known_and_other_last():
    codes = [c.code for c in DEFAULT_CATEGORIES]
    assert len(codes) == len(set(codes)) == 21 and codes[-1] == "other"
    assert codes.index("allocated_land") == codes.index("land_use") + 1
    for c in DEFAULT_CATEGORIES:
        assert c.responsible in DEPARTMENT_TYPES and set(c.co_handling) <= set(DEPARTMENT_TYPES)
        assert c.responsible not in c.co_handling


def test_the_basis_is_shown_only_while_a_rule_routes_as_its_default():
    assert seed_basis("building_safety", "civil_affairs", ["housing_construction"])
    assert seed_basis("safety_incident", "civil_affairs",
                      ("public_security", "emergency_management"))  # order does not matter
    assert seed_basis("building_safety", "housing_construction", ["civil_affairs"]) == ""
    assert seed_basis("safety_incident", "civil_affairs", ["emergency_management"]) == ""
    assert seed_basis("no_such_code", "civil_affairs", []) == ""
