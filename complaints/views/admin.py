"""Admin pages for complaint rules: routing rules (with history) and the holiday calendar."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from complaints.exceptions import InvalidComplaint
from complaints.forms import CalendarUploadForm, RoutingRuleForm
from complaints.models import HolidayYear, RoutingRule, RoutingRuleChange
from complaints.rules.calendar import format_year_file
from complaints.rules.categories import DEFAULT_BY_CODE
from complaints.rules.routing import STREET_BASIS
from complaints.services.admin import load_year_file, update_rule
from complaints.services.calendar_store import load_calendar
from complaints.services.reference import package_schedules
from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.orgs.vocab import DEPARTMENT_TYPES

ADMINS = [Role.ADMIN]


def _routing_context(ctx: Ctx, **extra) -> dict:
    return {
        "rules": ctx.db.scalars(select(RoutingRule).order_by(RoutingRule.position)).all(),
        "changes": ctx.db.scalars(select(RoutingRuleChange).order_by(RoutingRuleChange.id.desc()).limit(50)).all(),
        "types": DEPARTMENT_TYPES,
        "defaults": DEFAULT_BY_CODE,
        "street_basis": STREET_BASIS,
        "errors": extra.pop("errors", {}),
        **extra,
    }


@view(roles=ADMINS)
def routing(ctx: Ctx) -> Response:
    return ctx.render("complaints/admin/routing.html", **_routing_context(ctx))


@view(roles=ADMINS)
def routing_update(ctx: Ctx) -> Response:
    code = ctx.request.path_params["code"]
    form = RoutingRuleForm(ctx.form)
    try:
        update_rule(
            ctx.db, code,
            label=form.label.data, help_text=form.help_text.data, keywords=form.keyword_list,
            responsible_type=form.responsible_type.data,
            co_handling_types=form.co_handling_types.data,
            active=form.active.data, actor_id=ctx.user.id, street_level=form.street_level.data,
        )
    except InvalidComplaint as exc:
        ctx.db.rollback()
        return ctx.render("complaints/admin/routing.html", status_code=400,
                          **_routing_context(ctx, errors=exc.errors, error_code=code))
    ctx.db.commit()
    return ctx.redirect(ctx.url("complaints_admin:routing") + f"?saved={code}#rule-{code}")


def _calendar_context(ctx: Ctx, **extra) -> dict:
    calendar = load_calendar(ctx.db)
    uploaded = {row.year: row for row in ctx.db.scalars(select(HolidayYear))}
    years = []
    for year in calendar.known_years():
        schedule = calendar.schedule(year)
        years.append({"year": year, "source": schedule.source, "holidays": len(schedule.holidays),
                      "workdays": len(schedule.makeup_workdays), "row": uploaded.get(year)})
    return {"years": list(reversed(years)), "package_years": sorted(package_schedules()),
            "errors": extra.pop("errors", {}), **extra}


@view(roles=ADMINS)
def calendar_page(ctx: Ctx) -> Response:
    return ctx.render("complaints/admin/calendar.html", **_calendar_context(ctx))


@view(roles=ADMINS)
def calendar_upload(ctx: Ctx) -> Response:
    raw, name = CalendarUploadForm(ctx.form).content()
    if not raw:
        return ctx.render("complaints/admin/calendar.html", status_code=400,
                          **_calendar_context(ctx, errors={"file": "请选择文件或粘贴内容"}))
    try:
        schedule = load_year_file(ctx.db, raw, ctx.user.id, name)
    except InvalidComplaint as exc:
        ctx.db.rollback()
        return ctx.render("complaints/admin/calendar.html", status_code=400,
                          **_calendar_context(ctx, errors=exc.errors))
    ctx.db.commit()
    return ctx.redirect(ctx.url("complaints_admin:calendar") + f"?saved={schedule.year}")


@view(roles=ADMINS)
def calendar_download(ctx: Ctx) -> Response:
    year = ctx.request.path_params["year"]
    schedule = load_calendar(ctx.db).schedule(year)
    if schedule is None:
        raise HTTPException(404)
    return PlainTextResponse(format_year_file(schedule), headers={
        "content-disposition": f'attachment; filename="holidays-{year}.txt"'})


routes = [
    Route("/routing", routing, methods=["GET"], name="routing"),
    Route("/routing/{code}", routing_update, methods=["POST"], name="routing_update"),
    Route("/calendar", calendar_page, methods=["GET"], name="calendar"),
    Route("/calendar", calendar_upload, methods=["POST"], name="calendar_upload"),
    Route("/calendar/{year:int}.txt", calendar_download, methods=["GET"], name="calendar_download"),
]
