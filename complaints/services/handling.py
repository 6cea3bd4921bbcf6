"""The handling lifecycle (12345 practice): sign, answer, return, reassign, co-handle, extend,
supervise, and the complainant's confirmation or reopening. Every step appends an event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.exceptions import InvalidComplaint, NotAllowed, StatusChanged
from complaints.models import OPEN_STATUSES, CoHandling, Complaint, ComplaintEvent
from complaints.rules import clock
from complaints.rules.calendar import WorkCalendar
from complaints.services.events import add_event
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.notify import queue_message
from portal.orgs.models import Department

ANSWER_MIN, ANSWER_MAX = 10, 4000
REASON_MAX = 1000
MAX_EXTENSION_DAYS = 10
# What the answering office found; required with every answer. 查实 and 部分查实 count against
# the institution's credit (portal/institutions/rules/credit.py: 守信激励 refused, 昆政办〔2021〕70号
# (十三): 投诉举报多 … 增加抽查频次). Answers before migration 0016 have none (unknown).
OUTCOMES = {"substantiated": "查实", "partly": "部分查实", "unfounded": "不属实",
            "unverifiable": "无法核实"}
FEEDBACK_LEVELS = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


def _text(value: str, field: str, minimum: int, maximum: int, what: str) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise InvalidComplaint({field: f"请填写{what}（至少 {minimum} 个字）"})
    if len(value) > maximum:
        raise InvalidComplaint({field: f"{what}不能超过 {maximum} 个字"})
    return value


class HandlingService:
    def __init__(self, session: Session, calendar: WorkCalendar, tz,
                 tracking_link: Callable[[int], str] | None = None) -> None:
        self.db = session
        self.calendar = calendar
        self.tz = tz
        # The complainant's full tracking link by complaint id, sent with the answer so that
        # feedback needs no lookup (None: the SMS names the number only).
        self.tracking_link = tracking_link

    def _own_office(self, user: User, complaint: Complaint) -> None:
        if user.role_enum is not Role.DEPARTMENT or user.department_id != complaint.responsible_department_id:
            raise NotAllowed("只有承办部门可以办理此投诉")

    def _open(self, complaint: Complaint, *allowed: str) -> None:
        if complaint.status not in (allowed or OPEN_STATUSES):
            raise NotAllowed("该投诉当前状态不能进行此操作")

    def _move(self, complaint: Complaint, allowed: tuple[str, ...], to: str) -> None:
        """Move the complaint's status from one of `allowed` to `to` once, or StatusChanged.

        A conditional UPDATE: on PostgreSQL a concurrent one waits for this one's row lock and
        then finds the status changed; on SQLite a writing transaction holds the database from
        its BEGIN IMMEDIATE (portal/core/db.py) and each sees the last commit. The caller checked the
        status it read; this makes the check hold when two requests read the same status at
        once."""
        moved = self.db.execute(update(Complaint).where(
            Complaint.id == complaint.id, Complaint.status.in_(allowed)).values(status=to))
        if moved.rowcount != 1:
            raise StatusChanged()

    def sign(self, user: User, complaint: Complaint, now: datetime | None = None) -> None:
        self._own_office(user, complaint)
        self._open(complaint, "assigned")
        now = now or utcnow()
        self._move(complaint, ("assigned",), "signed")
        complaint.status, complaint.signed_at = "signed", now
        add_event(self.db, complaint, "signed", user.id, department_id=user.department_id, at=now,
                  from_status="assigned")

    def answer(self, user: User, complaint: Complaint, text: str, outcome: str,
               now: datetime | None = None) -> None:
        self._own_office(user, complaint)
        self._open(complaint, "assigned", "signed")
        body = _text(text, "answer", ANSWER_MIN, ANSWER_MAX, "答复内容")
        if outcome not in OUTCOMES:
            raise InvalidComplaint({"outcome": "请选择核查结论：查实、部分查实、不属实或无法核实"})
        now = now or utcnow()
        self._move(complaint, ("assigned", "signed"), "answered")
        if complaint.signed_at is None:
            complaint.status, complaint.signed_at = "signed", now
            add_event(self.db, complaint, "signed", user.id, department_id=user.department_id,
                      at=now, from_status="assigned")
        complaint.status, complaint.answered_at, complaint.answer_text = "answered", now, body
        complaint.outcome = outcome
        add_event(self.db, complaint, "answered", user.id, department_id=user.department_id,
                  note=body, at=now, from_status="signed", data={"outcome": outcome})
        self._settle_co_handling(complaint, now)
        if complaint.complainant_phone:
            if self.tracking_link:
                queue_message(self.db, complaint.complainant_phone, "complaint_answered",
                              tracking_no=complaint.tracking_no,
                              link=self.tracking_link(complaint.id))
            else:
                queue_message(self.db, complaint.complainant_phone, "complaint_answered_plain",
                              tracking_no=complaint.tracking_no)

    def return_misrouted(self, user: User, complaint: Complaint, reason: str) -> None:
        """退回: not this office's duty; a dispatcher reassigns it; the clock keeps running."""
        self._own_office(user, complaint)
        self._open(complaint, "assigned", "signed")
        why = _text(reason, "reason", 4, REASON_MAX, "退回理由")
        before = complaint.status
        self._move(complaint, ("assigned", "signed"), "returned")
        complaint.status = "returned"
        add_event(self.db, complaint, "returned", user.id, department_id=user.department_id, note=why,
                  from_status=before)

    def reassign(self, user: User, complaint: Complaint, department_id: int, reason: str) -> None:
        if user.role_enum not in (Role.SUPERVISOR, Role.ADMIN):
            raise NotAllowed("只有民政督办人员可以改派")
        self._open(complaint)
        office = self.db.get(Department, department_id)
        if office is None:
            raise InvalidComplaint({"department": "请选择承办部门"})
        if office.id == complaint.responsible_department_id and complaint.status != "returned":
            raise InvalidComplaint({"department": "已由该部门承办"})
        why = _text(reason, "reason", 2, REASON_MAX, "改派说明")
        complaint.responsible_department_id = office.id
        before = complaint.status
        complaint.status, complaint.signed_at = "assigned", None
        add_event(self.db, complaint, "transferred", user.id, department_id=office.id, note=why,
                  from_status=before)

    def request_co_handling(self, user: User, complaint: Complaint, department_id: int) -> None:
        """The handling office asks another office for its part (会办)."""
        self._own_office(user, complaint)
        self._open(complaint, "assigned", "signed")
        office = self.db.get(Department, department_id)
        if office is None or office.id == complaint.responsible_department_id:
            raise InvalidComplaint({"department": "请选择另一个会办部门"})
        exists = self.db.scalars(select(CoHandling).where(
            CoHandling.complaint_id == complaint.id, CoHandling.department_id == office.id)).first()
        if exists:
            raise InvalidComplaint({"department": "已向该部门发起会办"})
        self.db.add(CoHandling(complaint_id=complaint.id, department_id=office.id))
        add_event(self.db, complaint, "co_handling_requested", user.id, department_id=office.id)

    def _settle_co_handling(self, complaint: Complaint, at: datetime | None) -> None:
        """Unreplied co-handling requests stop (or, with None, start again) being pending."""
        self.db.execute(update(CoHandling).where(
            CoHandling.complaint_id == complaint.id, CoHandling.replied_at.is_(None)
        ).values(settled_at=at))

    def co_reply(self, user: User, complaint: Complaint, text: str) -> None:
        co = self.db.scalars(select(CoHandling).where(
            CoHandling.complaint_id == complaint.id,
            CoHandling.department_id == user.department_id)).first()
        if co is None or user.role_enum is not Role.DEPARTMENT:
            raise NotAllowed("本部门不是该投诉的会办部门")
        if co.replied_at is not None:
            raise NotAllowed("本部门已提交会办意见")
        co.reply, co.replied_at = _text(text, "reply", 4, ANSWER_MAX, "会办意见"), utcnow()
        add_event(self.db, complaint, "co_handling_replied", user.id,
                  department_id=user.department_id, note=co.reply, public=False)

    def request_extension(self, user: User, complaint: Complaint, days: int, reason: str) -> None:
        self._own_office(user, complaint)
        self._open(complaint, "assigned", "signed")
        if not 1 <= days <= MAX_EXTENSION_DAYS:
            raise InvalidComplaint({"days": f"延期天数须为 1–{MAX_EXTENSION_DAYS} 个工作日"})
        if self.pending_extension(complaint):
            raise NotAllowed("已有待审批的延期申请")
        why = _text(reason, "reason", 4, REASON_MAX, "延期理由")
        add_event(self.db, complaint, "extension_requested", user.id,
                  department_id=user.department_id, note=why, data={"days": days}, public=False)

    def pending_extension(self, complaint: Complaint) -> ComplaintEvent | None:
        events = self.db.scalars(select(ComplaintEvent).where(
            ComplaintEvent.complaint_id == complaint.id,
            ComplaintEvent.kind.in_(["extension_requested", "extension_approved", "extension_rejected"]),
        ).order_by(ComplaintEvent.id.desc())).first()
        return events if events is not None and events.kind == "extension_requested" else None

    def decide_extension(self, user: User, complaint: Complaint, approve: bool, note: str = "") -> None:
        """An approved extension moves the clock (SPEC §3); transfers never do."""
        if user.role_enum not in (Role.SUPERVISOR, Role.ADMIN):
            raise NotAllowed("只有民政督办人员可以审批延期")
        request = self.pending_extension(complaint)
        if request is None:
            raise NotAllowed("没有待审批的延期申请")
        if not approve:
            add_event(self.db, complaint, "extension_rejected", user.id, note=note.strip()[:REASON_MAX])
            return
        days = int(request.data["days"])
        current = clock.compute_deadline(complaint.received_at, complaint.working_days, self.calendar, self.tz)
        extended = clock.extend(current, days, self.calendar)
        complaint.working_days += days
        complaint.extension_days += days
        complaint.due_at, complaint.due_last_day = extended.due_at, extended.last_day
        complaint.provisional = extended.provisional
        add_event(self.db, complaint, "extension_approved", user.id, note=note.strip()[:REASON_MAX],
                  data={"days": days, "due_at": extended.due_at.isoformat()})

    def supervise(self, user: User, complaint: Complaint, note: str) -> None:
        if user.role_enum not in (Role.SUPERVISOR, Role.ADMIN):
            raise NotAllowed("只有民政督办人员可以督办")
        self._open(complaint)
        text = _text(note, "note", 4, REASON_MAX, "督办意见")
        complaint.supervised_at = utcnow()
        add_event(self.db, complaint, "supervised", user.id,
                  department_id=complaint.responsible_department_id, note=text)

    def complainant_feedback(self, complaint: Complaint, level: str, note: str = "",
                             now: datetime | None = None) -> None:
        """回访: 满意/基本满意 close it; 不满意 reopens it at the same office under supervision,
        with a fresh clock from today."""
        if level not in FEEDBACK_LEVELS:
            raise InvalidComplaint({"satisfied": "请选择满意、基本满意或不满意"})
        if complaint.status != "answered":
            raise NotAllowed("投诉尚未答复或已办结，暂不能评价")
        now = now or utcnow()
        note = note.strip()[:REASON_MAX]
        self._move(complaint, ("answered",), "closed" if level != "unsatisfied" else "assigned")
        complaint.satisfaction = level
        if level != "unsatisfied":
            complaint.status, complaint.closed_at = "closed", now
            add_event(self.db, complaint, "confirmed", None, note=note, at=now,
                      from_status="answered", data={"satisfaction": level})
            return
        complaint.reopened_count += 1
        deadline = clock.compute_deadline(now, complaint.working_days - complaint.extension_days,
                                          self.calendar, self.tz)
        complaint.status, complaint.signed_at = "assigned", None
        self._settle_co_handling(complaint, None)  # unreplied requests are pending again
        complaint.due_at, complaint.due_last_day = deadline.due_at, deadline.last_day
        complaint.provisional = deadline.provisional
        complaint.supervised_at = now
        add_event(self.db, complaint, "reopened", None, note=note, at=now, from_status="answered",
                  department_id=complaint.responsible_department_id,
                  data={"due_at": deadline.due_at.isoformat(), "satisfaction": level})
        add_event(self.db, complaint, "supervised", None, at=now,
                  department_id=complaint.responsible_department_id,
                  note="投诉人对答复不满意，已重新交办并列入督办。", data={"automatic": True})

    def auto_close(self, complaint: Complaint, now: datetime) -> bool:
        """No feedback within the window: close it (回访期满), satisfaction unknown. False if
        it is no longer answered (the complainant's feedback came first)."""
        if complaint.status != "answered":
            return False
        try:
            self._move(complaint, ("answered",), "closed")
        except StatusChanged:
            return False
        complaint.status, complaint.closed_at = "closed", now
        add_event(self.db, complaint, "auto_closed", None, at=now, from_status="answered")
        return True
