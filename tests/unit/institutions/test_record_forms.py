"""The government record forms (portal/institutions/record_forms.py): the rules between fields, each
message once. The services' database rules (department, decision number, red-list blockers) are
tested through the pages (tests/functional/test_gov_records.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.institutions.record_forms import (
    CreditUpdateForm,
    GradeForm,
    InspectionCorrection,
    InspectionForm,
    PenaltyForm,
    RectificationForm,
    WithdrawalForm,
)

TODAY = date(2026, 6, 1)
INSPECTION = {"inspected_on": "2026-03-10", "items_checked": "消防通道、食品留样",
              "outcome": "rectification_required", "findings": "消防通道堆放杂物",
              "rectification_status": "pending", "rectification_deadline": "2026-04-10"}


def test_an_inspection_reads_into_its_row_fields():
    form = InspectionForm(INSPECTION, today=TODAY)
    assert form.check() == {}
    assert form.record() == {
        "inspected_on": date(2026, 3, 10), "items_checked": "消防通道、食品留样",
        "findings": "消防通道堆放杂物", "rectification_deadline": date(2026, 4, 10),
        "rectification_status": "pending", "outcome": "rectification_required",
        "record_no": None}  # blank: none (the column is unique where set)
    numbered = InspectionForm({**INSPECTION, "record_no": " 检字〔2026〕7号 "}, today=TODAY)
    assert numbered.check() == {} and numbered.record()["record_no"] == "检字〔2026〕7号"


@pytest.mark.parametrize(("changes", "problems"), [
    ({"rectification_deadline": ""}, {"rectification_deadline": "需要整改的，请填写整改期限"}),
    ({"rectification_status": "done", "rectification_deadline": ""},
     {"rectification_deadline": "责令限期整改的，请填写整改期限"}),
    ({"rectification_deadline": "2026-03-09"},
     {"rectification_deadline": "整改期限不能早于检查日期"}),
    ({"rectification_deadline": "2026-03-10"}, {}),  # the same day is a deadline
    ({"findings": "", "rectification_status": "none_required"},
     {"findings": "责令限期整改的，请写明发现的问题",
      "rectification_status": "责令限期整改的，请选择整改情况（整改中、已整改或逾期未整改）"}),
    ({"outcome": "no_findings"},
     {"rectification_status": "未发现问题或已当场整改的，整改情况应为“无需整改”；需要限期整改的，"
                              "检查结论请选“发现问题，责令限期整改”",
      "rectification_deadline": "不需要限期整改的，请不要填写整改期限"}),
    ({"outcome": "closed_on_spot", "findings": "", "rectification_status": "",
      "rectification_deadline": ""}, {"findings": "当场整改的，请写明发现并当场整改的问题"}),
    ({"outcome": "no_findings", "findings": "", "rectification_status": "",
      "rectification_deadline": ""}, {}),
    ({"outcome": "x", "findings": ""}, {"outcome": "请选择检查结论"}),  # no rule on a bad outcome
    ({"inspected_on": "2026-06-02", "rectification_deadline": "2026-01-01"},
     {"inspected_on": "检查日期不能晚于今天（2026-06-01）"}),
])
def test_an_inspections_conclusion_fits_its_findings_and_rectification(changes, problems):
    assert InspectionForm({**INSPECTION, **changes}, today=TODAY).check() == problems


def test_a_correction_needs_its_reason():
    assert InspectionCorrection(INSPECTION, today=TODAY).check() == {"reason": "请填写更正原因"}
    assert WithdrawalForm({"reason": "理" * 501}).check() == {"reason": "撤销原因不能超过 500 个字"}


def test_a_rectification_update_keeps_the_deadline_left_blank_and_never_none_required():
    def update(data, deadline=date(2026, 4, 10)):
        form = RectificationForm(data, today=TODAY, inspected_on=date(2026, 3, 10),
                                 deadline=deadline)
        return form.check(), form.rectification_deadline.data

    assert update({"rectification_status": "done"}) == ({}, date(2026, 4, 10))
    assert update({"rectification_status": "overdue"}, None) == (
        {"rectification_deadline": "需要整改的，请填写整改期限"}, None)
    for status in ("none_required", ""):  # left blank, it reads as none required
        assert update({"rectification_status": status})[0] == {
            "rectification_status": "责令限期整改的检查，整改情况不能改为“无需整改”"}
    assert update({"rectification_status": "done", "rectification_deadline": "2026-03-01"})[0] \
        == {"rectification_deadline": "整改期限不能早于检查日期"}


def test_a_grade_and_a_list_removal_come_after_their_start():
    grade = {"level": "4", "awarded_by": "民政局", "awarded_on": "2024-05-20",
             "valid_until": "2024-05-20", "gb38600_compliant": "0"}
    assert GradeForm(grade, today=TODAY).check() == {"valid_until": "有效期应晚于评定日期"}
    assert GradeForm({**grade, "level": "05"}, today=TODAY).check()["level"] == \
        "等级应为一级至五级（1–5）"
    removal = CreditUpdateForm({"removed_on": "2026-05-01"}, today=TODAY,
                               listed_on=date(2026, 5, 1))
    assert removal.check() == {}  # the day it was listed
    removal = CreditUpdateForm({"removed_on": "2026-04-30"}, today=TODAY,
                               listed_on=date(2026, 5, 1))
    assert removal.check() == {"removed_on": "移出日期不能早于列入日期"}


def test_a_penalty_reads_its_fine_and_defaults_its_status():
    form = PenaltyForm({"decision_no": "民罚〔2026〕1号", "decided_on": "2026-04-01",
                        "violation": "未公开收费", "basis": "第四十六条", "penalty": "警告",
                        "amount": "0"}, today=TODAY)
    assert form.check() == {}
    assert (form.amount.data, form.status.data, form.department_id.data) == (
        Decimal("0.00"), "decided", None)
    assert PenaltyForm({"amount": ""}, today=TODAY).check()["amount"] == \
        "请填写罚款金额（元），没有罚款请填 0"
