"""The institution domain's forms: the query parameters of the compare page, the directory API's
paging, the government entry search and the supervisors' record review filters, and civil
affairs' setting of an institution's coordinates (`LocationForm`,
portal/institutions/services/location.py). The government record forms are
portal/institutions/record_forms.py.

The directory's own filters (district, street, kind, beds, sort …) are `DirectoryFilters`,
which the page and the API share (`parse_directory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from wtforms.validators import ValidationError

from portal.core.formfields import (
    Choice,
    Degrees,
    Flag,
    PortalForm,
    RowId,
    RowIds,
    Text,
    WholeNumber,
)
from portal.institutions import vocab
from portal.institutions.rules.compare_selection import MAX_COMPARE
from portal.institutions.rules.directory_query import (
    ADMITS,
    API_SORTS,
    MAX_PER_PAGE,
    MAX_PRICE,
    PER_PAGE,
    SORTS,
    DirectoryQuery,
    FilterError,
)
from portal.institutions.rules.geo import DATUMS, Point

SEARCH_MAX = 50
REVIEW_DEFAULT_DAYS = 30
API_PAGE_MAX = 100_000


class CompareQuery(PortalForm):
    """/institutions/compare?ids=1,2&ids=3&level=…: up to MAX_COMPARE institutions."""

    level = Text()

    def __init__(self, formdata, **kwargs) -> None:
        super().__init__(formdata, **kwargs)
        self._ids_sent = formdata.getlist("ids")

    @property
    def care_level(self) -> str:
        return self.level.data if self.level.data in vocab.CARE_LEVELS else "self_care"

    def ids(self) -> tuple[list[int], bool]:
        """The ids asked for, in order and once each (those that are no id left out), and
        whether more than MAX_COMPARE were asked for."""
        ids: list[int] = []
        for raw in self._ids_sent:
            for part in raw.split(",") if isinstance(raw, str) else ():
                number = RowId.parse(part)
                if number is not None and number not in ids:
                    ids.append(number)
        return ids[:MAX_COMPARE], len(ids) > MAX_COMPARE


class CompareSelectionForm(PortalForm):
    """A change of the compare tray: add (the institution page), remove (the tray), clear, or
    a directory check box (`pick`, ticked when its id is among the `ids` the form sent)."""

    add = RowId()
    remove = RowId()
    pick = RowId()
    ids = RowIds()
    clear = Flag()
    next = Text()


def _only(what: str, allowed: Mapping[str, Any]) -> str:
    return f"{what}只能是：{'、'.join(allowed)}"


def _one_of(what: str, allowed: Mapping[str, Any]) -> Any:
    """A code from `allowed`, or nothing; anything else: {what}只能是：<the codes>."""
    return Choice(what, choices=allowed, optional=True, message=_only(what, allowed))


def _yes_no(name: str) -> Any:
    return Choice(choices=("1", "true", "0", "false"), optional=True,
                  message=f"{name} 只能是 1 或 0")


Q_MAX = 50


class DirectoryFilters(PortalForm):
    """The directory's filters and sort order, as the page and the JSON API read them.

    The page drops a bad value (the rest still filters); the API (`strict`, with its own sort by
    id) refuses the first one, a FilterError naming its query parameter."""

    q = Text()
    district = WholeNumber(low=1, high=10**9, message="区县编号应为正整数")
    street = WholeNumber(low=1, high=10**9, message="街道编号应为正整数")
    kind = _one_of("机构类型", vocab.KINDS)
    nature = _one_of("机构性质", vocab.NATURES)
    grade = WholeNumber(low=0, high=5, message="等级应为 0（未评定）到 5")
    filing = _one_of("备案状态", vocab.FILING_STATUSES)
    level = _one_of("护理等级", vocab.CARE_LEVELS)
    price_min = WholeNumber(low=0, high=MAX_PRICE, message="最低月费应为 0 以上的整数（元）")
    price_max = WholeNumber(low=0, high=MAX_PRICE, message="最高月费应为 0 以上的整数（元）")
    vacant = _yes_no("vacant")
    admits = _one_of("收住对象", ADMITS)
    medical = _yes_no("medical")
    closed = _yes_no("closed")
    sort = _one_of("排序方式", SORTS)
    lat = Degrees(low=-90, high=90, message="纬度应为 -90 到 90 之间的数字，如 39.908")
    lng = Degrees(low=-180, high=180, message="经度应为 -180 到 180 之间的数字，如 116.397")
    near = WholeNumber(low=1, high=10**9, message="起点街道编号应为正整数")
    # The page's "按距离排序" buttons (at the top of the form, before the sort select whose
    # value would otherwise come last): sort by distance whatever the select says.
    near_me = _yes_no("near_me")

    def __init__(self, formdata: Any, *, strict: bool, default_sort: str = "name",
                 **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.strict, self.default_sort = strict, default_sort
        if strict:  # the API's own order too
            self.sort.choices = API_SORTS
            self.sort.message = _only(self.sort.label.text, API_SORTS)

    def validate_q(self, field: Any) -> None:
        if self.strict and len(field.data) > Q_MAX:
            raise ValidationError(f"机构名称最多 {Q_MAX} 个字")

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        for one, other, label in (("lat", "lng", "经度"), ("lng", "lat", "纬度")):
            if self[one].data is not None and not self[other].text:
                self.fail(other, f"请同时提供{label}（纬度和经度成对使用）")
        return not self.problems

    def query(self) -> DirectoryQuery:
        """The filters: the page without the values that have a problem; for the API, the first
        problem raised as FilterError."""
        problems = self.check()
        if self.strict and problems:
            field, message = next(iter(problems.items()))
            raise FilterError(field, message)

        def good(name: str) -> Any:
            field = self[name]
            return None if field.errors or field.data in ("", None) else field.data

        query = DirectoryQuery(
            q=self.q.data[:Q_MAX], district=good("district"), street=good("street"),
            kind=good("kind"), nature=good("nature"), grade=good("grade"),
            filing=good("filing"), level=good("level"), price_min=good("price_min"),
            price_max=good("price_max"), vacant=good("vacant") in ("1", "true"),
            admits=good("admits"), medical=good("medical") in ("1", "true"),
            sort="distance" if good("near_me") in ("1", "true")
            else good("sort") or self.default_sort, near=good("near"),
            closed=good("closed") in ("1", "true"))
        if not (self.lat.errors or self.lng.errors) and None not in (self.lat.data, self.lng.data):
            query = replace(query, lat=self.lat.data, lng=self.lng.data)
        if query.price_min is not None and query.price_max is not None \
                and query.price_min > query.price_max:
            if self.strict:
                raise FilterError("price_max", "最高月费不能低于最低月费")
            query = replace(query, price_max=None)
        return query


def parse_directory(params: Mapping[str, str], *, strict: bool,
                    default_sort: str = "name") -> DirectoryQuery:
    """Query-string values -> DirectoryQuery. strict: raise FilterError; else drop bad values."""
    return DirectoryFilters(params, strict=strict, default_sort=default_sort).query()


class ApiPageQuery(PortalForm):
    """The directory API's paging (API: the problem names its field)."""

    page = WholeNumber(low=1, high=API_PAGE_MAX, default=1, message="页码应为 1 以上的整数")
    per_page = WholeNumber(low=1, high=MAX_PER_PAGE, default=PER_PAGE,
                           message=f"每页条数应为 1 到 {MAX_PER_PAGE}")


class SearchQuery(PortalForm):
    """The government entry search box (/gov/?q=)."""

    q = Text(filters=[lambda value: value[:SEARCH_MAX]])


@dataclass(frozen=True)
class Filters:
    office_id: int | None
    since: date
    until: date
    problems: tuple[str, ...]


class ReviewQuery(PortalForm):
    """The supervisors' record review (/gov/records?office=&since=&until=): a filter typed wrong
    falls back to its default and says so, the page still shows."""

    office = RowId()
    since = Text()
    until = Text()

    def filters(self, today: date) -> Filters:
        problems: list[str] = []
        if self.office.text and self.office.data is None:
            problems.append("部门选择有误，已显示全部部门")
        since = _day(self.since.data, today - timedelta(days=REVIEW_DEFAULT_DAYS), problems,
                     "起始日期")
        until = _day(self.until.data, today, problems, "截止日期")
        if until < since:
            problems.append("截止日期早于起始日期，已对调")
            since, until = until, since
        return Filters(self.office.data, since, until, tuple(problems))


def _day(raw: str, fallback: date, problems: list[str], label: str) -> date:
    if not raw:
        return fallback
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label}格式应为年-月-日，已按默认处理")
        return fallback


# --- the government record forms ------------------------------------------------------------

class LocationForm(PortalForm):
    """An institution's coordinates, typed or picked on the map (then in the tiles' `datum`);
    both blank clears them."""

    lat = Degrees("纬度", low=-90, high=90, message="纬度应为 -90 到 90 之间的数字，如 39.908")
    lng = Degrees("经度", low=-180, high=180, message="经度应为 -180 到 180 之间的数字，如 116.397")
    datum = Choice("坐标系", choices=DATUMS, blank="wgs84", message="坐标系只能是 wgs84 或 gcj02")

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        for one, other, label in (("lat", "lng", "经度"), ("lng", "lat", "纬度")):
            if self[one].text and not self[other].text:
                self.fail(other, f"请同时填写{label}；清除位置请把纬度和经度都留空")
        return not self.problems

    def point(self) -> Point | None:
        """The point as typed (a form without problems); None: clear the location."""
        lat, lng = self.lat.data, self.lng.data
        return None if lat is None or lng is None else Point(lat, lng)
