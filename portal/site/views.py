"""Home page, the reading aids (large text, high contrast), /healthz and /healthz/scheduler."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response
from starlette.routing import Route

from portal.core.db import utcnow
from portal.core.endpoints import Ctx, safe_next, view
from portal.core.health import read_scheduler_state, redis_state
from portal.core.templating import HIGH_CONTRAST_COOKIE, LARGE_TEXT_COOKIE
from portal.institutions.models import Institution
from portal.institutions.services.lists import LISTS
from portal.orgs.models import District

ONE_YEAR = 365 * 24 * 3600


@view()
def home(ctx: Ctx) -> Response:
    institutions = ctx.db.scalar(select(func.count(Institution.id)))
    districts = ctx.db.scalars(select(District).order_by(District.id)).all()
    return ctx.render("site/home.html", institution_count=institutions, districts=districts,
                      lists=LISTS)


def _remember(ctx: Ctx, cookie: str, on: bool) -> Response:
    """Back to the page the form was on, with a reading aid switched on or off for a year: a
    plain form post and a cookie, so it works without JavaScript. Posted by htmx (a boosted
    form), the whole page is reloaded (HX-Redirect) rather than swapped into a target."""
    back = safe_next(ctx.field("next"))
    if ctx.is_htmx:
        response: Response = Response(status_code=204, headers={"HX-Redirect": back})
    else:
        response = ctx.redirect(back)
    response.set_cookie(
        cookie,
        "1" if on else "0",
        max_age=ONE_YEAR,
        samesite="lax",
        httponly=True,
        secure=ctx.settings.secure_cookies,
    )
    return response


def _aid_again(ctx: Ctx) -> Response:
    """A reading aid pressed after the browser's form cookie went (a tab kept open overnight, a
    phone's browser restored): not the bare refusal, but a page that says so, whose header's
    buttons carry a fresh token, so the next press works (answered 403, storing nothing)."""
    aid = "大字模式" if "large" in ctx.form else "高对比度"
    return ctx.render("site/reading_aid_again.html", aid=aid, back=safe_next(ctx.field("next")))


@view(form_again=_aid_again)
def text_size(ctx: Ctx) -> Response:
    """Toggle large text (特大字体, 《互联网网站适老化通用设计规范》)."""
    return _remember(ctx, LARGE_TEXT_COOKIE, ctx.field("large") == "1")


@view(form_again=_aid_again)
def contrast(ctx: Ctx) -> Response:
    """Toggle the high-contrast theme (背景色高对比, 《互联网网站适老化通用设计规范》)."""
    return _remember(ctx, HIGH_CONTRAST_COOKIE, ctx.field("high") == "1")


@view()
def healthz(ctx: Ctx) -> Response:
    """For load balancers: 503 only when this web process cannot serve (its database is
    away). The background machinery is reported in the body — Redis, the workers and the
    scheduler's last tick — but a dead scheduler is no reason to take web servers out of a
    pool that serves pages fine; monitors probe /healthz/scheduler for that."""
    try:
        ctx.db.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    state: dict = {"database": database, **redis_state()}
    if database == "ok":
        state["scheduler"] = read_scheduler_state(ctx.db, utcnow()).as_json()
    return ctx.json(state, status_code=200 if database == "ok" else 503)


@view()
def healthz_scheduler(ctx: Ctx) -> Response:
    """For monitors: 200 while `portal cron` ticks, 503 when its last tick is older than
    PORTAL_SCHEDULER_STALE_SECONDS or it never ticked."""
    scheduler = read_scheduler_state(ctx.db, utcnow())
    return ctx.json(scheduler.as_json(), status_code=200 if scheduler.status == "ok" else 503)


routes = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/prefs/text-size", text_size, methods=["POST"], name="text_size"),
    Route("/prefs/contrast", contrast, methods=["POST"], name="contrast"),
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
    Route("/healthz/scheduler", healthz_scheduler, methods=["GET"], name="healthz_scheduler"),
]
