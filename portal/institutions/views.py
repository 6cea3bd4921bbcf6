"""Public directory and institution pages (the fuller disclosure portal grows here)."""

from __future__ import annotations

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.endpoints import Ctx, view
from portal.institutions import vocab
from portal.institutions.services import DirectoryFilter, InstitutionQueries
from portal.orgs.models import District


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None


@view()
def directory(ctx: Ctx) -> Response:
    params = ctx.request.query_params
    kind = params.get("kind")
    flt = DirectoryFilter(
        district_id=_int_or_none(params.get("district")),
        kind=kind if kind in vocab.KINDS else None,
        q=(params.get("q") or "").strip()[:50],
    )
    page = InstitutionQueries(ctx.db).directory(flt, ctx.page_param())
    template = "institutions/_results.html" if ctx.is_htmx else "institutions/directory.html"
    return ctx.render(
        template,
        page=page,
        flt=flt,
        districts=ctx.db.scalars(select(District).order_by(District.id)).all(),
        vocab=vocab,
    )


@view()
def detail(ctx: Ctx) -> Response:
    institution_id = ctx.request.path_params["institution_id"]
    queries = InstitutionQueries(ctx.db)
    institution = queries.get(institution_id)
    if institution is None:
        raise HTTPException(404)
    return ctx.render(
        "institutions/detail.html",
        inst=institution,
        fees=queries.current_fees(institution_id),
        resources=queries.resources(institution_id),
        grade=queries.latest_grade(institution_id),
        inspections=queries.inspections(institution_id),
        penalties=queries.penalties(institution_id),
        credit=queries.credit_entries(institution_id),
        vocab=vocab,
    )


routes = [
    Route("/", directory, methods=["GET"], name="directory"),
    Route("/{institution_id:int}", detail, methods=["GET"], name="detail"),
]
