"""The registry lifecycle's service: change an institution's operating status (筹建 / 运营 /
暂停服务 / 终止（注销）) with its 安置 plan, and record the plan's progress.

Each change is read by a form (portal/registry/forms.py), checked by the pure rules
(portal/registry/rules/lifecycle.py) against the institution's last change, written as a
`StatusChange` row with `institutions.operating_status`, audited, and reaches the rest of the
portal as other record changes do: the page-version triggers raise `records_version` (migrations
0009, 0024), the directory-count triggers move the institution to its status's counts (0011,
0024), and jobs rebuild its page document and search document.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.backoffice.services.current import latest_resources
from portal.core import audit
from portal.core.formfields import PortalForm
from portal.institutions.models import Institution
from portal.institutions.tasks import enqueue_refresh
from portal.registry.exceptions import InvalidEntry, NotAllowed, NotFound
from portal.registry.forms import ProgressForm, StatusForm
from portal.registry.models import StatusChange
from portal.registry.rules import lifecycle
from search.tasks import enqueue_index_update


def may_keep(actor: User, inst: Institution | None) -> bool:
    """Whether the actor keeps this institution's registry (None: a new one)."""
    office = actor.department
    return lifecycle.may_keep_registry(
        Role(actor.role), office.type_code if office else None,
        office.district_id if office else None, inst.district_id if inst else None)


def require_keeper(actor: User, inst: Institution | None) -> None:
    if not may_keep(actor, inst):
        raise NotAllowed("机构的登记信息和运营状态由民政部门维护（民政督办、系统管理员，"
                         "或本辖区的民政部门经办人）")


def institution(db: Session, institution_id: int) -> Institution:
    inst = db.get(Institution, institution_id)
    if inst is None:
        raise NotFound("没有这家机构，可能编号有误。")
    return inst


def history(db: Session, institution_id: int) -> list[StatusChange]:
    """The institution's status changes, newest first."""
    return list(db.scalars(
        select(StatusChange).where(StatusChange.institution_id == institution_id)
        .order_by(StatusChange.effective_on.desc(), StatusChange.id.desc())))


def previous(db: Session, inst: Institution) -> lifecycle.Previous:
    last = db.scalar(
        select(StatusChange.effective_on).where(StatusChange.institution_id == inst.id)
        .order_by(StatusChange.effective_on.desc(), StatusChange.id.desc()).limit(1))
    return lifecycle.Previous(inst.operating_status, last)


def elders_in_care(db: Session, institution_id: int) -> int | None:
    """Elders living there by the last published service resources (None: never published)."""
    res = latest_resources(db, institution_id)
    if res is None:
        return None
    return res.elders_self_care + res.elders_mild + res.elders_severe


def _apply(form: PortalForm, problems: dict[str, str]) -> None:
    """The rules' problems on the fields that have none of their own."""
    for name, message in problems.items():
        if not form.failed(name):
            form.fail(name, message)


def change_status(db: Session, actor: User, institution_id: int, data: Any,
                  today: date) -> StatusChange:
    """Record a status change; InvalidEntry with {field: message} when the form or the rules
    refuse it (nothing written)."""
    inst = institution(db, institution_id)
    require_keeper(actor, inst)
    form = StatusForm(data, today=today)
    form.validate()
    stopping = form.status.data in lifecycle.STOPPING
    change = lifecycle.Change(
        status=form.status.data, effective_on=form.effective_on.data, reason=form.reason.data,
        elders_in_care=form.elders_in_care.data if stopping else 0,
        resettle_to=form.resettle_to.data, resettle_by=form.resettle_by.data)
    if not form.failed("status"):
        _apply(form, lifecycle.change_problems(previous(db, inst), change))
    if form.problems:
        raise InvalidEntry(form.problems)
    assert change.effective_on is not None
    to_resettle = change.elders_in_care if stopping else None
    row = StatusChange(
        institution_id=inst.id, status=change.status, previous_status=inst.operating_status,
        effective_on=change.effective_on, reason=change.reason,
        elders_to_resettle=to_resettle,
        resettle_to=change.resettle_to if to_resettle else "",
        resettle_by=change.resettle_by if to_resettle else None,
        resettled_count=0, recorded_by_id=actor.id)
    db.add(row)
    old = inst.operating_status
    inst.operating_status = change.status
    db.flush()
    audit.record(db, actor.id, "institution.status", "institution", inst.id,
                 change_id=row.id, old=old, new=change.status,
                 effective_on=change.effective_on.isoformat(), reason=change.reason,
                 elders_to_resettle=to_resettle)
    _changed(db, inst.id)
    return row


def record_progress(db: Session, actor: User, change_id: int, data: Any,
                    today: date) -> StatusChange:
    """Record how many elders of a change's 安置 plan are resettled (and when the last was)."""
    row = db.get(StatusChange, change_id)
    if row is None:
        raise NotFound("没有这条状态变更记录")
    require_keeper(actor, institution(db, row.institution_id))
    if not row.elders_to_resettle:
        raise InvalidEntry({"resettled_count": "这次变更没有需要安置的老人"})
    form = ProgressForm(data, today=today)
    form.validate()
    progress = lifecycle.Progress(form.resettled_count.data, form.resettled_on.data)
    if not form.failed("resettled_count"):
        _apply(form, lifecycle.progress_problems(row.elders_to_resettle, progress))
    if form.problems:
        raise InvalidEntry(form.problems)
    assert progress.done is not None
    old = (row.resettled_count, row.resettled_on)
    row.resettled_count, row.resettled_on = progress.done, progress.done_on
    row.progress_at = datetime.now(UTC)
    db.flush()
    audit.record(db, actor.id, "institution.resettlement", "institution", row.institution_id,
                 change_id=row.id, old_count=old[0],
                 old_done_on=old[1].isoformat() if old[1] else None,
                 new_count=progress.done,
                 new_done_on=progress.done_on.isoformat() if progress.done_on else None)
    _changed(db, row.institution_id)
    return row


def _changed(db: Session, institution_id: int) -> None:
    enqueue_index_update(db, institution_id)
    enqueue_refresh(db, institution_id)
