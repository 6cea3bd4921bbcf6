"""An institution's address as shown: district, street, then the rest, each once.

Registries and institutions type the address either from the street down ("文化路 12 号") or in
full ("东城区东华街道文化路 12 号"); the pages put the district and street in front, so the full
form read "东城区东华街道东城区东华街道文化路 12 号" (issue 21 item 12). What the stored text
already begins with is not repeated.
"""

from __future__ import annotations


def full_address(district: str | None, street: str | None, address: str | None) -> str:
    """District + street + the address with a leading district and/or street it already has
    dropped. Works with any of the three missing."""
    district = (district or "").strip()
    street = _without(district, (street or "").strip())  # "东城区东华街道" as a street's name
    rest = _without(street, _without(district, (address or "").strip()))
    return district + street + rest


def _without(prefix: str, text: str) -> str:
    return text[len(prefix):].lstrip() if prefix and text.startswith(prefix) else text
