"""The institution domain's query forms."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import QueryParams

from portal.institutions.forms import ApiPageQuery, CompareQuery, ReviewQuery, SearchQuery

TODAY = date(2026, 12, 7)


def test_compare_reads_ids_in_order_once_each_and_says_when_trimmed():
    query = CompareQuery(QueryParams("ids=3,1&ids=3&ids=x,0,2&ids=4&level=zoo"))
    assert query.ids() == ([3, 1, 2], True)
    assert query.care_level == "self_care"


def test_api_paging_names_its_field():
    assert ApiPageQuery(QueryParams("page=0")).check() == {"page": "页码应为 1 以上的整数"}
    assert ApiPageQuery(QueryParams("per_page=101")).check() == {
        "per_page": "每页条数应为 1 到 100"}
    paging = ApiPageQuery(QueryParams(""))
    assert paging.check() == {} and (paging.page.data, paging.per_page.data) == (1, 20)


def test_the_gov_search_box_is_cut_to_fifty_characters():
    assert SearchQuery(QueryParams("q=" + "院" * 80)).q.data == "院" * 50


def test_review_filters_fall_back_and_say_so():
    filters = ReviewQuery(QueryParams("office=abc&since=2026-13-01&until=2026-01-01")).filters(
        TODAY)
    assert (filters.office_id, filters.since, filters.until) == (
        None, date(2026, 1, 1), date(2026, 11, 7))
    assert filters.problems == ("部门选择有误，已显示全部部门", "起始日期格式应为年-月-日，已按默认处理",
                                "截止日期早于起始日期，已对调")
    swapped = ReviewQuery(QueryParams("office=7&since=2026-12-01&until=2026-11-01")).filters(TODAY)
    assert (swapped.office_id, swapped.since, swapped.until, swapped.problems) == (
        7, date(2026, 11, 1), date(2026, 12, 1), ("截止日期早于起始日期，已对调",))
