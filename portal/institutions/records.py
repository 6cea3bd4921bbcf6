"""Government entry of an institution's supervision records: grades, inspections (and their
rectification) and penalties; red/black-list entries and the 履约评价 of the credit commitment
are in `records_credit`.

Each service validates the raw form values (Chinese messages keyed by field name), checks who
may do it, stamps `recorded_by_id`, writes an audit event and enqueues the search-index update in
the caller's transaction. The caller commits (or rolls back on an error).

Who may do what: civil affairs supervisors (ADMIN, SUPERVISOR) everything; DEPARTMENT users
record in their own department's name only, within their office's reach and duties
(portal/institutions/jurisdiction.py: a district office only for its district's institutions,
each kind only by the departments whose duty it is, co-handling opening the reach), and update
only their own records; 履约评价 is civil affairs supervisors' alone. Corrections and
withdrawals: portal/institutions/corrections.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.formfields import FieldReader, parse_id, parse_money, parse_whole
from portal.institutions import reach, vocab
from portal.institutions.models import Grade, Inspection, Institution, Penalty
from portal.institutions.page_jobs import enqueue_refresh
from portal.orgs.models import Department
from search.tasks import enqueue_index_update

CIVIL_AFFAIRS = frozenset({Role.ADMIN, Role.SUPERVISOR})
RECORDERS = CIVIL_AFFAIRS | {Role.DEPARTMENT}

AMOUNT_MAX = Decimal("9999999999.99")  # Numeric(12, 2)


# --- errors -------------------------------------------------------------------------------


class RecordError(Exception):
    """Base of this module's errors; `message` is shown to the user."""

    status = 400

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidRecord(RecordError):
    """The form has problems, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


class NotAllowed(RecordError):
    status = 403


class RecordNotFound(RecordError):
    status = 404


def check_reach(db: Session, actor: User, kind: str, inst: Institution, today: date,
                list_type: str = "") -> None:
    """Refuse (403, nothing written) what the actor's office may not record for `inst`."""
    found = reach.decision(db, actor, kind, inst, today, list_type)
    if not found.allowed:
        raise NotAllowed(found.reason)


def check_named_office(db: Session, actor: User, kind: str, inst: Institution,
                       department_id: int | None, today: date) -> None:
    """A supervisor entering an inspection or penalty in another office's name: that office
    must be one that could have made it (its reach and duty, or co-handling)."""
    if _role(actor) not in CIVIL_AFFAIRS or department_id is None:
        return
    named = db.get(Department, department_id)
    if named is None:
        return  # the form reports the unknown department
    found = reach.office_decision(db, named, kind, inst, today)
    if not found.allowed:
        raise NotAllowed(f"不能以{named.name}的名义录入：{found.reason}")


# --- parsing helpers ----------------------------------------------------------------------


class _Form(FieldReader):
    """The shared field reader; `check` raises this module's InvalidRecord."""

    def check(self) -> None:
        if self.errors:
            raise InvalidRecord(self.errors)


def parse_amount(raw: str) -> tuple[Decimal | None, str]:
    """A fine in yuan: ≥ 0 with at most 2 decimals. Returns (value, problem)."""
    return parse_money(raw, "罚款金额", AMOUNT_MAX, blank="请填写罚款金额（元），没有罚款请填 0")


def _role(actor: User) -> Role:
    return Role(actor.role)


def _require_civil_affairs(actor: User, what: str) -> None:
    if _role(actor) not in CIVIL_AFFAIRS:
        raise NotAllowed(f"{what}只能由民政部门录入")


def _require_recorder(actor: User) -> None:
    if _role(actor) not in RECORDERS:
        raise NotAllowed("没有录入监管信息的权限")


def _institution(db: Session, institution_id: int) -> Institution:
    inst = db.get(Institution, institution_id)
    if inst is None:
        raise RecordNotFound("没有这家机构，可能编号有误或已注销。")
    return inst


def _department(db: Session, actor: User, form: _Form, name: str = "department_id") -> int | None:
    """The department in whose name the record is made. DEPARTMENT users: their own only."""
    raw = form.raw(name)
    if not raw:
        if actor.department_id is None:
            form.errors[name] = "请选择部门"
        return actor.department_id
    dept_id = parse_id(raw)
    if dept_id is None:
        form.errors[name] = "请选择部门"
        return None
    if _role(actor) == Role.DEPARTMENT and dept_id != actor.department_id:
        raise NotAllowed("部门经办人只能以本部门名义录入")
    if db.get(Department, dept_id) is None:
        form.errors[name] = "没有这个部门，请重新选择"
        return None
    return dept_id


def _may_change(actor: User, department_id: int) -> None:
    """A DEPARTMENT user updates only their own department's records."""
    _require_recorder(actor)
    if _role(actor) == Role.DEPARTMENT and department_id != actor.department_id:
        raise NotAllowed("只能更新本部门录入的记录")


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _done(db: Session, actor: User, action: str, object_type: str, row: Any,
          institution_id: int, **detail: Any) -> None:
    audit.record(db, actor.id, action, object_type, row.id, institution_id=institution_id,
                 **{k: _plain(v) for k, v in detail.items()})
    enqueue_index_update(db, institution_id)
    enqueue_refresh(db, institution_id)


# --- grades -------------------------------------------------------------------------------


def record_grade(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                 today: date) -> Grade:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    check_reach(db, actor, "grade", inst, today)
    form = _Form(data, today)
    level_raw = form.raw("level")
    level = parse_whole(level_raw, 0, 9) or 0
    if level not in vocab.GRADES:
        form.errors["level"] = "等级应为一级至五级（1–5）"
    if not form.raw("awarded_by") and actor.department is not None:
        data = {**data, "awarded_by": actor.department.name}
        form.data = data
    awarded_by = form.text("awarded_by", "评定机关", max_len=80)
    awarded_on = form.date("awarded_on", "评定日期", not_future=True)
    valid_until = form.date("valid_until", "有效期至", required=False)
    form.after("valid_until", valid_until, awarded_on, "有效期应晚于评定日期")
    compliant = form.raw("gb38600_compliant")
    if compliant not in ("1", "0"):
        form.errors["gb38600_compliant"] = "请选择是否符合 GB 38600"
    form.check()
    row = Grade(institution_id=inst.id, level=level, awarded_by=awarded_by,
                awarded_on=awarded_on, valid_until=valid_until,
                gb38600_compliant=compliant == "1", recorded_by_id=actor.id)
    db.add(row)
    db.flush()
    _done(db, actor, "grade.record", "grade", row, inst.id, level=level,
          awarded_on=awarded_on, valid_until=valid_until, gb38600_compliant=compliant == "1")
    return row


# --- inspections --------------------------------------------------------------------------


def _rectification(form: _Form, inspected_on: date | None) -> tuple[str, date | None]:
    status = form.choice("rectification_status", "整改情况", vocab.RECTIFICATION_STATUSES,
                         default="none_required")
    deadline = form.date("rectification_deadline", "整改期限", required=False)
    form.after("rectification_deadline", deadline, inspected_on,
               "整改期限不能早于检查日期", strict=False)
    if status in ("pending", "overdue") and deadline is None \
            and "rectification_deadline" not in form.errors:
        form.errors["rectification_deadline"] = "需要整改的，请填写整改期限"
    return status, deadline


def _outcome(form: _Form, findings: str, status: str, deadline: date | None) -> str:
    """The inspection's conclusion, checked against its findings and rectification fields."""
    outcome = form.choice("outcome", "检查结论", vocab.INSPECTION_OUTCOMES)
    if "outcome" in form.errors:
        return outcome
    if outcome == "rectification_required":
        if not findings and "findings" not in form.errors:
            form.errors["findings"] = "责令限期整改的，请写明发现的问题"
        if status == "none_required" and "rectification_status" not in form.errors:
            form.errors["rectification_status"] = \
                "责令限期整改的，请选择整改情况（整改中、已整改或逾期未整改）"
        if deadline is None and "rectification_deadline" not in form.errors:
            form.errors["rectification_deadline"] = "责令限期整改的，请填写整改期限"
        return outcome
    if outcome == "closed_on_spot" and not findings and "findings" not in form.errors:
        form.errors["findings"] = "当场整改的，请写明发现并当场整改的问题"
    if status != "none_required" and "rectification_status" not in form.errors:
        form.errors["rectification_status"] = (
            "未发现问题或已当场整改的，整改情况应为“无需整改”；需要限期整改的，检查结论请选"
            "“发现问题，责令限期整改”")
    if deadline is not None and "rectification_deadline" not in form.errors:
        form.errors["rectification_deadline"] = "不需要限期整改的，请不要填写整改期限"
    return outcome


def _note_discovery(inst: Institution, inspected_on: date, department: Department | None) -> None:
    """An unfiled place without a recorded discovery was found by this inspection."""
    unfiled = inst.filing_status == "unregistered" or (
        inst.filing_status == "registered_unfiled" and inst.kind == "residential")
    if not unfiled or inst.discovered_on is not None:
        return
    inst.discovered_on = inspected_on
    inst.discovered_by = department.name if department is not None else ""
    inst.discovered_via = "inspection"


def inspection_fields(form: _Form) -> dict[str, Any]:
    """An inspection's own fields from its form (the caller checks the form)."""
    inspected_on = form.date("inspected_on", "检查日期", not_future=True)
    items = form.text("items_checked", "检查内容")
    findings = form.text("findings", "发现问题", required=False)
    status, deadline = _rectification(form, inspected_on)
    outcome = _outcome(form, findings, status, deadline)
    return {"inspected_on": inspected_on, "items_checked": items, "findings": findings,
            "rectification_deadline": deadline, "rectification_status": status,
            "outcome": outcome}


def record_inspection(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                      today: date) -> Inspection:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    form = _Form(data, today)
    department_id = _department(db, actor, form)
    check_reach(db, actor, "inspection", inst, today)
    check_named_office(db, actor, "inspection", inst, department_id, today)
    fields = inspection_fields(form)
    form.check()
    assert department_id is not None and fields["inspected_on"] is not None
    row = Inspection(institution_id=inst.id, department_id=department_id,
                     recorded_by_id=actor.id, **fields)
    db.add(row)
    _note_discovery(inst, fields["inspected_on"], db.get(Department, department_id))
    db.flush()
    _done(db, actor, "inspection.record", "inspection", row, inst.id,
          department_id=department_id, inspected_on=fields["inspected_on"],
          outcome=fields["outcome"], rectification_status=fields["rectification_status"])
    return row


def update_rectification(db: Session, actor: User, inspection_id: int,
                         data: Mapping[str, Any], today: date) -> Inspection:
    row = db.get(Inspection, inspection_id)
    if row is None:
        raise RecordNotFound("没有这条检查记录")
    _may_change(actor, row.department_id)
    if row.outcome != "rectification_required":
        raise RecordError("该次检查未责令限期整改，没有整改情况可更新")
    form = _Form(data, today)
    if not form.raw("rectification_deadline") and row.rectification_deadline:
        data = {**data, "rectification_deadline": row.rectification_deadline.isoformat()}
        form = _Form(data, today)
    status, deadline = _rectification(form, row.inspected_on)
    if status == "none_required" and "rectification_status" not in form.errors:
        form.errors["rectification_status"] = "责令限期整改的检查，整改情况不能改为“无需整改”"
    form.check()
    before = row.rectification_status
    row.rectification_status, row.rectification_deadline = status, deadline
    db.flush()
    _done(db, actor, "inspection.rectification", "inspection", row, row.institution_id,
          before=before, after=status, rectification_deadline=deadline)
    return row


# --- penalties ----------------------------------------------------------------------------


def penalty_fields(db: Session, form: _Form, penalty_id: int | None = None) -> dict[str, Any]:
    """A penalty's own fields from its form; `penalty_id`: the row being corrected."""
    decision_no = form.text("decision_no", "处罚决定书文号", max_len=60)
    if decision_no and "decision_no" not in form.errors and db.scalar(
        select(Penalty.id).where(Penalty.decision_no == decision_no, Penalty.id != (
            penalty_id or 0))
    ) is not None:
        form.errors["decision_no"] = f"决定书文号“{decision_no}”已录入过，请核对"
    decided_on = form.date("decided_on", "决定日期", not_future=True)
    violation = form.text("violation", "违法行为")
    basis = form.text("basis", "处罚依据")
    penalty = form.text("penalty", "处罚内容", max_len=200)
    amount, problem = parse_amount(form.raw("amount"))
    if problem:
        form.errors["amount"] = problem
    status = form.choice("status", "执行状态", vocab.PENALTY_STATUSES, default="decided")
    return {"decision_no": decision_no, "decided_on": decided_on, "violation": violation,
            "basis": basis, "penalty": penalty, "amount": amount, "status": status}


def record_penalty(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                   today: date) -> Penalty:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    form = _Form(data, today)
    department_id = _department(db, actor, form)
    check_reach(db, actor, "penalty", inst, today)
    check_named_office(db, actor, "penalty", inst, department_id, today)
    fields = penalty_fields(db, form)
    form.check()
    assert department_id is not None
    row = Penalty(institution_id=inst.id, department_id=department_id, recorded_by_id=actor.id,
                  **fields)
    db.add(row)
    db.flush()
    _done(db, actor, "penalty.record", "penalty", row, inst.id,
          decision_no=fields["decision_no"], department_id=department_id,
          decided_on=fields["decided_on"], amount=fields["amount"], status=fields["status"])
    return row


def update_penalty_status(db: Session, actor: User, penalty_id: int, data: Mapping[str, Any],
                          today: date) -> Penalty:
    row = db.get(Penalty, penalty_id)
    if row is None:
        raise RecordNotFound("没有这条处罚记录")
    _may_change(actor, row.department_id)
    form = _Form(data, today)
    status = form.choice("status", "执行状态", vocab.PENALTY_STATUSES)
    form.check()
    before = row.status
    row.status = status
    db.flush()
    _done(db, actor, "penalty.status", "penalty", row, row.institution_id, before=before,
          after=status)
    return row
