"""Supervision efficiency indicators for civil affairs (mounted at /indicators): the page by
district, one indicator's records, and the 评估表 as XLSX (figures also as CSV)."""

from __future__ import annotations

from datetime import date, datetime

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.roles import Role
from portal.endpoints import Ctx, view
from portal.exports import csv_response, xlsx_stream
from portal.institutions.thresholds import configured_thresholds
from portal.opendata.evaluation_form import FORM_ROWS
from portal.opendata.forms import IndicatorQuery
from portal.opendata.indicator_export import FIGURE_HEADER, figure_rows, workbook
from portal.opendata.indicators import IndicatorService

CIVIL_AFFAIRS = [Role.ADMIN, Role.SUPERVISOR]


def _today(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def _params(ctx: Ctx, service: IndicatorService) -> tuple[int, int]:
    """(year, scope id) from the query string; junk falls back to this year and the city."""
    year, scope = IndicatorQuery(ctx.request.query_params).chosen(_today(ctx))
    if service.scope_name(scope) is None:
        raise HTTPException(404, "没有这个区县，请从列表中选择。")
    return year, scope


def _setup(ctx: Ctx):
    service = IndicatorService(ctx.db, ctx.settings.timezone,
                               configured_thresholds(ctx.settings.check_thresholds))
    year, scope = _params(ctx, service)
    return service, service.period(year, _today(ctx)), scope


@view(roles=CIVIL_AFFAIRS)
def index(ctx: Ctx) -> Response:
    service, period, scope = _setup(ctx)
    reports = service.all_reports(period)
    report = next(r for r in reports if r.scope_id == scope)
    computed = {i.code for i in report.indicators}
    return ctx.render(
        "opendata/indicators.html", reports=reports, report=report, period=period,
        scopes=service.scopes(), scope=scope, years=range(_today(ctx).year, 2019, -1),
        manual=[r for r in FORM_ROWS if r.code not in computed],
    )


@view(roles=CIVIL_AFFAIRS)
def detail(ctx: Ctx) -> Response:
    service, period, scope = _setup(ctx)
    report = service.report(scope, period)
    indicator = report.get(ctx.request.path_params["code"])
    if indicator is None:
        raise HTTPException(404, "没有这项指标，或该指标需要人工填写。")
    return ctx.render("opendata/indicator_detail.html", report=report, indicator=indicator,
                      period=period, scope=scope)


@view(roles=CIVIL_AFFAIRS)
def export_xlsx(ctx: Ctx) -> Response:
    service, period, scope = _setup(ctx)
    reports = service.all_reports(period)
    report = next(r for r in reports if r.scope_id == scope)
    sheets = workbook(report, reports, _today(ctx))
    return xlsx_stream(f"indicators-{period.year}-{scope}.xlsx", sheets)


@view(roles=CIVIL_AFFAIRS)
def export_csv(ctx: Ctx) -> Response:
    service, period, _ = _setup(ctx)
    rows = list(figure_rows(service.all_reports(period)))
    return csv_response(f"indicators-{period.year}.csv", FIGURE_HEADER, rows)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/export.xlsx", export_xlsx, methods=["GET"], name="xlsx"),
    Route("/export.csv", export_csv, methods=["GET"], name="csv"),
    Route("/{code:str}", detail, methods=["GET"], name="detail"),
]
