"""The directory's filters and sort orders as one dataclass, parsed from a query string.

Shared by the HTML directory (bad values are dropped) and the JSON API (bad values are a 400
naming the field); portal/institutions/directory.py runs the query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from portal.formfields import parse_whole
from portal.institutions import vocab

SORTS = {"name": "名称", "grade": "等级（高到低）", "price": "月费（低到高）", "vacancies": "空余床位（多到少）"}
API_SORTS = {"id": "编号", **SORTS}
ADMITS = {"mild": "轻度失能", "severe": "中重度失能"}
MAX_PRICE = 1_000_000
PER_PAGE = 20
MAX_PER_PAGE = 100


class FilterError(ValueError):
    """A filter value the API refuses; `field` is the query parameter's name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class DirectoryQuery:
    q: str = ""
    district: int | None = None
    street: int | None = None
    kind: str | None = None
    nature: str | None = None
    grade: int | None = None  # 1–5, or 0 for 未评定
    filing: str | None = None
    level: str | None = None  # care level whose monthly total is shown, filtered and sorted
    price_min: int | None = None
    price_max: int | None = None
    vacant: bool = False
    admits: str | None = None  # mild | severe
    medical: bool = False
    sort: str = "name"


def _int(raw: str, field: str, low: int, high: int, message: str) -> int:
    number = parse_whole(raw, low, high)
    if number is None:
        raise FilterError(field, message)
    return number


def _choice(raw: str, field: str, allowed: Mapping[str, Any], what: str) -> str:
    if raw not in allowed:
        raise FilterError(field, f"{what}只能是：{'、'.join(allowed)}")
    return raw


def _flag(raw: str, field: str) -> bool:
    if raw not in ("1", "true", "0", "false"):
        raise FilterError(field, f"{field} 只能是 1 或 0")
    return raw in ("1", "true")


def parse(
    params: Mapping[str, str], *, strict: bool, default_sort: str = "name"
) -> DirectoryQuery:
    """Query-string values -> DirectoryQuery. strict: raise FilterError; else drop bad values."""
    sorts = API_SORTS if strict else SORTS
    parsers = {
        "district": lambda v: _int(v, "district", 1, 10**9, "区县编号应为正整数"),
        "street": lambda v: _int(v, "street", 1, 10**9, "街道编号应为正整数"),
        "kind": lambda v: _choice(v, "kind", vocab.KINDS, "机构类型"),
        "nature": lambda v: _choice(v, "nature", vocab.NATURES, "机构性质"),
        "grade": lambda v: _int(v, "grade", 0, 5, "等级应为 0（未评定）到 5"),
        "filing": lambda v: _choice(v, "filing", vocab.FILING_STATUSES, "备案状态"),
        "level": lambda v: _choice(v, "level", vocab.CARE_LEVELS, "护理等级"),
        "price_min": lambda v: _int(v, "price_min", 0, MAX_PRICE, "最低月费应为 0 以上的整数（元）"),
        "price_max": lambda v: _int(v, "price_max", 0, MAX_PRICE, "最高月费应为 0 以上的整数（元）"),
        "vacant": lambda v: _flag(v, "vacant"),
        "admits": lambda v: _choice(v, "admits", ADMITS, "收住对象"),
        "medical": lambda v: _flag(v, "medical"),
        "sort": lambda v: _choice(v, "sort", sorts, "排序方式"),
    }
    values: dict[str, Any] = {"sort": default_sort}
    q = (params.get("q") or "").strip()
    if strict and len(q) > 50:
        raise FilterError("q", "机构名称最多 50 个字")
    values["q"] = q[:50]
    for name, convert in parsers.items():
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        try:
            values[name] = convert(raw)
        except FilterError:
            if strict:
                raise
    query = DirectoryQuery(**values)
    if (
        query.price_min is not None
        and query.price_max is not None
        and query.price_min > query.price_max
    ):
        if strict:
            raise FilterError("price_max", "最高月费不能低于最低月费")
        query = replace(query, price_max=None)
    return query
