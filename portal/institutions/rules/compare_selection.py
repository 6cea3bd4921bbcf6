"""The institutions chosen for comparison (issue 21, item 7; pure).

The selection outlives the directory's filter changes and pages because it is kept in a
cookie the server reads, not in the results' check boxes: every page draws the tray from it, a
plain form post changes it (so it works without JavaScript), and htmx only swaps the tray in
place. At most MAX_COMPARE institutions, in the order chosen; a fourth is refused, not
silently swapped for the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_COMPARE = 3
COOKIE = "portal_compare"
SEPARATOR = "."
MAX_ID = 2**31 - 1  # an INTEGER column: anything larger names no institution
FULL = "对比栏最多放 {max} 家机构，请先移除一家再加入。"


def parse(raw: str | None) -> list[int]:
    """The ids in a cookie value ('12.7.30'), in order, once each, junk left out."""
    ids: list[int] = []
    for part in (raw or "").split(SEPARATOR):
        if part.isascii() and part.isdigit() and len(part) <= 10:
            number = int(part)
            if 0 < number <= MAX_ID and number not in ids:
                ids.append(number)
    return ids[:MAX_COMPARE]


def dump(ids: Iterable[int]) -> str:
    return SEPARATOR.join(str(i) for i in ids)


@dataclass(frozen=True)
class Change:
    """The selection after a change, and why a wish was not granted ('' when it was)."""

    ids: tuple[int, ...]
    refused: str = ""


def add(ids: Sequence[int], new: int) -> Change:
    if new in ids:
        return Change(tuple(ids))
    if len(ids) >= MAX_COMPARE:
        return Change(tuple(ids), FULL.format(max=MAX_COMPARE))
    return Change((*ids, new))


def remove(ids: Sequence[int], gone: int) -> Change:
    return Change(tuple(i for i in ids if i != gone))


def set_picked(ids: Sequence[int], pick: int, checked: bool) -> Change:
    """A directory check box ticked or cleared."""
    return add(ids, pick) if checked else remove(ids, pick)
