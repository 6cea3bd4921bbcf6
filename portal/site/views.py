"""Home page, the large-text preference and /healthz."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response
from starlette.routing import Route

from portal.endpoints import Ctx, safe_next, view
from portal.institutions.models import Institution
from portal.jobs import redis_state
from portal.orgs.models import District
from portal.templating import LARGE_TEXT_COOKIE

ONE_YEAR = 365 * 24 * 3600


@view()
def home(ctx: Ctx) -> Response:
    institutions = ctx.db.scalar(select(func.count(Institution.id)))
    districts = ctx.db.scalars(select(District).order_by(District.id)).all()
    return ctx.render("site/home.html", institution_count=institutions, districts=districts)


@view()
def text_size(ctx: Ctx) -> Response:
    """Toggle large text; a cookie remembers it, so it works without JavaScript."""
    large = ctx.field("large") == "1"
    response = ctx.redirect(safe_next(ctx.field("next")))
    response.set_cookie(
        LARGE_TEXT_COOKIE,
        "1" if large else "0",
        max_age=ONE_YEAR,
        samesite="lax",
        httponly=True,
        secure=ctx.settings.secure_cookies,
    )
    return response


@view()
def healthz(ctx: Ctx) -> Response:
    try:
        ctx.db.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = f"error: {type(exc).__name__}"
    state = {"database": database, **redis_state()}
    return ctx.json(state, status_code=200 if database == "ok" else 503)


routes = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/prefs/text-size", text_size, methods=["POST"], name="text_size"),
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
]
