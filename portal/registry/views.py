"""The registry's back-office pages (mounted at /admin/registry): find an institution, change its
operating status with the 安置 plan, record 安置 progress, and merge a duplicate record into it. Civil affairs only
(portal/registry/rules/lifecycle.py: `may_keep_registry`); every change audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.institutions import vocab
from portal.institutions.forms import SearchQuery
from portal.institutions.services.queries import InstitutionQueries
from portal.registry import institutions, lifecycle, merge
from portal.registry.exceptions import InvalidEntry, NotFound
from portal.registry.models import StatusChange
from portal.registry.rules.lifecycle import (
    EXIT_BASIS,
    STOPPING,
    SUSPENSION_BASIS,
    TRANSITIONS,
    resettlement_state,
)

# Who may open the pages; the service decides per institution (a district office: its own).
KEEPERS = [Role.ADMIN, Role.SUPERVISOR, Role.DEPARTMENT]
SAVED = {"status": "已记录运营状态变更，已在机构公开页面显示。",
         "progress": "已更新安置进展，已在机构公开页面显示。",
         "created": "已登记新机构，已在机构查询中显示。",
         "updated": "已保存登记信息，已在机构公开页面显示。",
         "unchanged": "登记信息没有改动。",
         "merged": "已将重复记录并入本机构，其收费、监管记录、投诉、评价等已归入本机构。"}


def today_of(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def typed_values(ctx: Ctx) -> dict[str, str]:
    return {k: v.strip() for k, v in ctx.form.items() if isinstance(v, str) and k != "csrf_token"}


@view(roles=KEEPERS)
def index(ctx: Ctx) -> Response:
    q = SearchQuery(ctx.request.query_params).q.data
    matches = (InstitutionQueries(ctx.db).picker_choices(q, index_dir=ctx.settings.index_dir)
               if q else [])
    return ctx.render("registry/index.html", q=q, matches=matches)


def _page(ctx: Ctx, institution_id: int, status: int = 200,
          errors: dict[str, dict[str, str]] | None = None,
          values: dict[str, dict[str, str]] | None = None) -> Response:
    inst = InstitutionQueries(ctx.db).get(institution_id)
    if inst is None:
        raise NotFound("没有这家机构，可能编号有误。")
    assert ctx.user is not None
    lifecycle.require_keeper(ctx.user, inst)
    changes = lifecycle.history(ctx.db, inst.id)
    in_care = lifecycle.elders_in_care(ctx.db, inst.id)
    values = dict(values or {})
    values.setdefault("status", {"elders_in_care": "" if in_care is None else str(in_care),
                                 "effective_on": today_of(ctx).isoformat()})
    for change in changes:
        values.setdefault(f"progress-{change.id}", {
            "resettled_count": str(change.resettled_count),
            "resettled_on": change.resettled_on.isoformat() if change.resettled_on else ""})
    return ctx.render(
        "registry/institution.html", status_code=status, inst=inst, changes=changes,
        next_statuses=[(code, vocab.OPERATING_STATUSES[code])
                       for code in TRANSITIONS.get(inst.operating_status, ())],
        statuses=vocab.OPERATING_STATUSES, stopping=STOPPING, in_care=in_care,
        state=resettlement_state, exit_basis=EXIT_BASIS, suspension_basis=SUSPENSION_BASIS,
        errors=errors or {}, values=values, today=today_of(ctx),
        saved=SAVED.get(ctx.request.query_params.get("saved", ""), ""))


@view(roles=KEEPERS)
def institution_page(ctx: Ctx) -> Response:
    return _page(ctx, ctx.request.path_params["institution_id"])


def _saved(ctx: Ctx, institution_id: int, key: str, anchor: str) -> Response:
    ctx.db.commit()
    url = ctx.url("registry:institution", institution_id=institution_id)
    return ctx.redirect(f"{url}?saved={key}#{anchor}")


@view(roles=KEEPERS)
def post_status(ctx: Ctx) -> Response:
    assert ctx.user is not None
    institution_id = ctx.request.path_params["institution_id"]
    values = typed_values(ctx)
    try:
        row = lifecycle.change_status(ctx.db, ctx.user, institution_id, values, today_of(ctx))
    except InvalidEntry as err:
        ctx.db.rollback()
        return _page(ctx, institution_id, 400, errors={"status": err.errors},
                     values={"status": values})
    return _saved(ctx, institution_id, "status", f"change-{row.id}")


@view(roles=KEEPERS)
def post_merge(ctx: Ctx) -> Response:
    assert ctx.user is not None
    institution_id = ctx.request.path_params["institution_id"]
    values = typed_values(ctx)
    try:
        merge.merge(ctx.db, ctx.user, institution_id, values, today_of(ctx))
    except InvalidEntry as err:
        ctx.db.rollback()
        return _page(ctx, institution_id, 400, errors={"merge": err.errors},
                     values={"merge": values})
    return _saved(ctx, institution_id, "merged", "h-merge")


@view(roles=KEEPERS)
def post_progress(ctx: Ctx) -> Response:
    assert ctx.user is not None
    change_id = ctx.request.path_params["change_id"]
    values = typed_values(ctx)
    found: Any = ctx.db.get(StatusChange, change_id)
    if found is None:
        raise NotFound("没有这条状态变更记录")
    institution_id = found.institution_id
    key = f"progress-{change_id}"
    try:
        lifecycle.record_progress(ctx.db, ctx.user, change_id, values, today_of(ctx))
    except InvalidEntry as err:
        ctx.db.rollback()
        return _page(ctx, institution_id, 400, errors={key: err.errors}, values={key: values})
    return _saved(ctx, institution_id, "progress", f"change-{change_id}")


def _record_page(ctx: Ctx, inst: Any, values: dict[str, str], status: int = 200,
                 errors: dict[str, str] | None = None) -> Response:
    return ctx.render(
        "registry/edit.html", status_code=status, inst=inst, values={"inst": values},
        errors={"inst": errors or {}}, vocab=vocab,
        districts=InstitutionQueries(ctx.db).districts())


@view(roles=KEEPERS)
def new_page(ctx: Ctx) -> Response:
    assert ctx.user is not None
    lifecycle.require_keeper(ctx.user, None)
    return _record_page(ctx, None, {"operating_status": "operating"})


@view(roles=KEEPERS)
def post_new(ctx: Ctx) -> Response:
    assert ctx.user is not None
    values = typed_values(ctx)
    try:
        inst = institutions.create(ctx.db, ctx.user, values)
    except InvalidEntry as err:
        ctx.db.rollback()
        return _record_page(ctx, None, values, 400, err.errors)
    return _saved(ctx, inst.id, "created", "current-status")


@view(roles=KEEPERS)
def edit_page(ctx: Ctx) -> Response:
    assert ctx.user is not None
    inst = InstitutionQueries(ctx.db).get(ctx.request.path_params["institution_id"])
    if inst is None:
        raise NotFound("没有这家机构，可能编号有误。")
    lifecycle.require_keeper(ctx.user, inst)
    return _record_page(ctx, inst, institutions.form_values(inst))


@view(roles=KEEPERS)
def post_edit(ctx: Ctx) -> Response:
    assert ctx.user is not None
    institution_id = ctx.request.path_params["institution_id"]
    values = typed_values(ctx)
    try:
        changed = institutions.update(ctx.db, ctx.user, institution_id, values)
    except InvalidEntry as err:
        ctx.db.rollback()
        inst = InstitutionQueries(ctx.db).get(institution_id)
        return _record_page(ctx, inst, values, 400, err.errors)
    return _saved(ctx, institution_id, "updated" if changed else "unchanged", "current-status")


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/institutions/new", new_page, methods=["GET"], name="new"),
    Route("/institutions/new", post_new, methods=["POST"], name="create"),
    Route("/institutions/{institution_id:int}/edit", edit_page, methods=["GET"], name="edit"),
    Route("/institutions/{institution_id:int}/edit", post_edit, methods=["POST"],
          name="update"),
    Route("/institutions/{institution_id:int}", institution_page, methods=["GET"],
          name="institution"),
    Route("/institutions/{institution_id:int}/status", post_status, methods=["POST"],
          name="status"),
    Route("/institutions/{institution_id:int}/merge", post_merge, methods=["POST"],
          name="merge"),
    Route("/changes/{change_id:int}/progress", post_progress, methods=["POST"], name="progress"),
]
