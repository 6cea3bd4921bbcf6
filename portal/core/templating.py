"""Jinja2 environment: template folder, filters and the context every page gets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, NoMatchFound
from starlette.templating import Jinja2Templates

from portal.core.privacy import mask_name, mask_phone, scrub
from portal.core.settings import PROJECT_ROOT, get_settings

# The reading aids of 《互联网网站适老化通用设计规范》 (MIIT, 2021): 特大字体 and 背景色高对比,
# each a cookie the pages read, set by a plain form post (portal/site/views.py, static/css/elder.css).
LARGE_TEXT_COOKIE = "portal_large_text"
HIGH_CONTRAST_COOKIE = "portal_high_contrast"


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


def _money(value: Decimal | float | int | None, whole: bool = False) -> str:
    """Every amount of money on every page, one format (issue 21 item 12): thousands separated,
    to the fen, rounded half up ("6,489.50"). `whole=True` for the "每月约" monthly estimates
    (directory, search, an institution's page), rounded half up to the yuan ("6,490"), so the
    same estimate reads the same wherever it is shown (the search index keeps it in yuan)."""
    if value is None:
        return "—"
    if whole:
        return f"{Decimal(str(value)).quantize(Decimal('1'), ROUND_HALF_UP):,}"
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


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
        "high_contrast": request.cookies.get(HIGH_CONTRAST_COOKIE) == "1",
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
    # Free text leaving the staff side: {{ text | scrub([name], [phone]) }} (portal.core.privacy).
    scrub=scrub,
)
# Starlette's Router.url_path_for asks each route in turn (≈ 40–60 µs with this app's routes,
# 30× the rest of url_for). Which route answers depends only on the link's name and parameter
# names, and routes never change while the app runs: that is cached, and the route's own
# url_path_for builds each link. (A cache of whole paths, one entry per id, was tried: the
# 400,000 institutions' links thrash it, bench/RESULTS.md "Link shapes".)
@lru_cache(maxsize=1024)
def _route(app: Starlette, name: str, param_names: tuple[str, ...]) -> BaseRoute | None:
    """The route the app's router would build `name` with from parameters so named: the first
    not answering NoMatchFound (a matter of names only). None: leave it to the router."""
    probe = dict.fromkeys(param_names, "0")
    for route in app.router.routes:
        try:
            route.url_path_for(name, **probe)
        except NoMatchFound:
            continue
        except Exception:  # noqa: BLE001 (a convertor refusing the probe value: router decides)
            return None
        return route
    return None


def _path(app: Starlette, name: str, params: dict[str, Any]) -> str:
    route = _route(app, name, tuple(sorted(params)))
    if route is not None:
        try:
            return str(route.url_path_for(name, **params))
        except Exception:  # noqa: BLE001, S110 (the router raises the proper error below)
            pass
    return str(app.router.url_path_for(name, **params))


# The links a site repeats (navigation, static files, the districts) built and escaped once.
@lru_cache(maxsize=4096)
def _path_html(app: Starlette, name: str, params: tuple[tuple[str, Any], ...]) -> str:
    """The path of the link, escaped for HTML."""
    return str(escape(_path(app, name, dict(params))))


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> Markup:
    """Starlette's url_for, as the HTML of the absolute URL (escaped once: a parameter with
    markup in it stays text, and the result is not escaped again at output)."""
    request: Request = context["request"]
    path = _path_html(request.app, name, tuple(sorted(path_params.items())))
    # What URLPath.make_absolute_url builds for an http route, with the request's base taken
    # once per request instead of once per link.
    prefix = request.scope.get("portal.url_prefix")
    if prefix is None:
        prefix = request.scope["portal.url_prefix"] = str(escape(str(request.base_url).rstrip("/")))
    return Markup(prefix + path)  # noqa: S704 (both parts escaped above)


templates.env.globals.update(STATIC_VERSION="2", query_with=query_with, url_for=url_for)
# Templates change only with a deploy (a restart): checking every template file's mtime on each
# render cost ≈15 % of an institution page under load (bench/RESULTS.md).
templates.env.auto_reload = False
