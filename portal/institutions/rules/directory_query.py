"""The directory's filters and sort orders as one dataclass.

Read from a query string by portal/institutions/forms.py (`DirectoryFilters`), shared by the HTML
directory (bad values are dropped) and the JSON API (bad values are a 400 naming the field);
portal/institutions/services/directory.py runs the query.
"""

from __future__ import annotations

from dataclasses import dataclass

SORTS = {"name": "名称", "grade": "等级（高到低）", "price": "月费（低到高）", "vacancies": "空余床位（多到少）",
         "distance": "距离（近到远）"}
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
    # "Near me" (portal/institutions/rules/geo.py): the browser's WGS-84 point, else the centroid
    # of the street `near`; sort "distance" ranks from it (institutions without coordinates last).
    lat: float | None = None
    lng: float | None = None
    near: int | None = None
    # 含已终止: also institutions whose operating status is 终止（注销）, which the default
    # directory leaves out (issue 20: a closed institution keeps its page and history).
    closed: bool = False

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lng is not None

    @property
    def active_filters(self) -> int:
        """How many filters are chosen (the sort order is not one): the count the phone's
        folded filter button shows (issue 21 item 2)."""
        chosen = (self.q, self.district, self.street, self.kind, self.nature, self.grade,
                  self.filing, self.level, self.price_min, self.price_max, self.admits)
        return sum(value not in (None, "") for value in chosen) + self.vacant + self.medical
