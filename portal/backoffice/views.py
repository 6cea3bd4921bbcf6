"""Back-office pages: institution staff edit their disclosures (/manage), civil-affairs reviewers
approve or reject them (/admin/disclosures). Every form works without JavaScript."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.backoffice.forms import CYCLES
from portal.backoffice.models import SECTION_LABELS, SECTIONS, DisclosureDraft
from portal.backoffice.rules import changes
from portal.backoffice.rules.validation import InvalidDraft
from portal.backoffice.services import workflow
from portal.backoffice.services.workflow import REVIEWERS, WorkflowError
from portal.core.endpoints import Ctx, view
from portal.core.formfields import parse_whole
from portal.institutions import vocab
from portal.institutions.models import Institution

STAFF = [Role.INSTITUTION]
BLANK_ROWS = 3
STATUS_LABELS = {"draft": "草稿（未提交）", "submitted": "待审核", "approved": "已通过",
                 "rejected": "已退回", "published": "已公开", "withdrawn": "已放弃"}
NOTICES = {
    "saved": "草稿已保存。请核对下面的改动，确认无误后提交审核。",
    "submitted": "已提交审核。民政部门审核通过后将在公开页面显示。",
    "recalled": "已撤回，可以继续修改后再提交。",
    "discarded": "草稿已放弃。",
    "published": "已审核通过并公开。",
    "rejected": "已退回，机构会看到退回原因。",
}


def _today(ctx: Ctx) -> date:
    return datetime.now(ctx.settings.timezone).date()


def _common() -> dict[str, Any]:
    return {"vocab": vocab, "cycles": CYCLES, "section_labels": SECTION_LABELS,
            "status_labels": STATUS_LABELS}


def _institution(ctx: Ctx) -> Institution:
    assert ctx.user is not None
    return workflow.own_institution(ctx.db, ctx.user)


def _section(ctx: Ctx) -> str:
    section = ctx.request.path_params["section"]
    if section not in SECTIONS:
        raise HTTPException(404, "没有这一栏")
    return section


def _draft_id(ctx: Ctx) -> int:
    return ctx.request.path_params["draft_id"]


# --- institution staff ------------------------------------------------------------------------


@view(roles=STAFF)
def dashboard(ctx: Ctx) -> Response:
    inst = _institution(ctx)
    return ctx.render(
        "backoffice/dashboard.html", inst=inst, sections=SECTIONS,
        drafts=workflow.latest_drafts(ctx.db, inst.id),
        last_updated=workflow.last_updated(ctx.db, inst.id),
        notice=NOTICES.get(ctx.request.query_params.get("done", ""), ""), **_common())


def _edit_page(ctx: Ctx, inst: Institution, section: str, values: dict[str, str],
               errors: dict[str, str] | None = None, status: int = 200,
               notice: str = "") -> Response:
    rejected = None
    latest = workflow.latest_drafts(ctx.db, inst.id).get(section)
    if latest is not None and latest.status == "rejected":
        rejected = latest
    rows = int(values.get("rows") or 0)
    return ctx.render(
        "backoffice/edit.html", status_code=status, inst=inst, section=section,
        values={section: values}, errors={section: errors or {}}, rows=rows,
        total_rows=rows + BLANK_ROWS, rejected=rejected, notice=notice,
        open_draft=workflow.open_draft(ctx.db, inst.id, section), today=_today(ctx),
        **_common())


@view(roles=STAFF)
def edit(ctx: Ctx) -> Response:
    inst, section = _institution(ctx), _section(ctx)
    draft = workflow.open_draft(ctx.db, inst.id, section)
    latest = workflow.latest_drafts(ctx.db, inst.id).get(section)
    if draft is not None:
        payload = draft.payload
    elif latest is not None and latest.status == "rejected":
        payload = latest.payload  # start again from what was sent back
    else:
        payload = workflow.published(ctx.db, inst, section)
    return _edit_page(ctx, inst, section, changes.form_values(section, payload))


@view(roles=STAFF)
def save(ctx: Ctx) -> Response:
    inst, section = _institution(ctx), _section(ctx)
    assert ctx.user is not None
    raw = {key: ctx.field(key) for key in ctx.form.keys()}
    try:
        draft = workflow.save_draft(ctx.db, ctx.user, section, raw, _today(ctx))
    except InvalidDraft as err:
        ctx.db.rollback()
        rows = {"rows": str(max(0, (parse_whole(raw.get("rows", ""), 0, 9999) or 0) - BLANK_ROWS))}
        return _edit_page(ctx, inst, section, {**raw, **rows}, err.errors, status=400)
    except WorkflowError as err:
        ctx.db.rollback()
        if err.status != 400:
            raise  # answered by portal.app's domain_error
        draft = workflow.open_draft(ctx.db, inst.id, section)
        payload = draft.payload if draft is not None else {}
        return _edit_page(ctx, inst, section, changes.form_values(section, payload),
                          status=400, notice=err.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("manage:draft", draft_id=draft.id) + "?done=saved")


def _diff_for(ctx: Ctx, draft: DisclosureDraft) -> list[dict[str, str]]:
    inst = ctx.db.get(Institution, draft.institution_id)
    assert inst is not None
    return changes.diff(draft.section, workflow.published(ctx.db, inst, draft.section),
                        draft.payload)


@view(roles=STAFF)
def draft_page(ctx: Ctx) -> Response:
    assert ctx.user is not None
    draft = workflow.own_draft(ctx.db, ctx.user, _draft_id(ctx))
    return ctx.render(
        "backoffice/draft.html", draft=draft, inst=draft.institution,
        diff=_diff_for(ctx, draft) if draft.status in ("draft", "submitted") else [],
        notice=NOTICES.get(ctx.request.query_params.get("done", ""), ""), **_common())


def _staff_action(ctx: Ctx, action: str) -> Response:
    assert ctx.user is not None
    draft_id = _draft_id(ctx)
    try:
        if action == "submitted":
            workflow.submit(ctx.db, ctx.user, draft_id, datetime.now(UTC))
        elif action == "recalled":
            workflow.recall(ctx.db, ctx.user, draft_id)
        else:
            workflow.discard(ctx.db, ctx.user, draft_id)
    except WorkflowError as err:
        ctx.db.rollback()
        if err.status != 400:
            raise  # answered by portal.app's domain_error
        draft = workflow.own_draft(ctx.db, ctx.user, draft_id)
        return ctx.render("backoffice/draft.html", status_code=400, draft=draft,
                          inst=draft.institution, diff=_diff_for(ctx, draft),
                          error=err.message, notice="", **_common())
    ctx.db.commit()
    if action == "discarded":
        return ctx.redirect(ctx.url("manage:dashboard") + "?done=discarded")
    return ctx.redirect(ctx.url("manage:draft", draft_id=draft_id) + f"?done={action}")


@view(roles=STAFF)
def submit(ctx: Ctx) -> Response:
    return _staff_action(ctx, "submitted")


@view(roles=STAFF)
def recall(ctx: Ctx) -> Response:
    return _staff_action(ctx, "recalled")


@view(roles=STAFF)
def discard(ctx: Ctx) -> Response:
    return _staff_action(ctx, "discarded")


# --- reviewers --------------------------------------------------------------------------------


@view(roles=REVIEWERS)
def queue(ctx: Ctx) -> Response:
    return ctx.render(
        "backoffice/queue.html", pending=workflow.review_queue(ctx.db),
        decided=workflow.recent_decisions(ctx.db),
        notice=NOTICES.get(ctx.request.query_params.get("done", ""), ""), **_common())


def _review_page(ctx: Ctx, draft: DisclosureDraft, status: int = 200,
                 errors: dict[str, str] | None = None, error: str = "",
                 reason: str = "") -> Response:
    return ctx.render(
        "backoffice/review.html", status_code=status, draft=draft, inst=draft.institution,
        diff=_diff_for(ctx, draft) if draft.status == "submitted" else [],
        errors=errors or {}, error=error, reason=reason, **_common())


@view(roles=REVIEWERS)
def review(ctx: Ctx) -> Response:
    assert ctx.user is not None
    draft = workflow.submitted_draft(ctx.db, ctx.user, _draft_id(ctx))
    return _review_page(ctx, draft)


def _decide(ctx: Ctx, action: str) -> Response:
    assert ctx.user is not None
    draft_id, now = _draft_id(ctx), datetime.now(UTC)
    reason = ctx.field("reason")
    try:
        if action == "published":
            workflow.approve(ctx.db, ctx.user, draft_id, _today(ctx), now)
        else:
            workflow.reject(ctx.db, ctx.user, draft_id, reason, now)
    except (InvalidDraft, WorkflowError) as err:
        ctx.db.rollback()
        if isinstance(err, WorkflowError) and err.status != 400:
            raise  # answered by portal.app's domain_error
        draft = workflow.submitted_draft(ctx.db, ctx.user, draft_id)
        if isinstance(err, workflow.AlreadyDecided) and draft.status == action:
            # The same decision posted twice (a double click): the first one counted.
            return ctx.redirect(ctx.url("disclosures_admin:queue") + f"?done={action}")
        if isinstance(err, InvalidDraft):
            return _review_page(ctx, draft, 400, errors=err.errors, reason=reason)
        return _review_page(ctx, draft, 400, error=err.message)
    ctx.db.commit()
    return ctx.redirect(ctx.url("disclosures_admin:queue") + f"?done={action}")


@view(roles=REVIEWERS)
def approve(ctx: Ctx) -> Response:
    return _decide(ctx, "published")


@view(roles=REVIEWERS)
def reject(ctx: Ctx) -> Response:
    return _decide(ctx, "rejected")


routes = [
    Route("/", dashboard, methods=["GET"], name="dashboard"),
    Route("/drafts/{draft_id:int}", draft_page, methods=["GET"], name="draft"),
    Route("/drafts/{draft_id:int}/submit", submit, methods=["POST"], name="submit"),
    Route("/drafts/{draft_id:int}/recall", recall, methods=["POST"], name="recall"),
    Route("/drafts/{draft_id:int}/discard", discard, methods=["POST"], name="discard"),
    Route("/{section:str}", edit, methods=["GET"], name="edit"),
    Route("/{section:str}", save, methods=["POST"], name="save"),
]

# Mounted at /admin/disclosures, before Mount("/admin").
admin_routes = [
    Route("/", queue, methods=["GET"], name="queue"),
    Route("/{draft_id:int}", review, methods=["GET"], name="review"),
    Route("/{draft_id:int}/approve", approve, methods=["POST"], name="approve"),
    Route("/{draft_id:int}/reject", reject, methods=["POST"], name="reject"),
]
