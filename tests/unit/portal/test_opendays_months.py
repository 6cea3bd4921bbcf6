"""The open-day calendar's month parameter: junk means this month, far years are refused."""

from __future__ import annotations

from datetime import date

import pytest

from portal.opendays.rules.months import MonthOutOfRange, calendar_month, neighbours

TODAY = date(2026, 5, 17)


@pytest.mark.parametrize(("raw", "first"), [
    ("", date(2026, 5, 1)), ("junk", date(2026, 5, 1)), ("2026-13", date(2026, 5, 1)),
    ("2031-02", date(2031, 2, 1)), ("2000-01", date(2000, 1, 1)), ("2099-12", date(2099, 12, 1)),
])
def test_month_is_read_or_defaults_to_this_month(raw, first):
    assert calendar_month(raw, TODAY) == first


@pytest.mark.parametrize("raw", ["0001-01", "9999-12", "1999-12", "2100-01"])
def test_far_months_are_refused(raw):
    with pytest.raises(MonthOutOfRange):
        calendar_month(raw, TODAY)


@pytest.mark.parametrize(("first", "expected"), [
    (date(2026, 1, 1), (date(2025, 12, 1), date(2026, 2, 1))),
    (date(2026, 12, 1), (date(2026, 11, 1), date(2027, 1, 1))),
    (date(2000, 1, 1), (None, date(2000, 2, 1))),
    (date(2099, 12, 1), (date(2099, 11, 1), None)),
])
def test_neighbouring_months_stop_at_the_ends(first, expected):
    assert neighbours(first) == expected
