"""The directory's filters and sort orders as one dataclass.

Read from a query string by portal/institutions/forms.py (`DirectoryFilters`), shared by the HTML
directory (bad values are dropped) and the JSON API (bad values are a 400 naming the field);
portal/institutions/services/directory.py runs the query.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    # 含已终止: also institutions whose operating status is 终止（注销）, which the default
    # directory leaves out (issue 20: a closed institution keeps its page and history).
    closed: bool = False
