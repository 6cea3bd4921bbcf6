"""The search page's and API's parameters, each with its rule and message.

On the page a value that breaks its rule is left out (the search still runs); the API answers
400 naming the first field that breaks one (`SearchForm.query(strict=True)`).
"""

from __future__ import annotations

from portal.formfields import Choice, PortalForm, Text, WholeNumber
from portal.institutions import vocab
from search.index import (
    GRADE_VALUES,
    MAX_QUERY_CHARS,
    PRICE_BUCKETS,
    SUGGEST_MAX_CHARS,
    SearchQuery,
)

API_MAX_PAGE = 1000
API_MAX_PER_PAGE = 50
SUGGEST_MAX_LIMIT = 10


class BadParam(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _choice(name: str, allowed) -> Choice:
    return Choice(name, optional=True, choices=allowed,
                  message=f"{name} 的取值无效：可选 {', '.join(map(str, allowed))}")


def _number(name: str, low: int, high: int) -> WholeNumber:
    return WholeNumber(name, low=low, high=high, message=f"{name} 必须是 {low}–{high} 之间的整数")


class SearchForm(PortalForm):
    """/search and /api/v1/search (the order of the fields is the order the API reports in)."""

    q = Text(max_length=MAX_QUERY_CHARS, too_long=f"q 不能超过 {MAX_QUERY_CHARS} 个字符")
    vacancies = _choice("vacancies", ("1", "0", "true", "false"))
    page = _number("page", 1, API_MAX_PAGE)
    per_page = _number("per_page", 1, API_MAX_PER_PAGE)
    district = _number("district", 1, 10**9)
    kind = _choice("kind", vocab.KINDS)
    nature = _choice("nature", vocab.NATURES)
    grade = _choice("grade", GRADE_VALUES)
    price = _choice("price", PRICE_BUCKETS)

    def query(self, *, strict: bool, page: int | None = None) -> SearchQuery:
        """The search asked for; strict (the API): BadParam for the first broken rule, else
        (the page) broken values are left out and the page number is the page's own."""
        problems = self.check()
        if strict:
            for field, message in problems.items():
                raise BadParam(field, message)

        def kept(name: str):
            return None if name in problems or not self[name].data else self[name].data

        return SearchQuery(
            q=self.q.data[: MAX_QUERY_CHARS * 2],
            district_id=kept("district"),
            kind=kept("kind"),
            nature=kept("nature"),
            grade=kept("grade"),
            price=kept("price"),
            vacancies=kept("vacancies") in ("1", "true"),
            page=page if page is not None else kept("page") or 1,
            per_page=(kept("per_page") if strict else None) or 20,
        )


class SuggestQuery(PortalForm):
    """/api/v1/institutions/suggest?q=&limit= (the type-ahead)."""

    q = Text(required="请提供 q：机构名称中的字或拼音首字母", max_length=SUGGEST_MAX_CHARS,
             too_long=f"q 不能超过 {SUGGEST_MAX_CHARS} 个字符")
    limit = WholeNumber(low=1, high=SUGGEST_MAX_LIMIT, default=SUGGEST_MAX_LIMIT,
                        message=f"limit 必须是 1–{SUGGEST_MAX_LIMIT} 之间的整数")
