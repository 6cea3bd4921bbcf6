"""The search parameters: left out on the page when broken, a 400 naming the field in the API."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from search.forms import API_MAX_PAGE, BadParam, SearchForm, SuggestQuery
from search.index import MAX_QUERY_CHARS


def test_the_page_leaves_broken_values_out_and_keeps_the_rest():
    query = SearchForm(QueryParams("q=护理&kind=zoo&district=abc&vacancies=1&per_page=9")).query(
        strict=False, page=3)
    assert (query.q, query.kind, query.district_id, query.vacancies, query.page,
            query.per_page) == ("护理", None, None, True, 3, 20)


@pytest.mark.parametrize(("params", "field", "start"), [
    ("q=" + "长" * (MAX_QUERY_CHARS + 1), "q", f"q 不能超过 {MAX_QUERY_CHARS} 个字符"),
    ("vacancies=maybe", "vacancies", "vacancies 的取值无效"),
    (f"page={API_MAX_PAGE + 1}", "page", f"page 必须是 1–{API_MAX_PAGE} 之间的整数"),
    ("per_page=0", "per_page", "per_page 必须是 1–50 之间的整数"),
    ("district=" + "9" * 5000, "district", "district 必须是"),  # no 5000-digit int()
    ("kind=zoo", "kind", "kind 的取值无效：可选 residential"),
])
def test_the_api_names_the_first_broken_field(params, field, start):
    with pytest.raises(BadParam) as caught:
        SearchForm(QueryParams(params)).query(strict=True)
    assert caught.value.field == field and caught.value.message.startswith(start)


def test_the_api_reads_a_good_query():
    query = SearchForm(QueryParams("q=消防&kind=residential&district=2&page=2&per_page=50")).query(
        strict=True)
    assert (query.kind, query.district_id, query.page, query.per_page) == ("residential", 2, 2, 50)


@pytest.mark.parametrize(("params", "problems"), [
    ("", {"q": "请提供 q：机构名称中的字或拼音首字母"}),
    ("q=a&limit=11", {"limit": "limit 必须是 1–10 之间的整数"}),
])
def test_the_type_ahead_names_its_field(params, problems):
    assert SuggestQuery(QueryParams(params)).check() == problems


def test_the_type_ahead_defaults_to_ten():
    form = SuggestQuery(QueryParams("q=ab"))
    assert form.check() == {} and form.limit.data == 10
