"""The application on one screen: routes, middleware, lifespan and exception handlers."""

from __future__ import annotations

import gc
import logging
import sys
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from complaints.rules.georeport import errors_xml
from complaints.services.photos import photo_limits
from complaints.views import admin as complaint_admin_views
from complaints.views import open311
from complaints.views import operator as operator_views
from complaints.views import public as complaint_views
from complaints.views import queues as queue_views
from complaints.views import staff as staff_views
from portal.accounts import views as accounts_views
from portal.backoffice import views as backoffice_views
from portal.backoffice.services.workflow import WorkflowError
from portal.core.db import dispose_engines
from portal.core.endpoints import LoginRequired, login_url
from portal.core.security import (
    CSRF_REFUSED,
    AllowedHostsMiddleware,
    BodyTooLarge,
    CsrfRejected,
    FormGuardMiddleware,
    FormRejected,
    SecurityHeadersMiddleware,
)
from portal.core.settings import PROJECT_ROOT, SettingError, get_settings
from portal.core.templating import templates
from portal.institutions.services.records import RecordError
from portal.institutions.views import api as institution_api
from portal.institutions.views import public as institution_views
from portal.institutions.views import records as gov_views
from portal.opendata.views import indicators as indicator_views
from portal.opendata.views import public as opendata_views
from portal.opendays import views as openday_views
from portal.opendays.exceptions import OpenDayError
from portal.opendays.rules.months import MonthOutOfRange
from portal.ops import views as ops_views
from portal.orgs import views as org_views
from portal.registry import import_views, place_views
from portal.registry import views as registry_views
from portal.registry.exceptions import RegistryError
from portal.registry.services.history import ImportRefused
from portal.reviews import views as review_views
from portal.reviews.services import ReviewError
from portal.site import views as site_views
from portal.stats.views import dashboards as dashboard_views
from portal.stats.views import public as stats_views
from search import views as search_views
from search.services.warm import warm_search

log = logging.getLogger(__name__)

ERROR_TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    413: "提交的内容太大",
    429: "操作太频繁",
    500: "系统出错了",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/open311/"))


def error_response(request: Request, status: int, detail: str = "") -> Response:
    """One renderer for every error: JSON for APIs, a fragment for htmx, a page otherwise."""
    title = ERROR_TITLES.get(status, "出错了")
    if _is_api(request):
        if request.url.path.startswith("/open311/"):
            if request.url.path.endswith(".xml"):  # GeoReport v2's default format
                return Response(errors_xml(status, detail or title), status,
                                media_type="application/xml; charset=utf-8")
            return JSONResponse([{"code": status, "description": detail or title}], status)
        return JSONResponse({"error": {"status": status, "message": detail or title}}, status)
    template = (
        "errors/_error.html" if request.headers.get("hx-request") == "true" else "errors/page.html"
    )
    return templates.TemplateResponse(
        request, template, {"status": status, "title": title, "detail": detail}, status_code=status
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = (
        exc.detail
        if isinstance(exc.detail, str) and exc.detail != ERROR_TITLES.get(exc.status_code)
        else ""
    )
    # Starlette fills detail with the English reason phrase; do not show it.
    if detail and detail.isascii():
        detail = ""
    return error_response(request, exc.status_code, detail)


async def domain_error(request: Request, exc: Exception) -> Response:
    """A domain error that means the same answer on every page: its `status` (400 when it has
    none) and its Chinese `message`. The session of the request is closed unsaved (rolled back)
    on the way out of the view."""
    return error_response(request, getattr(exc, "status", 400), getattr(exc, "message", ""))


# Domain errors answered by `domain_error` wherever a view lets them through; a view catches
# one itself only to answer differently (the form again with the typed values, a 409 page).
DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    OpenDayError, MonthOutOfRange, ReviewError, WorkflowError, RecordError, RegistryError,
    ImportRefused,
)


async def login_required(request: Request, exc: Exception) -> Response:
    return RedirectResponse(login_url(request), status_code=303)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500)


async def guard_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, CsrfRejected):
        return error_response(request, 403, CSRF_REFUSED)
    if isinstance(exc, FormRejected):
        return error_response(request, exc.status, exc.message)
    assert isinstance(exc, BodyTooLarge)
    return error_response(request, 413, "提交的内容超过了大小限制，请删减后再提交。")


@asynccontextmanager
async def lifespan(app: Starlette):
    # What start-up built (modules, templates, routes: ≈ 340,000 objects) lives as long as the
    # process: frozen out of the cyclic collector, whose full collections walked all of it
    # (≈ 60 ms each with the GIL held, every request of the process waiting; bench/RESULTS.md).
    if not gc.get_freeze_count():  # once per process (tests start many apps)
        gc.collect()
        gc.freeze()
    # Every @view runs in this event loop's thread pool (see Settings.web_threads).
    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().web_threads
    # The first search after a start loaded jieba and the index's columns (2.5 s): done here,
    # before the server takes requests (search/services/warm.py).
    await anyio.to_thread.run_sync(warm_search, get_settings().index_dir)
    yield
    dispose_engines()


def create_app() -> Starlette:
    try:
        settings = get_settings()
    except SettingError as exc:
        # uvicorn calls this factory in each web process: a bad PORTAL_* value is one line
        # naming it, not a traceback, and uvicorn's start-up failure code, on which its
        # `--workers` manager stops instead of starting workers again and again.
        from uvicorn.config import STARTUP_FAILURE

        logging.getLogger("uvicorn.error").error("portal: %s", exc)
        sys.exit(STARTUP_FAILURE)
    routes = [
        *site_views.routes,
        # Before Mount("/api/v1"): that mount answers 404 for the rest of /api/v1.
        *search_views.routes,
        *institution_api.routes,
        Mount("/accounts", routes=accounts_views.routes, name="accounts"),
        Mount("/admin/complaints", routes=complaint_admin_views.routes, name="complaints_admin"),
        Mount("/admin/disclosures", routes=backoffice_views.admin_routes,
              name="disclosures_admin"),
        Mount("/admin/ops", routes=ops_views.routes, name="ops"),
        Mount("/admin/street-offices", routes=org_views.routes, name="street_offices"),
        Mount("/admin/registry", routes=registry_views.routes + place_views.routes,
              name="registry"),
        Mount("/admin/imports", routes=import_views.routes, name="imports"),
        Mount("/admin", routes=accounts_views.admin_routes, name="admin"),
        Mount("/manage", routes=backoffice_views.routes, name="manage"),
        Mount("/institutions", routes=institution_views.routes, name="institutions"),
        Mount("/complaints", routes=complaint_views.routes, name="complaints"),
        Mount("/api/v1", routes=complaint_views.api_routes, name="api"),
        Mount("/staff", routes=queue_views.routes + staff_views.routes, name="staff"),
        Mount("/reviews", routes=review_views.routes, name="reviews"),
        Mount("/gov", routes=gov_views.routes, name="gov"),
        Mount("/opendays", routes=openday_views.routes, name="opendays"),
        Mount("/stats", routes=stats_views.routes, name="stats"),
        Mount("/dashboard", routes=dashboard_views.routes, name="dashboard"),
        Mount("/opendata", routes=opendata_views.routes, name="opendata"),
        Mount("/indicators", routes=indicator_views.routes, name="indicators"),
        Mount("/operator", routes=operator_views.routes, name="operator"),
        Mount("/open311/v2", routes=open311.routes, name="open311"),
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
    ]
    if settings.bench_routes:
        from portal.bench_routes import routes as bench_routes

        routes[:0] = bench_routes
    middleware = [
        Middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies),
        Middleware(AllowedHostsMiddleware, allowed_hosts=settings.allowed_hosts),
        Middleware(
            FormGuardMiddleware,
            secret_key=settings.secret_key,
            max_body=settings.max_form_bytes,
            # Forms that send files (`@view(uploads=True)`: the complaint form's photos, the
            # back office's import files): the larger of their limits; each view checks its own.
            max_upload_body=max(photo_limits(settings).max_body(settings.max_form_bytes),
                                import_views.max_body(settings)),
            secure_cookies=settings.secure_cookies,
            on_error=guard_error,
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={
            HTTPException: http_exception,
            LoginRequired: login_required,
            FormRejected: guard_error,
            **dict.fromkeys(DOMAIN_ERRORS, domain_error),
            Exception: server_error,
        },
    )
