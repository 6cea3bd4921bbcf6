"""Appending a step to a complaint's record, and the Chinese words for each kind of step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from complaints.models import Complaint, ComplaintEvent
from portal.accounts.models import User
from portal.core.db import utcnow

EVENT_LABELS = {
    "received": "受理",
    "assigned": "派单",
    "signed": "签收",
    "answered": "答复",
    "returned": "退回（非本部门职责）",
    "transferred": "改派",
    "co_handling_requested": "会办请求",
    "co_handling_replied": "会办意见",
    "extension_requested": "申请延期",
    "extension_approved": "批准延期",
    "extension_rejected": "不予延期",
    "supervised": "督办",
    "due_soon": "即将到期提醒",
    "overdue": "已超期",
    "confirmed": "投诉人确认办结",
    "reopened": "投诉人不满意，重新办理",
    "closed": "办结",
    "auto_closed": "回访期满自动办结",
    "duplicate_call": "同一问题再次来电",
    "tracking_locked": "按编号查询多次验证失败，已暂停",
}


def add_event(
    session: Session,
    complaint: Complaint,
    kind: str,
    actor_id: int | None,
    *,
    note: str = "",
    department_id: int | None = None,
    public: bool = True,
    at: datetime | None = None,
    data: dict | None = None,
    from_status: str | None = None,
) -> ComplaintEvent:
    """Record a step; `from_status` defaults to the current one (a step that changes nothing)."""
    if kind not in EVENT_LABELS:
        raise ValueError(f"unknown event kind {kind}")
    actor = session.get(User, actor_id) if actor_id else None
    event = ComplaintEvent(
        complaint_id=complaint.id, kind=kind, actor_id=actor_id,
        actor_role=actor.role if actor else "", department_id=department_id,
        public=public, note=note, at=at or utcnow(), data=data or {},
        from_status=complaint.status if from_status is None else from_status,
        to_status=complaint.status,
    )
    session.add(event)
    return event
