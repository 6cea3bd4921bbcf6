"""Government entry of an institution's supervision records: grades, inspections (and their
rectification) and penalties; red/black-list entries and the 履约评价 of the credit commitment
are in `records_credit`.

Each service reads the values posted with its form (portal/institutions/record_forms.py: each field's
rule, the rules between fields, Chinese messages keyed by field name), adds the rules that need
the database, checks who may do it, stamps `recorded_by_id`, writes an audit event and enqueues
the search-index update in the caller's transaction. The caller commits (or rolls back on an error).

Who may do what: civil affairs supervisors (ADMIN, SUPERVISOR) everything; DEPARTMENT users
record in their own department's name only, within their office's reach and duties
(portal/institutions/rules/jurisdiction.py: a district office only for its district's institutions,
each kind only by the departments whose duty it is, co-handling opening the reach), and update
only their own records; 履约评价 is civil affairs supervisors' alone. Corrections and
withdrawals: portal/institutions/services/corrections.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core import audit
from portal.core.formfields import PortalForm
from portal.institutions.models import CreditEntry, Grade, Inspection, Institution, Penalty
from portal.institutions.record_forms import (
    GradeForm,
    InspectionForm,
    PenaltyForm,
    PenaltyStatusForm,
    RectificationForm,
)
from portal.institutions.services import reach
from portal.institutions.tasks import enqueue_refresh
from portal.orgs.models import Department
from search.tasks import enqueue_index_update

CIVIL_AFFAIRS = frozenset({Role.ADMIN, Role.SUPERVISOR})
RECORDERS = CIVIL_AFFAIRS | {Role.DEPARTMENT}

F = TypeVar("F", bound=PortalForm)


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


# --- forms ----------------------------------------------------------------------------------


def _validated(form: F) -> F:
    """The form, validated; the service adds its database rules (`form.fail`), then `_check`."""
    form.validate()
    return form


def _check(form: PortalForm) -> None:
    """Raise InvalidRecord with the form's problems, if it has any."""
    if form.problems:
        raise InvalidRecord(form.problems)


def parse_amount(raw: str) -> tuple[Decimal | None, str]:
    """A fine in yuan as the penalty form reads it: ≥ 0 with at most 2 decimals. Returns
    (value, problem)."""
    amount = PenaltyForm({"amount": raw}).amount
    return amount.data, amount.problem


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


def _department(db: Session, actor: User, form: PortalForm) -> int | None:
    """The department in whose name the record is made (the form's `department_id`; left
    blank, the actor's own). DEPARTMENT users: their own only."""
    field = form["department_id"]
    if not field.text and actor.department_id is not None:
        return actor.department_id
    dept_id = field.data
    if dept_id is None:
        form.fail("department_id", "请选择部门")
        return None
    if _role(actor) == Role.DEPARTMENT and dept_id != actor.department_id:
        raise NotAllowed("部门经办人只能以本部门名义录入")
    if db.get(Department, dept_id) is None:
        form.fail("department_id", "没有这个部门，请重新选择")
        return None
    return int(dept_id)


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
    form = GradeForm(data, today=today)
    if not form.awarded_by.data and actor.department is not None:
        form.awarded_by.process_data(actor.department.name)  # the recording office's own
    _validated(form)
    check_number_new(db, Grade, form, "record_no")
    _check(form)
    level, awarded_by = int(form.level.data), form.awarded_by.data
    awarded_on, valid_until = form.awarded_on.data, form.valid_until.data
    compliant = form.gb38600_compliant.data
    row = Grade(institution_id=inst.id, level=level, awarded_by=awarded_by,
                awarded_on=awarded_on, valid_until=valid_until,
                gb38600_compliant=compliant == "1", record_no=form.record_no.data or None,
                recorded_by_id=actor.id)
    db.add(row)
    db.flush()
    _done(db, actor, "grade.record", "grade", row, inst.id, level=level,
          awarded_on=awarded_on, valid_until=valid_until, gb38600_compliant=compliant == "1")
    return row


# --- inspections --------------------------------------------------------------------------


def _note_discovery(inst: Institution, inspected_on: date, department: Department | None) -> None:
    """An unfiled place without a recorded discovery was found by this inspection."""
    unfiled = inst.filing_status == "unregistered" or (
        inst.filing_status == "registered_unfiled" and inst.kind == "residential")
    if not unfiled or inst.discovered_on is not None:
        return
    inst.discovered_on = inspected_on
    inst.discovered_by = department.name if department is not None else ""
    inst.discovered_via = "inspection"


def record_inspection(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                      today: date) -> Inspection:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    form = _validated(InspectionForm(data, today=today))
    department_id = _department(db, actor, form)
    check_reach(db, actor, "inspection", inst, today)
    check_named_office(db, actor, "inspection", inst, department_id, today)
    check_number_new(db, Inspection, form, "record_no")
    _check(form)
    fields = form.record()
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
    form = _validated(RectificationForm(data, today=today, inspected_on=row.inspected_on,
                                        deadline=row.rectification_deadline))
    _check(form)
    status, deadline = form.rectification_status.data, form.rectification_deadline.data
    before = row.rectification_status
    row.rectification_status, row.rectification_deadline = status, deadline
    db.flush()
    _done(db, actor, "inspection.rectification", "inspection", row, row.institution_id,
          before=before, after=status, rectification_deadline=deadline)
    return row


# --- the records' own numbers ------------------------------------------------------------


def check_number_new(db: Session, model: type[Grade] | type[Inspection] | type[CreditEntry]
                     | type[Penalty], form: Any, field: str, row_id: int | None = None) -> None:
    """A record's own number is entered once: a penalty's 处罚决定书文号 (required), and a grade's
    证书编号, an inspection's 文书编号, a list entry's 决定文号 (optional; a registry import
    upserts by them, portal/registry/rules/records.py, so an entry by form and the same record
    imported later stay one). `row_id`: the row being corrected."""
    number = form[field].data
    if number and not form.failed(field) and db.scalar(
            select(model.id).where(getattr(model, field) == number, model.id != (row_id or 0))
    ) is not None:
        form.fail(field, f"{form[field].label.text}“{number}”已录入过，请核对")


# --- penalties ----------------------------------------------------------------------------


def record_penalty(db: Session, actor: User, institution_id: int, data: Mapping[str, Any],
                   today: date) -> Penalty:
    _require_recorder(actor)
    inst = _institution(db, institution_id)
    form = _validated(PenaltyForm(data, today=today))
    department_id = _department(db, actor, form)
    check_reach(db, actor, "penalty", inst, today)
    check_named_office(db, actor, "penalty", inst, department_id, today)
    check_number_new(db, Penalty, form, "decision_no")
    _check(form)
    fields = form.record()
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
    form = _validated(PenaltyStatusForm(data, today=today))
    _check(form)
    status = form.status.data
    before = row.status
    row.status = status
    db.flush()
    _done(db, actor, "penalty.status", "penalty", row, row.institution_id, before=before,
          after=status)
    return row
