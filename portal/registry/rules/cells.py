"""The cells of an imported registry: a value as a spreadsheet or CSV gives it (str, int,
float, datetime, None) → the value stored, or a CellError saying in Chinese what is wrong.
Pure (portal/registry/rules/imports.py puts them in columns)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from portal.institutions.rules import creditcode


class CellError(ValueError):
    """A cell that cannot be taken: its message says why, in Chinese."""


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def text(max_len: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = _text(value)
        if len(result) > max_len:
            raise CellError(f"超过{max_len}个字（现为{len(result)}个）")
        return result
    return parse


def credit_code(value: Any) -> str:
    if isinstance(value, float):
        # An 18-digit code typed into a number cell has lost its last digits already.
        raise CellError("单元格是数字格式，代码已失真，请将该列设为文本后重新填写")
    code = creditcode.normalize(_text(value))
    problem = creditcode.problem(code)
    if problem is not None:
        raise CellError(problem.replace("校验码错误", "校验位错误"))
    return code


_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
)
DATE_FORMATS = "YYYY-MM-DD、YYYY/MM/DD、YYYY年M月D日 或 Excel 日期单元格"


def a_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = _text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(raw)
        if match:
            year, month, day = (int(part) for part in match.groups())
            if year < 1900:
                raise CellError(f"年份不合理：{raw}")
            try:
                return date(year, month, day)
            except ValueError:
                raise CellError(f"不存在的日期：{raw}") from None
    raise CellError(f"日期格式不正确：{raw}（应为 {DATE_FORMATS}）")


def count(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("应为整数")
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"应为整数：{value}")
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        raw = _text(value).removesuffix("张")
        if not re.fullmatch(r"-?\d+", raw):
            raise CellError(f"应为整数：{raw}")
        number = int(raw)
    if number < 0:
        raise CellError("不能为负数")
    return number


def year(value: Any) -> int:
    number = count(value.year if isinstance(value, date) else value)
    if not 1900 <= number <= 2100:
        raise CellError(f"年份不合理：{number}")
    return number


_YES = {"是", "有", "y", "yes", "true", "1", "√"}
_NO = {"否", "无", "n", "no", "false", "0", "×"}


def yes_no(value: Any) -> bool:
    raw = _text(value).lower()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError(f"应为“是”或“否”：{raw}")


def choice(labels: dict[str, str], extra: dict[str, str] | None = None) -> Callable[[Any], str]:
    """A vocabulary cell: its Chinese label (or the stable code) → the code."""
    known = {code: code for code in labels} | {label: code for code, label in labels.items()}
    known |= extra or {}

    def parse(value: Any) -> str:
        raw = _text(value)
        code = known.get(raw) or known.get(raw.lower())
        if code is None:
            raise CellError(f"不是允许的值：{raw}（可填 {'、'.join(labels.values())}）")
        return code
    return parse


def digits(*lengths: int) -> Callable[[Any], str]:
    """A code of digits only, of one of the given lengths (a number cell is taken as its digits;
    codes of up to 15 digits survive a number cell intact)."""
    allowed = "或".join(str(n) for n in lengths)

    def parse(value: Any) -> str:
        raw = _text(value)
        if not raw.isascii() or not raw.isdigit() or len(raw) not in lengths:
            raise CellError(f"应为{allowed}位数字：{raw}")
        return raw
    return parse


def degrees(low: float, high: float) -> Callable[[Any], float]:
    """A latitude or longitude in decimal degrees, WGS-84 (portal/institutions/rules/geo.py):
    a number cell or text like 39.908 (a trailing ° is dropped), within [low, high]."""
    def parse(value: Any) -> float:
        if isinstance(value, bool):
            raise CellError("应为以度为单位的数字")
        if isinstance(value, int | float):
            number = float(value)
        else:
            raw = _text(value).removesuffix("°")
            if not re.fullmatch(r"[+-]?\d{1,3}(\.\d+)?", raw):
                raise CellError(f"应为以度为单位的数字，如 39.908：{raw}")
            number = float(raw)
        if not low <= number <= high:
            raise CellError(f"应在 {low:g} 到 {high:g} 之间：{number:g}")
        return number
    return parse
