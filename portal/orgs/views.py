"""Civil affairs' page of street/town offices (mounted at /admin/street-offices): every street
with its offices, and a form to add one. Staff accounts of a new office are created on the
users page as for any office."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.orgs.forms import StreetOfficeForm
from portal.orgs.services import StreetOfficeError, add_street_office, streets_with_offices
from portal.orgs.vocab import DEPARTMENT_TYPES

CIVIL_AFFAIRS = [Role.ADMIN, Role.SUPERVISOR]


def _render(ctx: Ctx, form: StreetOfficeForm, problems: dict[str, str],
            status: int = 200) -> Response:
    return ctx.render("orgs/street_offices.html", status_code=status,
                      streets=streets_with_offices(ctx.db), types=DEPARTMENT_TYPES,
                      form=form.texts(), problems=problems,
                      added=ctx.request.query_params.get("added"))


@view(roles=CIVIL_AFFAIRS)
def index(ctx: Ctx) -> Response:
    return _render(ctx, StreetOfficeForm(data={"type_code": "civil_affairs"}), {})


@view(roles=CIVIL_AFFAIRS)
def create(ctx: Ctx) -> Response:
    form = StreetOfficeForm(ctx.form)
    problems = form.check()
    actor = ctx.user
    if not problems and actor is not None:
        try:
            office = add_street_office(ctx.db, street_id=form.street_id.data,
                                       type_code=form.type_code.data, name=form.name.data,
                                       phone=form.phone.data, actor_id=actor.id)
        except StreetOfficeError as exc:
            ctx.db.rollback()
            problems = exc.problems
        else:
            ctx.db.commit()
            return ctx.redirect(ctx.url("street_offices:index") + f"?added={office.id}")
    return _render(ctx, form, problems, status=400)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/", create, methods=["POST"], name="create"),
]
