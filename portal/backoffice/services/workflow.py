"""The disclosure workflow: draft → submitted → published (approved) or rejected (with reason).

Institution staff save one open draft per section, see the old → new diff, and submit it; a
civil-affairs reviewer (ADMIN, SUPERVISOR) approves — which applies the values, writes the change
history row, an audit event and the search-index job in the same transaction — or rejects with a
reason. A rejected draft stays as it was; the next edit starts a new draft from its values.
Published rows are never overwritten: a changed fee or rule closes the old row and adds one, a
new resources or commitment version is a new row. The caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.backoffice.models import (
    OPEN_STATUSES,
    SECTIONS,
    CreditCommitment,
    DisclosureDraft,
    DisclosureVersion,
    InstitutionRule,
)
from portal.backoffice.rules import changes, validation
from portal.backoffice.rules.validation import InvalidDraft
from portal.backoffice.services.current import (
    current_commitment,
    current_fees,
    current_rules,
    latest_resources,
)
from portal.core import audit
from portal.institutions.models import FeeItem, Institution, ServiceResources
from portal.institutions.tasks import enqueue_refresh
from search.tasks import enqueue_index_update

REVIEWERS = frozenset({Role.ADMIN, Role.SUPERVISOR})
REASON_MAX = 500
DEFAULT_APPROVER = "民政部门"


class WorkflowError(Exception):
    """`message` is shown to the user; `status` is the HTTP status of the page."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DraftNotFound(WorkflowError):
    status = 404


class NotAllowed(WorkflowError):
    status = 403


class AlreadyDecided(WorkflowError):
    """The draft is no longer waiting for review: another reviewer decided it, or the same
    decision was posted twice. A decision happens once (`_decide_once`)."""

    def __init__(self) -> None:
        super().__init__("这份信息不在待审核状态，可能已被其他人审核。")


# --- reading the published values -------------------------------------------------------------
# The values in force are read by portal/backoffice/services/current.py (the public page reads them too).


def published(db: Session, inst: Institution, section: str) -> dict[str, Any]:
    """The section's published values in payload shape."""
    if section == "basic":
        return changes.snapshot_basic(inst)
    if section == "fees":
        return changes.snapshot_fees(current_fees(db, inst.id))
    if section == "rules":
        return changes.snapshot_rules(current_rules(db, inst.id))
    if section == "resources":
        return changes.snapshot_resources(latest_resources(db, inst.id))
    if section == "commitment":
        return changes.snapshot_commitment(current_commitment(db, inst.id))
    raise DraftNotFound("没有这一栏")


def last_updated(db: Session, institution_id: int) -> datetime | None:
    return db.scalar(select(func.max(DisclosureVersion.published_at)).where(
        DisclosureVersion.institution_id == institution_id))


def open_draft(db: Session, institution_id: int, section: str) -> DisclosureDraft | None:
    return db.scalars(select(DisclosureDraft).where(
        DisclosureDraft.institution_id == institution_id, DisclosureDraft.section == section,
        DisclosureDraft.status.in_(OPEN_STATUSES))).first()


def latest_drafts(db: Session, institution_id: int) -> dict[str, DisclosureDraft]:
    """The newest draft of each section (any status)."""
    rows = db.scalars(select(DisclosureDraft).where(
        DisclosureDraft.institution_id == institution_id).order_by(DisclosureDraft.id))
    return {row.section: row for row in rows}


# --- validation with the database's facts -----------------------------------------------------


def validate(db: Session, inst: Institution, section: str, data: Mapping[str, Any],
             today: date) -> dict[str, Any]:
    if section == "basic":
        payload = validation.validate_basic(data, today)
        code = payload["credit_code"]
        if code and db.scalar(select(Institution.id).where(
                Institution.credit_code == code, Institution.id != inst.id)) is not None:
            raise InvalidDraft({"credit_code": "这个统一社会信用代码已属于另一家机构，请核对"})
        return payload
    if section == "fees":
        return validation.validate_fees(data, today, {f.id for f in current_fees(db, inst.id)})
    if section == "rules":
        return validation.validate_rules(data, today, {r.id for r in current_rules(db, inst.id)})
    if section == "resources":
        return validation.validate_resources(data, today, inst.beds_total, inst.kind)
    if section == "commitment":
        return validation.validate_commitment(data, today)
    raise DraftNotFound("没有这一栏")


# --- institution staff ------------------------------------------------------------------------


def own_institution(db: Session, actor: User) -> Institution:
    if Role(actor.role) != Role.INSTITUTION or actor.institution_id is None:
        raise NotAllowed("只有机构账号可以维护本机构的公开信息")
    inst = db.get(Institution, actor.institution_id)
    if inst is None:
        raise DraftNotFound("账号绑定的机构不存在")
    return inst


def own_draft(db: Session, actor: User, draft_id: int) -> DisclosureDraft:
    """The actor's institution's draft; another institution's is 'not found', not 'forbidden'."""
    inst = own_institution(db, actor)
    draft = db.get(DisclosureDraft, draft_id)
    if draft is None or draft.institution_id != inst.id:
        raise DraftNotFound("没有这份草稿")
    return draft


def save_draft(db: Session, actor: User, section: str, data: Mapping[str, Any],
               today: date) -> DisclosureDraft:
    if section not in SECTIONS:
        raise DraftNotFound("没有这一栏")
    inst = own_institution(db, actor)
    draft = open_draft(db, inst.id, section)
    if draft is not None and draft.status == "submitted":
        raise WorkflowError("这一栏已提交审核，审核完成前不能修改；如需修改，请先撤回。")
    payload = validate(db, inst, section, data, today)
    if draft is None:
        draft = DisclosureDraft(institution_id=inst.id, section=section, status="draft",
                                author_id=actor.id, payload=payload)
        db.add(draft)
    else:
        draft.payload, draft.author_id = payload, actor.id
    db.flush()
    audit.record(db, actor.id, "disclosure.draft_saved", "disclosure_draft", draft.id,
                 institution_id=inst.id, section=section)
    return draft


def submit(db: Session, actor: User, draft_id: int, now: datetime) -> DisclosureDraft:
    draft = own_draft(db, actor, draft_id)
    if draft.status != "draft":
        raise WorkflowError("只有未提交的草稿可以提交审核。")
    inst = db.get(Institution, draft.institution_id)
    assert inst is not None
    if not changes.diff(draft.section, published(db, inst, draft.section), draft.payload):
        raise WorkflowError("与已公开的内容相比没有改动，无需提交。")
    draft.status, draft.submitted_at = "submitted", now
    db.flush()
    audit.record(db, actor.id, "disclosure.submitted", "disclosure_draft", draft.id,
                 institution_id=inst.id, section=draft.section)
    return draft


def recall(db: Session, actor: User, draft_id: int) -> DisclosureDraft:
    """Submitted → draft again (to change it before review)."""
    draft = own_draft(db, actor, draft_id)
    if draft.status != "submitted":
        raise WorkflowError("只有待审核的草稿可以撤回。")
    draft.status, draft.submitted_at = "draft", None
    db.flush()
    audit.record(db, actor.id, "disclosure.recalled", "disclosure_draft", draft.id,
                 institution_id=draft.institution_id, section=draft.section)
    return draft


def discard(db: Session, actor: User, draft_id: int) -> DisclosureDraft:
    draft = own_draft(db, actor, draft_id)
    if draft.status != "draft":
        raise WorkflowError("只有未提交的草稿可以放弃。")
    draft.status = "withdrawn"
    db.flush()
    audit.record(db, actor.id, "disclosure.discarded", "disclosure_draft", draft.id,
                 institution_id=draft.institution_id, section=draft.section)
    return draft


# --- reviewers --------------------------------------------------------------------------------


def _reviewer(actor: User) -> None:
    if Role(actor.role) not in REVIEWERS:
        raise NotAllowed("只有民政部门审核人员可以审核公开信息")


def review_queue(db: Session) -> list[DisclosureDraft]:
    return list(db.scalars(select(DisclosureDraft).where(DisclosureDraft.status == "submitted")
                           .order_by(DisclosureDraft.submitted_at, DisclosureDraft.id)))


def recent_decisions(db: Session, limit: int = 20) -> list[DisclosureDraft]:
    return list(db.scalars(select(DisclosureDraft).where(
        DisclosureDraft.status.in_(("published", "rejected"))
    ).order_by(DisclosureDraft.reviewed_at.desc(), DisclosureDraft.id.desc()).limit(limit)))


def submitted_draft(db: Session, actor: User, draft_id: int) -> DisclosureDraft:
    _reviewer(actor)
    draft = db.get(DisclosureDraft, draft_id)
    if draft is None:
        raise DraftNotFound("没有这份待审核的信息")
    return draft


def _closing_day(row_from: date, today: date) -> date:
    """The last day the old row applies (effective_to is inclusive)."""
    return max(today - timedelta(days=1), row_from)


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _apply(db: Session, inst: Institution, section: str, payload: dict[str, Any],
           today: date) -> None:
    if section == "basic":
        for name, value in payload.items():
            if name == "deposit_amount":
                value = None if value is None else Decimal(value)
            elif name == "credit_code":
                value = value or None
            setattr(inst, name, value)
    elif section == "fees":
        rows = {f.id: f for f in current_fees(db, inst.id)}
        for item in payload["items"]:
            old = rows.get(item["id"]) if item["id"] is not None else None
            if item["id"] is not None and old is None:
                raise WorkflowError("收费项目已被修改过，请退回让机构重新填写。")
            values = {k: item[k] for k in ("item", "unit", "pricing_type", "cycle", "care_level")}
            if old is not None:
                unchanged = all(getattr(old, k) == v for k, v in values.items()) \
                    and old.price == Decimal(item["price"])
                if unchanged and not item["close"]:
                    continue
                old.effective_to = _closing_day(old.effective_from, today)
            if not item["close"]:
                db.add(FeeItem(institution_id=inst.id, price=Decimal(item["price"]),
                               effective_from=today, **values))
    elif section == "rules":
        current = {r.id: r for r in current_rules(db, inst.id)}
        for item in payload["items"]:
            old = current.get(item["id"]) if item["id"] is not None else None
            if item["id"] is not None and old is None:
                raise WorkflowError("规章制度已被修改过，请退回让机构重新填写。")
            if old is not None:
                if not item["remove"] and (old.title, old.body, old.effective_on) == (
                        item["title"], item["body"], _d(item["effective_on"])):
                    continue
                old.retired_on = today
            if not item["remove"]:
                db.add(InstitutionRule(institution_id=inst.id, title=item["title"],
                                       body=item["body"],
                                       effective_on=_d(item["effective_on"])))
    elif section == "resources":
        values = changes.upgrade(section, dict(payload))
        for name in ("fire_approval_date", "last_fire_drill", "last_emergency_drill"):
            values[name] = _d(values[name])
        db.add(ServiceResources(institution_id=inst.id, effective_from=today, **values))
    elif section == "commitment":
        old_commitment = current_commitment(db, inst.id)
        if old_commitment is not None:
            old_commitment.retired_on = today
        # A draft of the old shape may carry a self-declared "fulfilment": not published.
        db.add(CreditCommitment(institution_id=inst.id, signed_on=_d(payload["signed_on"]),
                                text=payload["text"]))


def _decide_once(db: Session, draft: DisclosureDraft, status: str, actor: User,
                 now: datetime) -> None:
    """Take the draft from submitted to `status` once, or AlreadyDecided. A conditional UPDATE
    before anything is applied: on PostgreSQL a concurrent decision waits for this one's row
    lock and then finds the draft decided; on SQLite a writing transaction holds the database
    from its BEGIN IMMEDIATE (portal/core/db.py) and each sees the last commit. Four reviewers
    approving at once publish one version."""
    if draft.status != "submitted":
        raise AlreadyDecided()
    decided = db.execute(update(DisclosureDraft).where(
        DisclosureDraft.id == draft.id, DisclosureDraft.status == "submitted",
    ).values(status=status, reviewer_id=actor.id, reviewed_at=now))
    if decided.rowcount != 1:
        raise AlreadyDecided()


def approve(db: Session, actor: User, draft_id: int, today: date,
            now: datetime) -> DisclosureVersion:
    """Publish: apply the values, keep the history, audit and re-index, in one transaction."""
    draft = submitted_draft(db, actor, draft_id)
    _decide_once(db, draft, "published", actor, now)
    inst = db.get(Institution, draft.institution_id)
    assert inst is not None
    diff = changes.diff(draft.section, published(db, inst, draft.section), draft.payload)
    _apply(db, inst, draft.section, draft.payload, today)
    draft.status, draft.reviewer_id, draft.reviewed_at = "published", actor.id, now
    label = actor.department.name if actor.department is not None else DEFAULT_APPROVER
    version = DisclosureVersion(institution_id=inst.id, section=draft.section, draft_id=draft.id,
                                published_at=now, published_by_id=actor.id,
                                approved_by_label=label, changes=diff)
    db.add(version)
    db.flush()
    audit.record(db, actor.id, "disclosure.published", "disclosure_draft", draft.id,
                 institution_id=inst.id, section=draft.section, version_id=version.id,
                 changes=len(diff))
    enqueue_index_update(db, inst.id)
    enqueue_refresh(db, inst.id)
    return version


def reject(db: Session, actor: User, draft_id: int, reason: str, now: datetime) -> DisclosureDraft:
    draft = submitted_draft(db, actor, draft_id)
    if draft.status != "submitted":
        raise AlreadyDecided()
    reason = reason.strip()
    if not reason:
        raise InvalidDraft({"reason": "请填写退回原因，机构会看到这段说明"})
    if len(reason) > REASON_MAX:
        raise InvalidDraft({"reason": f"退回原因不能超过 {REASON_MAX} 个字"})
    _decide_once(db, draft, "rejected", actor, now)
    draft.status, draft.reviewer_id, draft.reviewed_at = "rejected", actor.id, now
    draft.reject_reason = reason
    db.flush()
    audit.record(db, actor.id, "disclosure.rejected", "disclosure_draft", draft.id,
                 institution_id=draft.institution_id, section=draft.section, reason=reason)
    return draft
