"""/admin/imports: civil affairs upload the registry's files, watch the background job's
progress (htmx polling, or a refresh link without JavaScript), read and download the per-row
report, import the valid rows after a dry run, list the imports and roll one back."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core.endpoints import Ctx, view
from portal.core.exports import XLSX_TYPE, xlsx_stream
from portal.core.security import BODY_CUT
from portal.core.settings import Settings
from portal.registry.forms import MB, AgainForm, UploadForm
from portal.registry.kinds import KINDS, UPLOADABLE, undoable
from portal.registry.models import Import
from portal.registry.rules.rollback import NOT_UNDOABLE
from portal.registry.services import history, jobs
from portal.registry.services.files import report_sheet, template_book

CIVIL_AFFAIRS = [Role.ADMIN, Role.SUPERVISOR]
SHOWN_PROBLEMS = 200
UPLOAD_PATH = "/admin/imports/"
MULTIPART_MARGIN = 64 * 1024  # the form's other fields and the multipart boundaries


def max_body(settings: Settings) -> int:
    """The upload form's largest body (portal/core/security.py: the rest of the site takes 2 MB;
    a larger body comes cut, and the form says the file is too large)."""
    return settings.import_max_mb * MB + MULTIPART_MARGIN


def _list_context(ctx: Ctx, **extra: Any) -> dict[str, Any]:
    imports = ctx.db.scalars(select(Import).order_by(Import.id.desc()).limit(100)).all()
    return {"imports": imports, "kinds": KINDS, "upload_kinds": UPLOADABLE, "max_mb": ctx.settings.import_max_mb,
            "errors": {}, "typed": {}, **extra}


@view(roles=CIVIL_AFFAIRS)
def index(ctx: Ctx) -> Response:
    return ctx.render("registry/imports.html", **_list_context(ctx))


@view(roles=CIVIL_AFFAIRS, uploads=True)
def upload(ctx: Ctx) -> Response:
    form = UploadForm(ctx.form, kinds=UPLOADABLE, max_mb=ctx.settings.import_max_mb,
                      cut=getattr(ctx.request.state, BODY_CUT, False))
    if not form.validate():
        return ctx.render("registry/imports.html", status_code=400,
                          **_list_context(ctx, errors=form.problems,
                                        typed=form.texts("kind", "mode")))
    assert ctx.user is not None
    record = history.queue_upload(ctx.db, ctx.user, form.kind.data, form.mode.data,
                                  form.file_name, form.content)
    ctx.db.commit()
    return ctx.redirect(ctx.url("imports:detail", import_id=record.id))


def _record(ctx: Ctx) -> Import:
    record = ctx.db.get(Import, ctx.request.path_params["import_id"])
    if record is None:
        raise HTTPException(404, "没有这次导入")
    return record


def _detail_context(ctx: Ctx, record: Import) -> dict[str, Any]:
    """The page of an import. Whether it may be rolled back is not decided here: that reads
    every row it wrote and what refers to each (4 s for 50,000 rows), so it is done on the
    rollback page (`rollback_form`), when asked."""
    problems = (record.report or {}).get("problems", []) if record.finished else []
    return {"record": record, "kind": KINDS.get(record.kind),
            "progress": None if record.finished else jobs.progress_of(record.id),
            "problems": problems[:SHOWN_PROBLEMS], "problem_count": len(problems),
            "summary": (record.report or {}).get("summary", []),
            "undoable": record.status == "done" and undoable(record.kind),
            "not_undoable": NOT_UNDOABLE if record.status == "done" and not undoable(record.kind)
            else "",
            "again": record.status in ("checked", "rejected") and record.rows_total > 0}


@view(roles=CIVIL_AFFAIRS)
def detail(ctx: Ctx) -> Response:
    record = _record(ctx)
    return ctx.render("registry/import.html", **_detail_context(ctx, record))


@view(roles=CIVIL_AFFAIRS)
def progress(ctx: Ctx) -> Response:
    """The progress fragment htmx polls; once the import finished it tells the browser to
    load the whole page (the report)."""
    record = _record(ctx)
    response = ctx.render("registry/_progress.html", **_detail_context(ctx, record))
    if record.finished:
        response.headers["HX-Redirect"] = ctx.url("imports:detail", import_id=record.id)
    return response


@view(roles=CIVIL_AFFAIRS)
def again(ctx: Ctx) -> Response:
    record = _record(ctx)
    form = AgainForm(ctx.form)
    if not form.validate():
        raise HTTPException(400, "请选择导入方式")
    assert ctx.user is not None
    follow = history.queue_again(ctx.db, ctx.user, record.id, form.mode.data)
    ctx.db.commit()
    return ctx.redirect(ctx.url("imports:detail", import_id=follow.id))


@view(roles=CIVIL_AFFAIRS)
def rollback_form(ctx: Ctx) -> Response:
    """Whether the import may be rolled back now: the confirmation, or what depends on it."""
    record = _record(ctx)
    return ctx.render("registry/import_rollback.html", record=record,
                      kind=KINDS.get(record.kind), decision=history.decision(ctx.db, record))


@view(roles=CIVIL_AFFAIRS)
def rollback(ctx: Ctx) -> Response:
    record = _record(ctx)
    assert ctx.user is not None
    history.roll_back(ctx.db, record.id, ctx.user)
    ctx.db.commit()
    return ctx.redirect(ctx.url("imports:detail", import_id=record.id) + "?rolled_back=1")


@view(roles=CIVIL_AFFAIRS)
def report(ctx: Ctx) -> Response:
    record = _record(ctx)
    if not record.finished:
        raise HTTPException(404, "导入尚未完成")
    rows = [tuple(p) for p in (record.report or {}).get("problems", [])]
    return xlsx_stream(f"import-{record.id}-report.xlsx", [report_sheet(rows)])


@view(roles=CIVIL_AFFAIRS)
def template(ctx: Ctx) -> Response:
    kind = KINDS.get(ctx.request.path_params["kind"])
    if kind is None:
        raise HTTPException(404, "没有这种导入类型")
    buffer = io.BytesIO()
    template_book(kind.sheet, kind.columns, kind.not_kept).save(buffer)
    return Response(buffer.getvalue(), media_type=XLSX_TYPE, headers={
        "content-disposition": f'attachment; filename="template-{kind.code}.xlsx"'})


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/", upload, methods=["POST"], name="upload"),
    Route("/templates/{kind}.xlsx", template, methods=["GET"], name="template"),
    Route("/{import_id:int}", detail, methods=["GET"], name="detail"),
    Route("/{import_id:int}/progress", progress, methods=["GET"], name="progress"),
    Route("/{import_id:int}/again", again, methods=["POST"], name="again"),
    Route("/{import_id:int}/rollback", rollback_form, methods=["GET"], name="rollback_form"),
    Route("/{import_id:int}/rollback", rollback, methods=["POST"], name="rollback"),
    Route("/{import_id:int}/report.xlsx", report, methods=["GET"], name="report"),
]
