"""Jinja2 environment: template folder, filters and the context every page gets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from portal.privacy import mask_name, mask_phone, scrub
from portal.settings import PROJECT_ROOT, get_settings

LARGE_TEXT_COOKIE = "portal_large_text"


# The formats pages use most, without strftime: a queue page shows 60 dates, and strftime
# (1.7 µs) and a method call from a template (≈ 2 µs) took a fifth of its rows' rendering.
# (%-formatting: 0.6 µs where an f-string with format specs takes 1.1.)
_FORMATS = {
    "%Y-%m-%d %H:%M": lambda d: "%04d-%02d-%02d %02d:%02d" % (  # noqa: UP031
        d.year, d.month, d.day, d.hour, d.minute),
    "%Y-%m-%d": lambda d: "%04d-%02d-%02d" % (d.year, d.month, d.day),  # noqa: UP031
    "%m-%d": lambda d: "%02d-%02d" % (d.month, d.day),  # noqa: UP031
}


def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant in the city's time zone, formatted (strftime's format codes)."""
    if value is None:
        return ""
    local = value.astimezone(get_settings().timezone)
    fast = _FORMATS.get(fmt)
    return fast(local) if fast else local.strftime(fmt)


def _deadline(value: datetime | None) -> str:
    """A due instant (00:00 after the last day) shown the statutory way: "<last day> 24:00"."""
    if value is None:
        return ""
    last = value.astimezone(get_settings().timezone) - timedelta(seconds=1)
    return _FORMATS["%Y-%m-%d"](last) + " 24:00"


def _ymd(value: date | None) -> str:
    return _FORMATS["%Y-%m-%d"](value) if value else ""


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
    # Free text leaving the staff side: {{ text | scrub([name], [phone]) }} (portal.privacy).
    scrub=scrub,
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


def _path_html(router: Any, name: str, params: dict[str, Any]) -> str:
    """The route's path, escaped for HTML, looked up once per route. Links with ids (an
    institution's page, a complaint) are filled into the route's shape: with one cache entry
    per id, the 400,000 institutions' links missed the cache and each scanned the routes again.
    (Escaping the shape escapes the filled-in path: ids are digits.)"""
    if params and all(type(v) is int and v >= 0 for v in params.values()):
        shapes: dict = router.__dict__.setdefault("_portal_url_shapes", {})
        key = (name, tuple(sorted(params)))
        shape = shapes.get(key)
        if shape is None:
            shape = shapes[key] = str(escape(_shape(router, name, params)))
        if shape:
            return shape.format_map(params)
    cache: dict = router.__dict__.setdefault("_portal_url_paths", {})
    key = (name, tuple(sorted(params.items())))
    path = cache.get(key)
    if path is None:
        path = str(escape(router.url_path_for(name, **params)))
        if len(cache) < _PATHS_KEPT:
            cache[key] = path
    return path


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> Markup:
    """Starlette's url_for, as the HTML of the absolute URL: the route lookup cached (routes
    never change while the app runs), the request's base escaped once per request and the
    path once per route or link (a queue page builds 60 links: as URL objects, each escaped at
    output, they took ≈ 15 % of its rows' rendering, bench/RESULTS.md)."""
    request: Request = context["request"]
    # Error pages rendered by middleware run before routing: the app's router then.
    router = request.scope.get("router") or request.app.router
    path = _path_html(router, name, path_params)
    # What URLPath.make_absolute_url builds for an http route, with the request's base taken
    # once per request instead of once per link.
    prefix = request.scope.get("portal.url_prefix")
    if prefix is None:
        prefix = request.scope["portal.url_prefix"] = str(escape(str(request.base_url).rstrip("/")))
    return Markup(prefix + path)  # noqa: S704 (both parts escaped above)


templates.env.globals.update(STATIC_VERSION="1", query_with=query_with, url_for=url_for)
# Templates change only with a deploy (a restart): checking every template file's mtime on each
# render cost ≈15 % of an institution page under load (bench/RESULTS.md).
templates.env.auto_reload = False
