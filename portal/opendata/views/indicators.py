"""Supervision efficiency indicators for civil affairs (mounted at /indicators): the page by
district, one indicator's records, and the 评估表 as XLSX (figures also as CSV)."""

from __future__ import annotations

from datetime import date, datetime

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.core.exports import csv_response, xlsx_stream
from portal.institutions.rules.thresholds import configured_thresholds
from portal.opendata.forms import IndicatorQuery
from portal.opendata.rules.evaluation_form import FORM_ROWS
from portal.opendata.services.indicator_export import FIGURE_HEADER, figure_rows, workbook
from portal.opendata.services.indicators import IndicatorService, Report

CIVIL_AFFAIRS = [Role.ADMIN, Role.SUPERVISOR]


def _today(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def _params(ctx: Ctx, service: IndicatorService) -> tuple[int, int, int | None]:
    """(year, scope id, street id or None) from the query string; junk falls back to this
    year and the city (and no street)."""
    query = IndicatorQuery(ctx.request.query_params)
    year, scope = query.chosen(_today(ctx))
    if service.scope_name(scope) is None:
        raise HTTPException(404, "没有这个区县，请从列表中选择。")
    street = query.street.data
    if street is not None and all(id_ != street for id_, _ in service.streets(scope)):
        raise HTTPException(404, "该区县没有这个乡镇（街道），请从列表中选择。")
    return year, scope, street


def _setup(ctx: Ctx):
    service = IndicatorService(ctx.db, ctx.settings.timezone,
                               configured_thresholds(ctx.settings.check_thresholds))
    year, scope, street = _params(ctx, service)
    return service, service.period(year, _today(ctx)), scope, street


def _report(service: IndicatorService, period, scope: int, street: int | None) -> Report:
    """The district's (or city's) report, or the street's when one is chosen."""
    if street is not None:
        report = service.street_report(street, period)
        if report is not None:
            return report
    return service.report(scope, period)


@view(roles=CIVIL_AFFAIRS)
def index(ctx: Ctx) -> Response:
    service, period, scope, street = _setup(ctx)
    reports = service.all_reports(period)
    report = (next(r for r in reports if r.scope_id == scope) if street is None
              else _report(service, period, scope, street))
    computed = {i.code for i in report.indicators}
    return ctx.render(
        "opendata/indicators.html", reports=reports, report=report, period=period,
        scopes=service.scopes(), scope=scope, years=range(_today(ctx).year, 2019, -1),
        manual=[r for r in FORM_ROWS if r.code not in computed],
        streets=service.streets(scope), street=street,
        street_reports=service.street_reports(scope, period),
    )


@view(roles=CIVIL_AFFAIRS)
def detail(ctx: Ctx) -> Response:
    service, period, scope, street = _setup(ctx)
    report = _report(service, period, scope, street)
    indicator = report.get(ctx.request.path_params["code"])
    if indicator is None:
        raise HTTPException(404, "没有这项指标，或该指标需要人工填写。")
    return ctx.render("opendata/indicator_detail.html", report=report, indicator=indicator,
                      period=period, scope=scope, street=street)


@view(roles=CIVIL_AFFAIRS)
def export_xlsx(ctx: Ctx) -> Response:
    service, period, scope, street = _setup(ctx)
    reports = service.all_reports(period)
    if street is None:
        report = next(r for r in reports if r.scope_id == scope)
        stem = f"indicators-{period.year}-{scope}"
    else:
        report = _report(service, period, scope, street)
        reports = service.street_reports(scope, period)
        stem = f"indicators-{period.year}-{scope}-street-{street}"
    return xlsx_stream(f"{stem}.xlsx", workbook(report, reports, _today(ctx)))


@view(roles=CIVIL_AFFAIRS)
def export_csv(ctx: Ctx) -> Response:
    service, period, _, _ = _setup(ctx)
    rows = list(figure_rows(service.all_reports(period)))
    return csv_response(f"indicators-{period.year}.csv", FIGURE_HEADER, rows)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/export.xlsx", export_xlsx, methods=["GET"], name="xlsx"),
    Route("/export.csv", export_csv, methods=["GET"], name="csv"),
    Route("/{code:str}", detail, methods=["GET"], name="detail"),
]
