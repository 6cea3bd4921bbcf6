"""The directory's filters read from a query string: the page drops a bad value, the API
refuses the first one naming its parameter (portal/institutions/forms.py: DirectoryFilters)."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from portal.institutions.forms import parse_directory
from portal.institutions.rules.directory_query import DirectoryQuery, FilterError

GOOD = ("q=+东湖+&district=3&street=%2012%20&kind=residential&nature=public&grade=0"
        "&filing=filed&level=mild&price_min=0&price_max=1000000&vacant=true&admits=severe"
        "&medical=1&sort=price")


def test_every_filter_read_typed_and_stripped():
    expected = DirectoryQuery(q="东湖", district=3, street=12, kind="residential",
                              nature="public", grade=0, filing="filed", level="mild",
                              price_min=0, price_max=1_000_000, vacant=True, admits="severe",
                              medical=True, sort="price")
    assert parse_directory(QueryParams(GOOD), strict=False) == expected
    assert parse_directory(QueryParams(GOOD), strict=True) == expected


def test_nothing_asked_is_every_institution_by_name_or_the_apis_order():
    assert parse_directory(QueryParams(""), strict=False) == DirectoryQuery()
    assert parse_directory({}, strict=True, default_sort="id") == DirectoryQuery(sort="id")


@pytest.mark.parametrize(("params", "field", "message"), [
    ("district=x", "district", "区县编号应为正整数"),
    ("district=0", "district", "区县编号应为正整数"),
    ("street=1000000001", "street", "街道编号应为正整数"),
    ("kind=hotel", "kind", "机构类型只能是：residential、community、assessment、training"),
    ("nature=x", "nature", "机构性质只能是："),
    ("grade=6", "grade", "等级应为 0（未评定）到 5"),
    ("filing=x", "filing", "备案状态只能是："),
    ("level=x", "level", "护理等级只能是：self_care、mild、severe"),
    ("price_min=-1", "price_min", "最低月费应为 0 以上的整数（元）"),
    ("price_max=1000001", "price_max", "最高月费应为 0 以上的整数（元）"),
    ("price_min=5000&price_max=1000", "price_max", "最高月费不能低于最低月费"),
    ("vacant=yes", "vacant", "vacant 只能是 1 或 0"),
    ("admits=x", "admits", "收住对象只能是：mild、severe"),
    ("medical=2", "medical", "medical 只能是 1 或 0"),
    ("sort=random", "sort", "排序方式只能是：id、name、grade、price、vacancies、distance"),
    ("lat=91&lng=116", "lat", "纬度应为 -90 到 90 之间的数字"),
    ("lat=39.9&lng=-181", "lng", "经度应为 -180 到 180 之间的数字"),
    ("lat=nan&lng=116", "lat", "纬度应为 -90 到 90 之间的数字"),
    ("lat=1e1&lng=116", "lat", "纬度应为 -90 到 90 之间的数字"),
    ("lat=39.9", "lng", "请同时提供经度"),
    ("lng=116.4", "lat", "请同时提供纬度"),
    ("near=0", "near", "起点街道编号应为正整数"),
    ("q=" + "院" * 51, "q", "机构名称最多 50 个字"),
    ("sort=random&medical=2&district=x", "district", "区县编号应为正整数"),  # the first one
])
def test_the_api_refuses_a_bad_value_naming_its_parameter(params, field, message):
    with pytest.raises(FilterError) as caught:
        parse_directory(QueryParams(params), strict=True, default_sort="id")
    assert caught.value.field == field and caught.value.message.startswith(message)


def test_the_page_drops_bad_values_and_keeps_the_rest():
    query = parse_directory(QueryParams(
        "district=x&kind=hotel&grade=9&price_min=abc&vacant=yes&medical=1&sort=id&level=severe"
        "&q=" + "院" * 60), strict=False)
    assert query == DirectoryQuery(q="院" * 50, medical=True, level="severe")


def test_the_page_drops_a_maximum_under_the_minimum():
    query = parse_directory(QueryParams("price_min=5000&price_max=1000"), strict=False)
    assert (query.price_min, query.price_max) == (5000, None)


@pytest.mark.parametrize(("raw", "read"), [("1", True), ("true", True), ("0", False),
                                           ("false", False), ("", False)])
def test_yes_no_filters(raw, read):
    query = parse_directory(QueryParams(f"vacant={raw}&medical={raw}"), strict=True)
    assert (query.vacant, query.medical) == (read, read)


def test_active_filters_count_every_chosen_filter_but_not_the_sort():
    # The phone's folded filter button shows this count (issue 21 item 2).
    assert DirectoryQuery().active_filters == 0
    assert DirectoryQuery(sort="price").active_filters == 0
    assert DirectoryQuery(grade=0).active_filters == 1  # 未评定 is a choice
    assert DirectoryQuery(price_min=0, vacant=True).active_filters == 2
    assert parse_directory(QueryParams(GOOD), strict=False).active_filters == 13


def test_a_point_and_a_street_origin_are_read():
    query = parse_directory(QueryParams("sort=distance&lat=39.908&lng=+116.397&near=4"),
                            strict=True)
    assert (query.sort, query.lat, query.lng, query.near, query.has_point) == (
        "distance", 39.908, 116.397, 4, True)


def test_the_page_drops_half_or_bad_points():
    for params in ("lat=39.9", "lat=39.9&lng=200", "lat=&lng=", "lat=abc&lng=116"):
        query = parse_directory(QueryParams("sort=distance&" + params), strict=False)
        assert (query.lat, query.lng, query.has_point, query.sort) == (None, None, False,
                                                                       "distance")


def test_the_pages_distance_buttons_sort_by_distance_whatever_the_select_says():
    query = parse_directory(QueryParams("near_me=1&sort=name&near=3"), strict=False)
    assert (query.sort, query.near) == ("distance", 3)
    assert parse_directory(QueryParams("near_me=0&sort=grade"), strict=False).sort == "grade"
