"""Complaint numbers: the day and eight digits that do not count up (issue 18, item 2)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.rules.numbers import (
    complaint_number,
    normalise_number,
    number_key,
    permute,
    spoken_groups,
    unpermute,
)

KEY = number_key("unit-test-secret")


@given(st.integers(min_value=0, max_value=10**8 - 1))
def test_the_permutation_is_a_bijection_of_eight_digits(value):
    permuted = permute(value, KEY)
    assert 0 <= permuted < 10**8
    assert unpermute(permuted, KEY) == value


def test_consecutive_ids_give_numbers_far_apart_and_distinct():
    numbers = [complaint_number(date(2026, 12, 7), n, KEY) for n in range(1, 2001)]
    assert len(set(numbers)) == 2000
    assert all(len(n) == 16 and n.startswith("20261207") and n.isdigit() for n in numbers)
    steps = [abs(int(b[8:]) - int(a[8:])) for a, b in zip(numbers, numbers[1:], strict=False)]
    # A sequence would step by 1; the permuted digits jump across the whole range.
    assert sum(1 for s in steps if s < 1000) < 5
    assert not any(n.endswith(f"{i:06d}") for i, n in enumerate(numbers, start=1))


def test_the_digits_depend_on_the_secret_key():
    other = number_key("another-installation")
    same = sum(permute(n, KEY) == permute(n, other) for n in range(1, 1001))
    assert same < 3


@pytest.mark.parametrize(("number", "groups"), [
    ("2026120748217730", ["2026", "1207", "4821", "7730"]),  # issued now: 4-4-4-4
    ("20261201001234", ["2026", "1201", "001", "234"]),  # issued before: 4-4-3-3 as it was
])
def test_the_operator_reads_the_number_in_short_groups(number, groups):
    assert spoken_groups(number) == groups
    assert "".join(groups) == number


@pytest.mark.parametrize(("typed", "number"), [
    ("2026 1207 4821 7730", "2026120748217730"),
    ("2026-1207-4821-7730", "2026120748217730"),
    ("　2026120748217730 ", "2026120748217730"),
    ("20261201001234", "20261201001234"),
])
def test_a_number_typed_in_its_groups_is_found(typed, number):
    assert normalise_number(typed) == number
