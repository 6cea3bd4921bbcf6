"""Search page (/search, htmx fragment or full page), its JSON API and the name type-ahead."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.routing import Route

from portal.core.endpoints import Ctx, view
from portal.core.openapi import register
from portal.core.ratelimit import allow, client_ip
from portal.institutions import vocab
from search.forms import API_MAX_PER_PAGE, BadParam, SearchForm, SuggestQuery
from search.services.help_example import help_example
from search.services.index import (
    GRADE_VALUES,
    MAX_QUERY_CHARS,
    PRICE_BUCKETS,
    SUGGEST_MAX_CHARS,
    SearchQuery,
    SearchResults,
    SearchUnavailable,
    search,
    suggest,
)

# Shown on the page and returned by the API beside each notice code.
NOTICES = {
    "empty": "请输入机构名称、地址或想了解的内容（如“消防”“护理费”），也可以只用下面的条件筛选。",
    "no_terms": "没有识别出可以搜索的词语，已按筛选条件列出全部机构。请换用中文词语或机构名称的拼音首字母。",
    "truncated": f"关键词太长，只按前 {MAX_QUERY_CHARS} 个字搜索。",
}
UNAVAILABLE = "搜索服务正在维护（索引重建中），请稍后再试，或使用“养老机构查询”按名称查找。"
# The type-ahead fires as people type; a person never needs more than this per minute.
SUGGEST_PER_MINUTE = 120


def search_query(params: QueryParams, *, strict: bool, page: int | None = None) -> SearchQuery:
    """Read the search form or API parameters; junk is ignored on pages, a 400 in the API."""
    return SearchForm(params).query(strict=strict, page=page)


@view()
def search_page(ctx: Ctx) -> Response:
    query = search_query(ctx.request.query_params, strict=False, page=ctx.page_param(last=1000))
    results: SearchResults | None = None
    try:
        results = search(ctx.settings.index_dir, query)
    except SearchUnavailable:
        pass
    # htmx history restores want the whole page.
    fragment = ctx.is_htmx and ctx.request.headers.get("hx-history-restore-request") != "true"
    status = 200 if results is not None or fragment else 503
    response = ctx.render(
        "search/_results.html" if fragment else "search/page.html",
        status_code=status,
        query=query,
        results=results,
        notices=[NOTICES[n] for n in results.notices] if results else [],
        unavailable=UNAVAILABLE if results is None else "",
        vocab=vocab,
        grades=GRADE_VALUES,
        example=None if fragment else help_example(ctx.db),
    )
    response.headers["Vary"] = "HX-Request"
    return response


def _facet_json(results: SearchResults) -> dict[str, list[dict[str, Any]]]:
    return {name: [asdict(f) for f in counts] for name, counts in results.facets.items()}


@view(api=True)
def api_search(ctx: Ctx) -> Response:
    try:
        query = search_query(ctx.request.query_params, strict=True)
    except BadParam as exc:
        return ctx.api_error(400, exc.message, exc.field)
    try:
        results = search(ctx.settings.index_dir, query)
    except SearchUnavailable:
        return ctx.api_error(503, UNAVAILABLE)
    return ctx.json(
        {
            "query": asdict(query),
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "per_page": query.per_page,
            "notices": [{"code": n, "message": NOTICES[n]} for n in results.notices],
            "results": [
                {
                    "id": hit.id,
                    "url": ctx.url("institutions:detail", institution_id=hit.id),
                    "name": hit.name,
                    "name_html": str(hit.name_html),
                    "district": hit.district,
                    "street": hit.street,
                    "address": hit.address,
                    "kind": hit.kind,
                    "nature": hit.nature,
                    "filing_status": hit.filing_status,
                    "grade": hit.grade or None,
                    "beds_total": hit.beds_total,
                    "beds_vacant": hit.beds_vacant,
                    "monthly_price": (
                        {"min": hit.price_min, "max": hit.price_max}
                        if hit.price_min is not None
                        else None
                    ),
                    "highlights": [{"field": s.field, "html": str(s.html)} for s in hit.snippets],
                }
                for hit in results.hits
            ],
            "facets": _facet_json(results),
        }
    )


@view(api=True)
def api_suggest(ctx: Ctx) -> Response:
    # Machine clients with an API key (another hotline's servers, one address for many
    # call-takers) are not limited per address.
    if ctx.user is None and not allow("suggest", client_ip(ctx.request), SUGGEST_PER_MINUTE, 60):
        return ctx.api_error(429, "输入提示请求过于频繁，请稍等一分钟后再试。")
    form = SuggestQuery(ctx.request.query_params)
    for field, message in form.check().items():
        return ctx.api_error(400, message, field)
    q = form.q.data
    found = suggest(ctx.db, q, form.limit.data, index_dir=ctx.settings.index_dir)
    return ctx.json({"query": q, "results": [asdict(s) for s in found]})


routes = [
    Route("/search", search_page, methods=["GET"], name="search"),
    Route("/api/v1/search", api_search, methods=["GET"], name="api_search"),
    Route("/api/v1/institutions/suggest", api_suggest, methods=["GET"], name="api_suggest"),
]

_FACET = {"type": "array", "items": {"type": "object"}}
register(
    "/api/v1/search",
    {
        "get": {
            "summary": "Full-text search over published disclosures (jieba-segmented Chinese)",
            "parameters": [
                {"name": n, "in": "query", "required": False, "schema": sch, "description": d}
                for n, sch, d in [
                    (
                        "q",
                        {"type": "string", "maxLength": MAX_QUERY_CHARS},
                        "words; empty lists all",
                    ),
                    ("district", {"type": "integer"}, "district id"),
                    ("kind", {"enum": list(vocab.KINDS)}, "institution kind"),
                    ("nature", {"enum": list(vocab.NATURES)}, "nature"),
                    ("grade", {"enum": list(GRADE_VALUES)}, "grade"),
                    ("price", {"enum": list(PRICE_BUCKETS)}, "monthly price bucket"),
                    ("vacancies", {"enum": ["1", "0", "true", "false"]}, "only with vacant beds"),
                    ("page", {"type": "integer", "minimum": 1}, "page"),
                    (
                        "per_page",
                        {"type": "integer", "minimum": 1, "maximum": API_MAX_PER_PAGE},
                        "page size",
                    ),
                ]
            ],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["total", "page", "pages", "results", "facets"],
                                "properties": {
                                    "total": {"type": "integer"},
                                    "page": {"type": "integer"},
                                    "pages": {"type": "integer"},
                                    "results": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "name", "url"],
                                        },
                                    },
                                    "facets": {"type": "object", "additionalProperties": _FACET},
                                },
                            }
                        }
                    },
                },
                "400": {
                    "description": "bad parameter; `field` names it",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "503": {"description": "index unavailable (being rebuilt)"},
            },
        }
    },
)
register(
    "/api/v1/institutions/suggest",
    {
        "get": {
            "summary": "Type-ahead: institutions by name characters or pinyin initials (top 10)",
            "parameters": [
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "maxLength": SUGGEST_MAX_CHARS},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 10},
                },
            ],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["query", "results"],
                                "properties": {
                                    "query": {"type": "string"},
                                    "results": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id", "name", "district", "address"],
                                            "properties": {
                                                "id": {"type": "integer"},
                                                "name": {"type": "string"},
                                                "district": {"type": "string"},
                                                "address": {"type": "string"},
                                            },
                                        },
                                    },
                                },
                            }
                        }
                    },
                },
                "400": {
                    "description": "bad parameter",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "429": {
                    "description": "too many requests from this address (per minute)",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    },
)
