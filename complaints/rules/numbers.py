"""Complaint numbers (投诉编号): the local day of receipt and eight digits that cannot be
enumerated, read aloud in groups of four (pure; issue 18, item 2).

The number used to be the day and the row id (20261206000123): whoever had one number could
count through a day's complaints. Now the eight digits after the day are the id put through a
keyed permutation of 0–99,999,999 (a Feistel network whose round function is HMAC-SHA256 under
a key derived from PORTAL_SECRET_KEY): different ids always give different digits, so a number
is unique without a retry, yet the digits of one complaint tell nothing of another's. A day
with 1,000 complaints has 1 chance in 100,000 per guess of hitting one of them, and a hit still
needs its secret (complaints/services/tracking.py limits those per complaint).

Digits only, on purpose: the operator reads the number to an elderly caller over the phone and
the caller may key it into the hotline's voice menu. Sixteen digits in four groups of four
(2026 1206 4821 7730) read as the date and two short groups; letters, even from an unambiguous
alphabet, are spelled differently by every caller. Numbers issued before (14 digits: the day
and a 6-digit id) stay valid and keep their 4-4-3-3 grouping.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

RANDOM_DIGITS = 8
_HALF = 10 ** (RANDOM_DIGITS // 2)
_ROUNDS = 8
_SPACE = re.compile(r"[\s\-‐－—·.,，]+")


def number_key(secret_key: str) -> bytes:
    """The permutation's key, derived from the portal's secret key (its own purpose)."""
    return hmac.new(secret_key.encode(), b"portal.complaint-number", hashlib.sha256).digest()


def _round(key: bytes, n: int, half: int) -> int:
    digest = hmac.new(key, f"{n}:{half}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % _HALF


def permute(value: int, key: bytes) -> int:
    """A keyed bijection of 0 … 10^8 − 1 (a balanced Feistel network over two 4-digit
    halves, addition modulo 10^4)."""
    left, right = divmod(value % (_HALF * _HALF), _HALF)
    for n in range(_ROUNDS):
        left, right = right, (left + _round(key, n, right)) % _HALF
    return left * _HALF + right


def unpermute(value: int, key: bytes) -> int:
    """The inverse of `permute` (tests prove the bijection with it)."""
    left, right = divmod(value, _HALF)
    for n in reversed(range(_ROUNDS)):
        left, right = (right - _round(key, n, left)) % _HALF, left
    return left * _HALF + right


def complaint_number(day: date, complaint_id: int, key: bytes) -> str:
    """The public number of the complaint with this id received on this (local) day."""
    return f"{day:%Y%m%d}{permute(complaint_id, key):0{RANDOM_DIGITS}d}"


def normalise_number(raw: str) -> str:
    """What a caller typed, without the spaces and dashes of the grouping they were read in."""
    return _SPACE.sub("", raw or "").strip()[:40]


def spoken_groups(number: str) -> list[str]:
    """The number in the groups the operator reads aloud: 4-4-4-4 for the 16 digits of a
    number issued now, 4-4-3-3 for the 14 of one issued before."""
    if len(number) == 16:
        return [number[:4], number[4:8], number[8:12], number[12:]]
    return [g for g in (number[:4], number[4:8], number[8:11], number[11:]) if g]
