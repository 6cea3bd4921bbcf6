"""The government record forms: grades, inspections and their rectification, penalties, credit
lists, 履约评价, corrections and withdrawals — each field's rule and message and the rules
between fields.

The record services (portal/institutions/services/records.py, records_credit.py,
corrections.py) build these forms from the values posted and add the rules that need the
database: the department named, a number entered before, the red list's blockers. The registry
import checks its rows with the same forms (portal/registry/rules/records.py).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal.core.formfields import TEXT_MAX, After, Choice, Day, Money, PortalForm, RowId, Text
from portal.institutions import vocab
from portal.institutions.rules.credit import FULFILMENT_RESULTS

AMOUNT_MAX = Decimal("9999999999.99")  # Penalty.amount is Numeric(12, 2)
REASON_MAX = 500  # a correction's or withdrawal's reason
NEEDS_DEADLINE = ("pending", "overdue")  # 整改情况 that run against a 整改期限


class GradeForm(PortalForm):
    """A grade (等级评定) awarded to an institution."""

    level = Choice(choices=[str(n) for n in vocab.GRADES], message="等级应为一级至五级（1–5）")
    awarded_by = Text("评定机关", required=True, max_length=80)
    awarded_on = Day("评定日期", required=True, not_future=True)
    valid_until = Day("有效期至", validators=[After("awarded_on", "有效期应晚于评定日期")])
    gb38600_compliant = Choice(choices=("1", "0"), message="请选择是否符合 GB 38600")
    record_no = Text("评定证书编号", max_length=60)  # the key a registry import upserts by


def _rectification_status() -> Any:
    """整改情况: left blank, none required."""
    return Choice("整改情况", choices=vocab.RECTIFICATION_STATUSES, blank="none_required")


def _rectification_deadline() -> Any:
    """整改期限: declared after the inspection's date (`inspected_on`, a field or attribute)."""
    return Day("整改期限", validators=[
        After("inspected_on", "整改期限不能早于检查日期", same_day=True)])


def _deadline_when_needed(form: Any) -> None:
    """A rectification under way or overdue runs against a deadline."""
    if form.rectification_status.data in NEEDS_DEADLINE \
            and form.rectification_deadline.data is None:
        form.fail("rectification_deadline", "需要整改的，请填写整改期限")


class InspectionFields(PortalForm):
    """An inspection's own fields, and its conclusion checked against its findings and
    rectification (an entry, or its correction)."""

    RECORD = ("inspected_on", "items_checked", "findings", "rectification_deadline",
              "rectification_status", "outcome", "record_no")

    inspected_on = Day("检查日期", required=True, not_future=True)
    items_checked = Text("检查内容", required=True, max_length=TEXT_MAX)
    findings = Text("发现问题", max_length=TEXT_MAX)
    rectification_status = _rectification_status()
    rectification_deadline = _rectification_deadline()
    outcome = Choice("检查结论", choices=vocab.INSPECTION_OUTCOMES)
    record_no = Text("检查文书编号", max_length=60)  # the key a registry import upserts by

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        _deadline_when_needed(self)
        if not self.failed("outcome"):
            self._outcome_fits()
        return not self.problems

    def _outcome_fits(self) -> None:
        findings, status = self.findings.data, self.rectification_status.data
        deadline = self.rectification_deadline.data
        if self.outcome.data == "rectification_required":
            if not findings:
                self.fail("findings", "责令限期整改的，请写明发现的问题")
            if status == "none_required":
                self.fail("rectification_status",
                          "责令限期整改的，请选择整改情况（整改中、已整改或逾期未整改）")
            if deadline is None:
                self.fail("rectification_deadline", "责令限期整改的，请填写整改期限")
            return
        if self.outcome.data == "closed_on_spot" and not findings:
            self.fail("findings", "当场整改的，请写明发现并当场整改的问题")
        if status != "none_required":
            self.fail("rectification_status",
                      "未发现问题或已当场整改的，整改情况应为“无需整改”；需要限期整改的，检查结论请选"
                      "“发现问题，责令限期整改”")
        if deadline is not None:
            self.fail("rectification_deadline", "不需要限期整改的，请不要填写整改期限")

    def record(self) -> dict[str, Any]:
        """The inspection's fields as the row takes them (a form without problems); a blank
        number is none (the column is unique where set)."""
        return {name: self[name].data for name in self.RECORD} | {
            "record_no": self.record_no.data or None}


class InspectionForm(InspectionFields):
    department_id = RowId()  # checked by the service (records._department)


class RectificationForm(PortalForm):
    """The rectification of an inspection that ordered one: its status now, and its deadline
    (left blank: the deadline it had)."""

    rectification_status = _rectification_status()
    rectification_deadline = _rectification_deadline()

    def __init__(self, formdata: Any, *, inspected_on: date, deadline: date | None,
                 **kwargs: Any) -> None:
        self.inspected_on = inspected_on
        super().__init__(formdata, **kwargs)
        if not self.rectification_deadline.text and deadline is not None:
            self.rectification_deadline.process_data(deadline)

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        _deadline_when_needed(self)
        if self.rectification_status.data == "none_required":
            self.fail("rectification_status", "责令限期整改的检查，整改情况不能改为“无需整改”")
        return not self.problems


class PenaltyFields(PortalForm):
    """A penalty's own fields (an entry, or its correction); the service checks that the
    decision number is new."""

    RECORD = ("decision_no", "decided_on", "violation", "basis", "penalty", "amount", "status")

    decision_no = Text("处罚决定书文号", required=True, max_length=60)
    decided_on = Day("决定日期", required=True, not_future=True)
    violation = Text("违法行为", required=True, max_length=TEXT_MAX)
    basis = Text("处罚依据", required=True, max_length=TEXT_MAX)
    penalty = Text("处罚内容", required=True, max_length=200)
    amount = Money("罚款金额", maximum=AMOUNT_MAX, required="请填写罚款金额（元），没有罚款请填 0")
    status = Choice("执行状态", choices=vocab.PENALTY_STATUSES, blank="decided")

    def record(self) -> dict[str, Any]:
        """The penalty's fields as the row takes them (a form without problems)."""
        return {name: self[name].data for name in self.RECORD}


class PenaltyForm(PenaltyFields):
    department_id = RowId()  # checked by the service (records._department)


class PenaltyStatusForm(PortalForm):
    status = Choice("执行状态", choices=vocab.PENALTY_STATUSES)


class InspectionCorrection(InspectionFields):
    reason = Text("更正原因", required=True, max_length=REASON_MAX)


class PenaltyCorrection(PenaltyFields):
    reason = Text("更正原因", required=True, max_length=REASON_MAX)


class WithdrawalForm(PortalForm):
    reason = Text("撤销原因", required=True, max_length=REASON_MAX)


class CreditEntryForm(PortalForm):
    """A red or black list entry; the service refuses the red list to an institution with a
    credit blocker (portal/institutions/rules/credit.py)."""

    list_type = Choice("名单类型", choices=vocab.CREDIT_LISTS)
    department_id = RowId()  # checked by the service (records._department)
    reason = Text("列入事由", required=True, max_length=TEXT_MAX)
    legal_basis = Text("法律依据", required=True, max_length=TEXT_MAX)
    listed_on = Day("列入日期", required=True, not_future=True)
    expires_on = Day("有效期至", validators=[After("listed_on", "有效期应晚于列入日期")])
    repair_status = Text("信用修复情况", max_length=40)
    record_no = Text("列入决定文号", max_length=60)  # the key a registry import upserts by


class CreditUpdateForm(PortalForm):
    """A list entry's removal and 信用修复情况; `listed_on` is the entry's date."""

    removed_on = Day("移出日期", not_future=True, validators=[
        After("listed_on", "移出日期不能早于列入日期", same_day=True)])
    repair_status = Text("信用修复情况", max_length=40)

    def __init__(self, formdata: Any, *, listed_on: date, **kwargs: Any) -> None:
        self.listed_on = listed_on
        super().__init__(formdata, **kwargs)


class AssessmentForm(PortalForm):
    """Civil affairs' 履约评价 of an institution's credit commitment."""

    result = Choice("履约评价", choices=FULFILMENT_RESULTS)
    assessed_on = Day("评价日期", required=True, not_future=True)
    basis = Text("评价依据", required=True, max_length=2000)
    department_id = RowId()  # checked by the service (records._department)
