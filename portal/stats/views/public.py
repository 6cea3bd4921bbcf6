"""Public statistics pages: /stats and the departments' league table /stats/departments."""

from __future__ import annotations

from datetime import date

from starlette.responses import Response
from starlette.routing import Route

from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.stats.rules.periods import Period, calendar_year, last_12_months, period_from_query
from portal.stats.services.page import DIMENSION_TITLES, build_stats_page, league_table

EARLIEST_YEAR = 2020


def period_choices(today: date) -> list[tuple[str, Period]]:
    """The periods offered in the filter: last 12 months, then calendar years, newest first."""
    years = range(today.year, max(EARLIEST_YEAR, today.year - 4) - 1, -1)
    return [("12m", last_12_months(today))] + [(str(y), calendar_year(y)) for y in years]


def _period(ctx: Ctx) -> tuple[str, Period, date]:
    now = utcnow()
    today = now.astimezone(ctx.settings.timezone).date()
    raw = ctx.request.query_params.get("period", "12m")
    period = period_from_query(raw, today, EARLIEST_YEAR)
    choices = dict(period_choices(today))
    value = raw if raw in choices else ("12m" if period == last_12_months(today) else raw)
    return value, period, today


@view()
def stats(ctx: Ctx) -> Response:
    value, period, today = _period(ctx)
    page = build_stats_page(ctx.db, period, tz=ctx.settings.timezone, now=utcnow(), today=today)
    return ctx.render("stats/index.html", page=page, period_value=value,
                      choices=period_choices(today), dimensions=DIMENSION_TITLES)


@view()
def departments(ctx: Ctx) -> Response:
    value, period, today = _period(ctx)
    rows = league_table(ctx.db, period, tz=ctx.settings.timezone, now=utcnow())
    return ctx.render("stats/departments.html", rows=rows, period=period, period_value=value,
                      choices=period_choices(today))


routes = [
    Route("/", stats, methods=["GET"], name="index"),
    Route("/departments", departments, methods=["GET"], name="departments"),
]
