"""Row ids read from forms: only numbers that can name a row (no database overflow)."""

from __future__ import annotations

import pytest

from portal.formfields import MAX_ROW_ID, parse_id


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), (str(MAX_ROW_ID), MAX_ROW_ID),
    ("", None), ("0", None), ("-3", None), ("abc", None), ("1.5", None), ("١٢", None),
    (str(MAX_ROW_ID + 1), None), ("9999999999", None), ("1" * 30, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected
