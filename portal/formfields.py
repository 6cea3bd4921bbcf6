"""Reading raw form values into typed ones, collecting Chinese problems keyed by field name.

Pure: no database, no request. Government entry (institutions.records) and the institution back
office (backoffice.validation) both read their forms with `FieldReader`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

TEXT_MAX = 2000
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_INT_RE = re.compile(r"^\d{1,9}$")
# Row ids are INTEGER columns (32-bit on PostgreSQL): a larger number names no row, and
# querying with it overflows the column (SQLite: OverflowError; PostgreSQL: out of range).
MAX_ROW_ID = 2**31 - 1


def parse_id(raw: str) -> int | None:
    """A row id typed or picked in a form: digits in 1..MAX_ROW_ID, else None."""
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ROW_ID else None


def parse_money(raw: str, label: str, maximum: Decimal, *, blank: str = "") -> tuple[
        Decimal | None, str]:
    """A sum in yuan: ≥ 0 with at most 2 decimals. Returns (value, problem); a blank value gives
    (None, `blank`) — pass the message for a required field, or "" when it may be left out."""
    value = raw.strip().replace(",", "").replace("，", "")
    if not value:
        return None, blank
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None, f"{label}应为数字（元），如 5000 或 5000.50"
    if not amount.is_finite():
        return None, f"{label}应为数字（元），如 5000 或 5000.50"
    if amount < 0:
        return None, f"{label}不能为负数"
    if amount > maximum:
        return None, f"{label}过大，请核对"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"{label}最多保留 2 位小数"
    return amount.quantize(Decimal("0.01")), ""


class FieldReader:
    """Reads raw form values and collects the problems, keyed by field name."""

    def __init__(self, data: Mapping[str, Any], today: date) -> None:
        self.data = data
        self.today = today
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, label: str, *, required: bool = True,
             max_len: int = TEXT_MAX) -> str:
        value = self.raw(name)
        if required and not value:
            self.errors[name] = f"请填写{label}"
        elif len(value) > max_len:
            self.errors[name] = f"{label}不能超过 {max_len} 个字"
        return value

    def date(self, name: str, label: str, *, required: bool = True,
             not_future: bool = False) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.errors[name] = f"请填写{label}"
            return None
        try:
            if not _DATE_RE.match(value):
                raise ValueError(value)
            year, month, day = (int(part) for part in value.split("-"))
            parsed = date(year, month, day)
        except ValueError:
            self.errors[name] = f"{label}格式应为 年-月-日，如 2026-03-10"
            return None
        if parsed.year < 1949:
            self.errors[name] = f"{label}不应早于 1949 年"
            return None
        if not_future and parsed > self.today:
            self.errors[name] = f"{label}不能晚于今天（{self.today.isoformat()}）"
            return None
        return parsed

    def choice(self, name: str, label: str, choices: Mapping[str, str],
               default: str | None = None) -> str:
        value = self.raw(name) or (default or "")
        if value not in choices:
            self.errors[name] = f"请选择{label}"
        return value

    def after(self, name: str, later: date | None, earlier: date | None, message: str,
              strict: bool = True) -> None:
        if later is None or earlier is None or name in self.errors:
            return
        if later < earlier or (strict and later == earlier):
            self.errors[name] = message

    def integer(self, name: str, label: str, *, required: bool = True, minimum: int = 0,
                maximum: int = 1_000_000) -> int | None:
        """A whole number in [minimum, maximum]; blank is None (a problem when required)."""
        value = self.raw(name)
        if not value:
            if required:
                self.errors[name] = f"请填写{label}"
            return None
        if value.startswith("-") and _INT_RE.match(value[1:]):
            self.errors[name] = f"{label}不能为负数"
            return None
        if not _INT_RE.match(value):
            self.errors[name] = f"{label}应为整数"
            return None
        number = int(value)
        if number < minimum:
            self.errors[name] = f"{label}不能小于 {minimum}"
        elif number > maximum:
            self.errors[name] = f"{label}不能大于 {maximum}"
        return number

    def flag(self, name: str) -> bool:
        """A checkbox: present with a true-ish value."""
        return self.raw(name) in ("1", "on", "true", "yes")

    def money(self, name: str, label: str, maximum: Decimal, *,
              required: bool = True) -> Decimal | None:
        amount, problem = parse_money(self.raw(name), label, maximum,
                                      blank=f"请填写{label}（元）" if required else "")
        if problem:
            self.errors[name] = problem
        return amount
