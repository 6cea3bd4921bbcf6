"""Public read side: directory, institution page (and its print view), compare, lists. The JSON
API is portal/institutions/views/api.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from portal.core.endpoints import Ctx, view
from portal.core.security import csp_with_images_from
from portal.institutions import vocab
from portal.institutions.forms import (
    MAX_COMPARE,
    CompareQuery,
    DirectoryFilters,
)
from portal.institutions.rules.directory_query import (
    ADMITS,
    SORTS,
)
from portal.institutions.rules.flags import SEVERITY_LABELS
from portal.institutions.rules.geo import distance_label, in_datum
from portal.institutions.rules.headline import TONE_LABELS, for_page
from portal.institutions.rules.thresholds import Thresholds, configured_thresholds
from portal.institutions.services.credit_status import credit_statuses
from portal.institutions.services.directory import Directory
from portal.institutions.services.lists import LISTS, PublicLists
from portal.institutions.services.page import load_page
from portal.institutions.services.pagedoc import shown_page
from portal.institutions.services.queries import InstitutionQueries, Origin
from portal.institutions.views import compare as compare_tray
from portal.registry.merge import merged_into


def today_of(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def thresholds_of(ctx: Ctx) -> Thresholds:
    """Thresholds configured by PORTAL_CHECK_* (SPEC §2: 15 days in one city, 90 in another)."""
    return configured_thresholds(ctx.settings.check_thresholds)


def _common(ctx: Ctx) -> dict:
    return {"vocab": vocab, "severity_labels": SEVERITY_LABELS}


def _profile(page: Any) -> dict:
    """The per-view headline box of an institution page (from its document or its rows)."""
    return {"headline": for_page(page), "tone_labels": TONE_LABELS}
LOCATION_FIELDS = ("lat", "lng", "near")


@view()
def directory(ctx: Ctx) -> Response:
    filters = DirectoryFilters(ctx.request.query_params, strict=False)
    query = filters.query()
    notices = [m for name, m in filters.problems.items() if name in LOCATION_FIELDS]
    places = InstitutionQueries(ctx.db)
    if query.street and query.district:
        chosen = next((d for d in places.districts() if d.id == query.district), None)
        if chosen is None or all(s.id != query.street for s in chosen.streets):
            # The district changed under a street of another district: drop the street.
            query = replace(query, street=None)
    origin = Origin(None)
    if query.sort == "distance" or query.has_point or query.near:
        origin = places.origin(query)
        if origin.point is None and query.sort == "distance":
            # No point to measure from (no JavaScript, the position refused, a street without
            # a centroid): name order, the reason, and the street select to choose from.
            notices.append(origin.problem)
            query = replace(query, sort="name")
    page = Directory(ctx.db).search(query, ctx.page_param(), today_of(ctx), origin=origin.point)
    # After the search, whose statement brought the reference version the districts are kept
    # under (no statement of their own while they are unchanged).
    districts = places.districts()
    tray: dict[str, Any]
    if ctx.is_htmx:  # the results only: the tray outside them stays as it is
        template, tray = "institutions/_results.html", {
            "compare_ids": compare_tray.chosen_ids(ctx)}
    else:
        template, tray = "institutions/directory.html", compare_tray.tray_context(ctx)
    settings = ctx.settings
    map_view = bool(settings.map_tiles) and ctx.request.query_params.get("view") == "map"
    marks = {r.institution.id: in_datum(p, settings.map_datum)
             for r in page.rows if (p := r.institution.point) is not None} if map_view else {}
    response = ctx.render(
        template, page=page, query=query, districts=districts, sorts=SORTS, admits=ADMITS,
        origin=origin, notices=notices, distance_label=distance_label, map_view=map_view,
        marks=marks, **tray, **_common(ctx),
    )
    if settings.map_tiles:
        response.headers["content-security-policy"] = csp_with_images_from(settings.map_origin)
    return response


def institution_id_of(ctx: Ctx) -> int:
    return ctx.request.path_params["institution_id"]


def gone(ctx: Ctx, name: str) -> Response:
    """A record merged into another leads there (portal/registry/merge.py); else 404."""
    survivor = merged_into(ctx.db, institution_id_of(ctx))
    if survivor is None:
        raise HTTPException(404, "没有这家机构，可能编号有误或已注销。")
    return RedirectResponse(ctx.url(name, institution_id=survivor), status_code=301)


@view()
def detail(ctx: Ctx) -> Response:
    page = shown_page(ctx.db, institution_id_of(ctx), today_of(ctx), thresholds_of(ctx))
    if page is None:
        return gone(ctx, "institutions:detail")
    return ctx.render("institutions/detail.html", p=page, inst=page.inst,
                      **_profile(page), **compare_tray.tray_context(ctx), **_common(ctx))


@view()
def print_view(ctx: Ctx) -> Response:
    page = shown_page(ctx.db, institution_id_of(ctx), today_of(ctx), thresholds_of(ctx))
    if page is None:
        return gone(ctx, "institutions:print")
    return ctx.render("institutions/print.html", p=page, inst=page.inst,
                      **_profile(page), **_common(ctx))


@view()
def compare(ctx: Ctx) -> Response:
    query = CompareQuery(ctx.request.query_params)
    ids, trimmed = query.ids()
    tray = compare_tray.tray_context(ctx)
    if not ids and "ids" not in ctx.request.query_params:
        ids = tray["tray"].ids  # /institutions/compare alone: the tray's selection
    level = query.care_level
    today, thresholds = today_of(ctx), thresholds_of(ctx)
    pages = [p for p in (load_page(ctx.db, i, today, thresholds) for i in ids) if p is not None]
    return ctx.render(
        "institutions/compare.html", pages=pages, ids=ids, level=level, trimmed=trimmed,
        max_compare=MAX_COMPARE, **tray, **_common(ctx),
    )


@view()
def lists_index(ctx: Ctx) -> Response:
    return ctx.render("institutions/lists/index.html", lists=LISTS, current=None)


@view()
def public_list(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    if name not in LISTS:
        raise HTTPException(404)
    lists, page_no = PublicLists(ctx.db), ctx.page_param()
    extra: dict = {}
    if name in ("red", "black"):
        today = today_of(ctx)
        page = lists.credit(name, page_no, today)
        template = "institutions/lists/credit.html"
        if name == "red":
            # Entries stay (history is not deleted); one that a blocker now stands against is
            # flagged (portal/institutions/rules/credit.py).
            ids = {inst.id for _entry, inst in page.items}
            extra["status"] = credit_statuses(ctx.db, ids, today,
                                              ctx.settings.credit_lookback_days,
                                              ctx.settings.timezone)
            extra["lookback_days"] = ctx.settings.credit_lookback_days
    else:
        page = getattr(lists, name)(page_no)
        template = f"institutions/lists/{name}.html"
    return ctx.render(template, page=page, lists=LISTS, current=name, title=LISTS[name],
                      **extra, **_common(ctx))


routes = [
    *compare_tray.routes,
    Route("/", directory, methods=["GET"], name="directory"),
    Route("/compare", compare, methods=["GET"], name="compare"),
    Route("/lists/", lists_index, methods=["GET"], name="lists"),
    Route("/lists/{name:str}", public_list, methods=["GET"], name="list"),
    Route("/{institution_id:int}", detail, methods=["GET"], name="detail"),
    Route("/{institution_id:int}/print", print_view, methods=["GET"], name="print"),
]
