"""Addresses name the district and street once (issue 21 item 12)."""

from __future__ import annotations

import pytest

from portal.institutions.rules.address import full_address


@pytest.mark.parametrize(("district", "street", "address", "shown"), [
    # Stored in full: the prefix is not repeated.
    ("东城区", "东华街道", "东城区东华街道文化路12号", "东城区东华街道文化路12号"),
    # Stored from the street down, or below the street.
    ("东城区", "东华街道", "东华街道文化路12号", "东城区东华街道文化路12号"),
    ("东城区", "东华街道", "文化路12号", "东城区东华街道文化路12号"),
    # District only in the text, no street on record.
    ("东城区", None, "东城区文化路12号", "东城区文化路12号"),
    ("东城区", None, "文化路12号", "东城区文化路12号"),
    # A space after the prefix is dropped with it.
    ("东城区", "东华街道", "东城区 东华街道 文化路12号", "东城区东华街道文化路12号"),
    # Another district's name inside the text is kept: only a leading repeat goes.
    ("东城区", "东华街道", "文化路12号（原西城区）", "东城区东华街道文化路12号（原西城区）"),
    ("东城区", "东华街道", "", "东城区东华街道"),
    # A street whose recorded name carries its district's.
    ("东城区", "东城区东华街道", "东城区东华街道文化路12号", "东城区东华街道文化路12号"),
    ("东城区", "东城区东华街道", "文化路12号", "东城区东华街道文化路12号"),
    (None, None, None, ""),
])
def test_full_address_names_district_and_street_once(district, street, address, shown):
    assert full_address(district, street, address) == shown
