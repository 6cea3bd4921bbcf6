"""Internal dashboards under /dashboard: an office's queue health, all offices for supervisors,
and one institution's complaints, flags and completeness."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from complaints import clock
from complaints.calendar_store import load_calendar
from portal.accounts.roles import Role
from portal.db import utcnow
from portal.endpoints import Ctx, view
from portal.institutions.flags import SEVERITY_LABELS
from portal.orgs.models import Department
from portal.stats.boards import institution_board, office_board, office_ranking
from portal.stats.forms import OfficeQuery

STAFF = [Role.DEPARTMENT, Role.SUPERVISOR, Role.ADMIN, Role.INSTITUTION]
SUPERVISORS = [Role.SUPERVISOR, Role.ADMIN]
# Civil affairs (民政) leads supervision of institutions: its offices may open any institution.
INSTITUTION_READERS = [Role.SUPERVISOR, Role.ADMIN, Role.DEPARTMENT]


def _clock(ctx: Ctx):
    now = utcnow()
    calendar = load_calendar(ctx.db)
    # "Due soon" as on the queues: due before the end of the next working day.
    soon = clock.compute_deadline(now, 1, calendar, ctx.settings.timezone).due_at
    return now, soon, calendar


@view(roles=STAFF)
def home(ctx: Ctx) -> Response:
    """Send each role to its own dashboard."""
    role = ctx.user.role_enum
    if role is Role.DEPARTMENT:
        return ctx.redirect(ctx.url("dashboard:office"))
    if role is Role.INSTITUTION:
        return ctx.redirect(ctx.url("dashboard:own_institution"))
    return ctx.redirect(ctx.url("dashboard:offices"))


@view(roles=[Role.DEPARTMENT, *SUPERVISORS])
def office(ctx: Ctx) -> Response:
    """One office's queue health and trend: its own for department staff, any for supervisors."""
    if ctx.user.role_enum is Role.DEPARTMENT:
        office_id = ctx.user.department_id
    else:
        office_id = OfficeQuery(ctx.request.query_params).office.data
        if office_id is None:
            return ctx.redirect(ctx.url("dashboard:offices"))
    dept = ctx.db.get(Department, office_id) if office_id else None
    if dept is None:
        raise HTTPException(404, "没有找到该部门")
    now, soon, calendar = _clock(ctx)
    board = office_board(ctx.db, dept, now=now, soon=soon, tz=ctx.settings.timezone,
                         calendar=calendar)
    return ctx.render("stats/dashboard_office.html", board=board)


@view(roles=SUPERVISORS)
def offices(ctx: Ctx) -> Response:
    now, soon, calendar = _clock(ctx)
    rows = office_ranking(ctx.db, now=now, soon=soon, tz=ctx.settings.timezone,
                          calendar=calendar)
    return ctx.render("stats/dashboard_offices.html", rows=rows)


def _institution(ctx: Ctx, institution_id: int) -> Response:
    now, _soon, calendar = _clock(ctx)
    tz = ctx.settings.timezone
    board = institution_board(ctx.db, institution_id, now=now, today=now.astimezone(tz).date(),
                              tz=tz, calendar=calendar)
    if board is None:
        raise HTTPException(404, "没有找到该机构")
    return ctx.render("stats/dashboard_institution.html", board=board,
                      severity_labels=SEVERITY_LABELS)


@view(roles=[Role.INSTITUTION])
def own_institution(ctx: Ctx) -> Response:
    if not ctx.user.institution_id:
        raise HTTPException(404, "账号未关联机构")
    return _institution(ctx, ctx.user.institution_id)


@view(roles=INSTITUTION_READERS)
def institution(ctx: Ctx) -> Response:
    user = ctx.user
    if user.role_enum is Role.DEPARTMENT and (
            user.department is None or user.department.type_code != "civil_affairs"):
        raise HTTPException(404, "机构看板仅向民政部门开放")
    return _institution(ctx, ctx.request.path_params["institution_id"])


routes = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/office", office, methods=["GET"], name="office"),
    Route("/offices", offices, methods=["GET"], name="offices"),
    Route("/institution", own_institution, methods=["GET"], name="own_institution"),
    Route("/institutions/{institution_id:int}", institution, methods=["GET"],
          name="institution"),
]
