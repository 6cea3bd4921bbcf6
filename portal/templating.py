"""Jinja2 environment: template folder, filters and the context every page gets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from starlette.datastructures import URL
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from portal.privacy import mask_name, mask_phone
from portal.settings import PROJECT_ROOT, get_settings

LARGE_TEXT_COOKIE = "portal_large_text"


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(get_settings().timezone).strftime(fmt)


def _deadline(value: datetime | None) -> str:
    """A due instant (00:00 after the last day) shown the statutory way: "<last day> 24:00"."""
    if value is None:
        return ""
    last = value.astimezone(get_settings().timezone) - timedelta(seconds=1)
    return f"{last:%Y-%m-%d} 24:00"


def _ymd(value: date | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


def query_with(request: Request, **changes: Any) -> str:
    """The current path with some query parameters replaced (None removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None]
    return request.url.path + ("?" + urlencode(params) if params else "")


def _base_context(request: Request) -> dict[str, Any]:
    settings = get_settings()
    return {
        "settings": settings,
        "current_user": getattr(request.state, "viewer", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "large_text": request.cookies.get(LARGE_TEXT_COOKIE) == "1",
    }


templates = Jinja2Templates(
    directory=str(PROJECT_ROOT / "templates"), context_processors=[_base_context]
)
templates.env.filters.update(
    local=_local,
    ymd=_ymd,
    deadline=_deadline,
    money=_money,
    mask_phone=mask_phone,
    mask_name=mask_name,
)
_PATHS_KEPT = 4096  # per app, for links with other than id parameters
# Marks a parameter's place in a route's path: no record has such an id.
_PLACEHOLDER = 7_919_000_000_000
_UNSHAPED = ""  # a route whose path cannot be filled in from a shape (see `_shape`)


def _shape(router: Any, name: str, params: dict[str, int]) -> str:
    """The route's path as a format string over its id parameters ('/institutions/{id}'), or
    `_UNSHAPED` when filling it in would not give exactly what the router builds."""
    real = str(router.url_path_for(name, **params))
    names = sorted(params)
    marked = str(router.url_path_for(
        name, **{k: _PLACEHOLDER + i for i, k in enumerate(names)}))
    shape = marked.replace("{", "{{").replace("}", "}}")
    for i, k in enumerate(names):
        shape = shape.replace(str(_PLACEHOLDER + i), "{" + k + "}")
    return shape if shape.format_map(params) == real else _UNSHAPED


def _path_for(router: Any, name: str, params: dict[str, Any]) -> str:
    """The route's path, looked up once per route. Links with ids (an institution's page, a
    complaint) are filled into the route's shape: with one cache entry per id, the 400,000
    institutions' links missed the cache and each scanned the routes again."""
    if params and all(type(v) is int and v >= 0 for v in params.values()):
        shapes: dict = router.__dict__.setdefault("_portal_url_shapes", {})
        key = (name, tuple(sorted(params)))
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = _shape(router, name, params)
        if shape:
            return shape.format_map(params)
    cache: dict = router.__dict__.setdefault("_portal_url_paths", {})
    key = (name, tuple(sorted(params.items())))
    path = cache.get(key)
    if path is None:
        path = str(router.url_path_for(name, **params))
        if len(cache) < _PATHS_KEPT:
            cache[key] = path
    return path


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's url_for with the route lookup cached: routes never change while the app runs,
    and a page builds a few dozen links (≈10 % of an institution page's time uncached)."""
    request: Request = context["request"]
    # Error pages rendered by middleware run before routing: the app's router then.
    router = request.scope.get("router") or request.app.router
    path = _path_for(router, name, path_params)
    # What URLPath.make_absolute_url builds for an http route, with the request's base taken
    # once per request instead of once per link.
    prefix = request.scope.get("portal.url_prefix")
    if prefix is None:
        prefix = request.scope["portal.url_prefix"] = str(request.base_url).rstrip("/")
    return URL(prefix + path)


templates.env.globals.update(STATIC_VERSION="1", query_with=query_with, url_for=url_for)
# Templates change only with a deploy (a restart): checking every template file's mtime on each
# render cost ≈15 % of an institution page under load (bench/RESULTS.md).
templates.env.auto_reload = False
