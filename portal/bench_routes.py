"""The benchmark's ceiling route: one primary-key query and a page on the site layout.

Mounted only when PORTAL_BENCH_ROUTES=1 (see bench/README in bench/RESULTS.md). It goes through
the same `@view` machinery as every page (thread pool, session, user lookup), so its requests/s
is the most a page of this stack can do and the benchmark reports the others as a ratio of it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.core.endpoints import Ctx, view
from portal.institutions.models import Institution


@view()
def ceiling(ctx: Ctx) -> Response:
    inst = ctx.db.get(Institution, ctx.request.path_params["institution_id"])
    if inst is None:
        raise HTTPException(404)
    return ctx.render("bench/ceiling.html", inst=inst)


routes = [Route("/_bench/ceiling/{institution_id:int}", ceiling, methods=["GET"],
                name="bench_ceiling")]
