"""The back-office pages of unregistered places (mounted with the registry's, at
/admin/registry/places): the list with each place's state and on-site check deadline, adding a
place, its page with the follow-up (已取缔 / 已转介) and the conversion into a registered
institution. Civil affairs only, as the registry (portal/registry/places.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from portal.core.endpoints import Ctx, view
from portal.institutions import vocab
from portal.institutions.rules.thresholds import Thresholds, configured_thresholds
from portal.institutions.services.queries import InstitutionQueries
from portal.registry import lifecycle, places
from portal.registry.exceptions import InvalidEntry
from portal.registry.rules.places import ONSITE_SOURCE, OUTCOMES
from portal.registry.views import KEEPERS, today_of, typed_values

SAVED = {"created": "已记录该场所，已列入未登记/未备案场所。",
         "followed": "已记录跟进结果。",
         "converted": "已转为登记机构，原有检查、投诉等记录保留在本机构名下。"}


def _thresholds(ctx: Ctx) -> Thresholds:
    return configured_thresholds(ctx.settings.check_thresholds)


@view(roles=KEEPERS)
def index(ctx: Ctx) -> Response:
    assert ctx.user is not None
    found = places.listed(ctx.db, ctx.user, today_of(ctx), ctx.settings.timezone, _thresholds(ctx))
    return ctx.render("registry/places.html", places=found, vocab=vocab,
                      days=_thresholds(ctx).onsite_check_working_days, source=ONSITE_SOURCE,
                      configured=_thresholds(ctx).onsite_check_source)


def _new_page(ctx: Ctx, values: dict[str, str], status: int = 200,
              errors: dict[str, str] | None = None) -> Response:
    return ctx.render("registry/place_new.html", status_code=status, vocab=vocab,
                      values={"place": values}, errors={"place": errors or {}},
                      districts=InstitutionQueries(ctx.db).districts(), today=today_of(ctx))


@view(roles=KEEPERS)
def new_page(ctx: Ctx) -> Response:
    assert ctx.user is not None
    lifecycle.require_keeper(ctx.user, None)
    return _new_page(ctx, {"kind": "residential", "discovered_via": "inspection"})


@view(roles=KEEPERS)
def post_new(ctx: Ctx) -> Response:
    assert ctx.user is not None
    values = typed_values(ctx)
    try:
        inst = places.add(ctx.db, ctx.user, values, today_of(ctx))
    except InvalidEntry as err:
        ctx.db.rollback()
        return _new_page(ctx, values, 400, err.errors)
    return _saved(ctx, inst.id, "created")


def _page(ctx: Ctx, institution_id: int, status: int = 200,
          errors: dict[str, dict[str, str]] | None = None,
          values: dict[str, dict[str, str]] | None = None) -> Response:
    assert ctx.user is not None
    shown = places.shown(ctx.db, ctx.user, institution_id, today_of(ctx), ctx.settings.timezone,
                         _thresholds(ctx))
    values = dict(values or {})
    today = today_of(ctx).isoformat()
    values.setdefault("follow", {"decided_on": today})
    values.setdefault("convert", {"decided_on": today, "name": shown.inst.name,
                                  "nature": shown.inst.nature,
                                  "credit_code": shown.inst.credit_code or "",
                                  "legal_representative": shown.inst.legal_representative})
    return ctx.render("registry/place.html", status_code=status, place=shown, inst=shown.inst,
                      vocab=vocab, outcomes=OUTCOMES, errors=errors or {}, values=values,
                      days=_thresholds(ctx).onsite_check_working_days, source=ONSITE_SOURCE,
                      configured=_thresholds(ctx).onsite_check_source,
                      saved=SAVED.get(ctx.request.query_params.get("saved", ""), ""))


@view(roles=KEEPERS)
def place_page(ctx: Ctx) -> Response:
    return _page(ctx, ctx.request.path_params["institution_id"])


def _saved(ctx: Ctx, institution_id: int, key: str) -> Response:
    ctx.db.commit()
    url = ctx.url("registry:place", institution_id=institution_id)
    return ctx.redirect(f"{url}?saved={key}#h-place-state")


def _post(ctx: Ctx, action: Callable[..., Any], form: str, saved: str) -> Response:
    """Run a place's action on the posted form: back to its page, or the form's errors."""
    assert ctx.user is not None
    institution_id = ctx.request.path_params["institution_id"]
    values = typed_values(ctx)
    try:
        action(ctx.db, ctx.user, institution_id, values, today_of(ctx))
    except InvalidEntry as err:
        ctx.db.rollback()
        return _page(ctx, institution_id, 400, errors={form: err.errors}, values={form: values})
    return _saved(ctx, institution_id, saved)


@view(roles=KEEPERS)
def post_follow_up(ctx: Ctx) -> Response:
    return _post(ctx, places.follow_up, "follow", "followed")


@view(roles=KEEPERS)
def post_convert(ctx: Ctx) -> Response:
    return _post(ctx, places.convert, "convert", "converted")


routes = [
    Route("/places/", index, methods=["GET"], name="places"),
    Route("/places/new", new_page, methods=["GET"], name="place_new"),
    Route("/places/new", post_new, methods=["POST"], name="place_create"),
    Route("/places/{institution_id:int}", place_page, methods=["GET"], name="place"),
    Route("/places/{institution_id:int}/follow-up", post_follow_up, methods=["POST"],
          name="place_follow_up"),
    Route("/places/{institution_id:int}/convert", post_convert, methods=["POST"],
          name="place_convert"),
]
