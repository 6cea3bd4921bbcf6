"""The back-office form rules: each field's problem, in Chinese, keyed by its field name."""

from __future__ import annotations

import random
from datetime import date

import pytest

from portal.backoffice.rules.phones import phone_problem
from portal.backoffice.rules.validation import (
    InvalidDraft,
    validate_basic,
    validate_commitment,
    validate_fees,
    validate_resources,
    validate_rules,
)
from portal.institutions.rules import creditcode

TODAY = date(2026, 11, 25)
VALID_CODE = creditcode.generate(random.Random(7), registration_dept="5", org_type="2",
                                 region_code="330106")

BASIC = {"credit_code": VALID_CODE, "address": "文三路 1 号", "phone": "0571-87654321",
         "legal_representative": "王芳", "opened_year": "2015", "beds_total": "120",
         "beds_vacant": "12", "admits_self_care": "1", "deposit_amount": "3000.50",
         "deposit_dedicated_account": "1", "deposit_bank": "杭州银行文三支行"}
RESOURCES = {"caregivers": "20", "certified_caregivers": "15", "nurses": "4", "doctors": "1",
             "social_workers": "1", "elders_self_care": "40", "elders_mild": "30",
             "elders_severe": "20", "video_coverage": "1", "video_retention_days": "90",
             "fire_approval_status": "passed", "fire_approval_doc_no": "示住建消验字〔2020〕第12号",
             "fire_approval_date": "2020-05-20", "fire_approval": "消防验收合格",
             "food_licence": "JY13301060012345",
             "last_fire_drill": "2026-10-01", "last_emergency_drill": "2026-06-01"}
COMMITMENT = {"signed_on": "2026-03-01", "text": "依法诚信经营。"}
FEE_ROW = {"item-0": "护理费", "unit-0": "元/人·月", "price-0": "1200", "pricing_type-0": "market",
           "cycle-0": "月", "care_level-0": "mild"}
RULE_ROW = {"title-0": "员工守则", "body-0": "爱老敬老。", "effective_on-0": "2026-01-01"}


def errors_of(validate, data, *args) -> dict[str, str]:
    with pytest.raises(InvalidDraft) as caught:
        validate(data, TODAY, *args)
    return caught.value.errors


def test_valid_forms_give_json_safe_payloads():
    basic = validate_basic(BASIC, TODAY)
    assert basic["deposit_amount"] == "3000.50" and basic["beds_total"] == 120
    assert basic["admits_self_care"] is True and basic["admits_severe"] is False
    assert validate_resources(RESOURCES, TODAY, 120)["last_fire_drill"] == "2026-10-01"
    assert validate_commitment(COMMITMENT, TODAY)["signed_on"] == "2026-03-01"
    fees = validate_fees({"rows": "2", **FEE_ROW}, TODAY)["items"]
    assert fees == [{"id": None, "item": "护理费", "unit": "元/人·月", "price": "1200.00",
                     "pricing_type": "market", "cycle": "月", "care_level": "mild",
                     "close": False}]
    assert validate_rules({"rows": "1", **RULE_ROW}, TODAY)["items"][0]["title"] == "员工守则"


@pytest.mark.parametrize("field,value,message", [
    ("credit_code", VALID_CODE[:17] + ("0" if VALID_CODE[17] != "0" else "1"), "校验码错误"),
    ("credit_code", "91330106", "长度不是18位"),
    ("address", "", "请填写地址"),
    ("address", "路" * 201, "地址不能超过 200 个字"),
    ("phone", "", "请填写联系电话"),
    ("phone", "87654321", "固定电话需带区号"),
    ("phone", "2391234567", "格式不对"),
    ("legal_representative", "名" * 51, "法定代表人不能超过 50 个字"),
    ("opened_year", "2030", "开业年份不能大于 2026"),
    ("opened_year", "1900", "开业年份不能小于 1949"),
    ("beds_total", "-3", "床位总数不能为负数"),
    ("beds_total", "十", "床位总数应为整数"),
    ("beds_vacant", "121", "空余床位（121）不能多于床位总数（120）"),
    ("deposit_amount", "-1", "押金/保证金不能为负数"),
    ("deposit_amount", "100.005", "押金/保证金最多保留 2 位小数"),
    ("deposit_amount", "abc", "押金/保证金应为数字"),
    ("deposit_bank", "", "押金专户存储的，请填写开户银行"),
])
def test_basic_field_problems(field, value, message):
    errors = errors_of(validate_basic, {**BASIC, field: value})
    assert message in errors[field]


def test_internal_clinic_needs_medical_integration():
    errors = errors_of(validate_basic, {**BASIC, "internal_clinic": "1"})
    assert "医养结合" in errors["internal_clinic"]


@pytest.mark.parametrize("number", ["13912345678", "0571-87654321", "057187654321",
                                    "010-62345678-123", "400-123-4567", "12345", "95588",
                                    "0571-87654321、13912345678"])
def test_accepted_phone_numbers(number):
    assert phone_problem(number) is None


@pytest.mark.parametrize("number", ["12912345678", "1391234567", "0571-1234", "abc",
                                    "1、2、3、4"])
def test_refused_phone_numbers(number):
    assert phone_problem(number)


@pytest.mark.parametrize("field,value,message", [
    ("caregivers", "-1", "护理员人数不能为负数"),
    ("certified_caregivers", "21", "持证护理员（21）不能多于护理员总数（20）"),
    ("nurses", "1.5", "护士人数应为整数"),
    ("doctors", "", "请填写医生人数"),
    ("social_workers", "x", "社会工作者人数应为整数"),
    ("elders_self_care", "-2", "在住自理老人不能为负数"),
    ("elders_mild", "", "请填写在住轻度失能老人"),
    ("elders_severe", "60", "在住老人合计 130 人，多于床位总数 120 张"),
    ("video_retention_days", "0", "请填写录像保存天数（大于 0）"),
    ("video_retention_days", "4000", "录像保存天数不能大于 3650"),
    ("fire_approval", "字" * 41, "消防审验说明不能超过 40 个字"),
    ("fire_approval_status", "", "请选择消防审验状态"),
    ("fire_approval_status", "yes", "请选择消防审验状态"),
    ("fire_approval_status", "not_required", "养老机构应依法取得消防审验合格手续，不能选择“无需办理”"),
    ("fire_approval_doc_no", "", "请填写消防审验文号"),
    ("fire_approval_doc_no", "已通过", "消防审验文号应含编号"),
    ("fire_approval_doc_no", "号" * 61, "消防审验文号不能超过 60 个字"),
    ("fire_approval_date", "", "请填写消防审验取得日期"),
    ("fire_approval_date", "2026-11-26", "消防审验取得日期不能晚于今天"),
    ("food_licence", "字" * 41, "食品经营许可证号不能超过 40 个字"),
    ("last_fire_drill", "2026-11-26", "最近消防演练日期不能晚于今天"),
    ("last_emergency_drill", "2026-13-01", "最近应急演练日期格式应为 年-月-日"),
])
def test_resource_field_problems(field, value, message):
    errors = errors_of(validate_resources, {**RESOURCES, field: value}, 120, "residential")
    assert message in errors[field]


def test_fire_approval_is_a_status_with_number_and_date():
    payload = validate_resources(RESOURCES, TODAY, 120, "residential")
    assert {k: v for k, v in payload.items() if k.startswith("fire")} == {
        "fire_approval_status": "passed", "fire_approval_doc_no": "示住建消验字〔2020〕第12号",
        "fire_approval_date": "2020-05-20", "fire_approval": "消防验收合格"}


@pytest.mark.parametrize("status", ["failed", "in_progress"])
def test_failed_or_in_progress_fire_approval_may_leave_number_and_date_out(status):
    data = {**RESOURCES, "fire_approval_status": status, "fire_approval_doc_no": "",
            "fire_approval_date": "", "fire_approval": "无消防手续"}
    payload = validate_resources(data, TODAY, 120, "residential")
    assert payload["fire_approval_status"] == status and payload["fire_approval_date"] is None


def test_in_progress_fire_approval_date_is_its_application_date():
    data = {**RESOURCES, "fire_approval_status": "in_progress", "fire_approval_date": "2027-01-01"}
    errors = errors_of(validate_resources, data, 120, "residential")
    assert errors["fire_approval_date"].startswith("消防审验申请日期不能晚于今天")


def test_a_community_service_point_may_need_none_and_says_why():
    data = {**RESOURCES, "fire_approval_status": "not_required", "fire_approval": ""}
    errors = errors_of(validate_resources, data, 120, "community")
    assert "请在说明中写明原因" in errors["fire_approval"]
    data["fire_approval"] = "只提供上门服务，不涉及场所建设"
    payload = validate_resources(data, TODAY, 120, "community")
    # Nothing was issued: a number or date typed before switching is not kept.
    assert (payload["fire_approval_status"], payload["fire_approval_doc_no"],
            payload["fire_approval_date"]) == ("not_required", "", None)


@pytest.mark.parametrize("kind", ["assessment", "training"])
def test_assessment_and_training_may_leave_fire_approval_out(kind):
    data = {**RESOURCES, "fire_approval_status": "", "fire_approval_doc_no": "",
            "fire_approval_date": ""}
    assert validate_resources(data, TODAY, 120, kind)["fire_approval_status"] is None


@pytest.mark.parametrize("field,value,message", [
    ("signed_on", "", "请填写签署日期"),
    ("signed_on", "2026-12-01", "签署日期不能晚于今天"),
    ("text", "", "请填写承诺书内容"),
    ("text", "诺" * 5001, "承诺书内容不能超过 5000 个字"),
])
def test_commitment_field_problems(field, value, message):
    errors = errors_of(validate_commitment, {**COMMITMENT, field: value})
    assert message in errors[field]


def test_commitment_takes_no_self_declared_fulfilment():
    """履约情况 is civil affairs' judgement (株洲 (一)；昆政办〔2021〕70号 (十四)), not the
    institution's: a posted value is not part of the draft."""
    payload = validate_commitment({**COMMITMENT, "fulfilment": "履约良好"}, TODAY)
    assert payload == {"signed_on": "2026-03-01", "text": "依法诚信经营。"}


@pytest.mark.parametrize("field,value,message", [
    ("item-0", "", "请填写收费项目名称"),
    ("unit-0", "", "请填写计价单位"),
    ("price-0", "", "请填写价格（元）"),
    ("price-0", "-5", "价格不能为负数"),
    ("price-0", "9.999", "价格最多保留 2 位小数"),
    ("price-0", "100000000", "价格过大"),
    ("pricing_type-0", "free", "请选择定价方式"),
    ("cycle-0", "周", "请选择收费周期"),
    ("care_level-0", "vip", "请选择护理等级"),
    ("id-0", "77", "请刷新页面"),
])
def test_fee_field_problems(field, value, message):
    errors = errors_of(validate_fees, {"rows": "1", **FEE_ROW, field: value}, {5})
    assert message in errors[field]


def test_fee_rows_blank_ignored_duplicates_refused_closing_kept():
    data = {"rows": "4", **FEE_ROW, "id-0": "5", "close-0": "1",
            "item-1": "餐费", "unit-1": "元/月", "price-1": "600", "pricing_type-1": "market",
            "cycle-1": "月"}
    items = validate_fees(data, TODAY, {5})["items"]
    assert [(i["id"], i["close"]) for i in items] == [(5, True), (None, False)]
    dup = {**data, "close-0": "", "item-1": "护理费", "care_level-1": "mild"}
    assert "重复" in errors_of(validate_fees, dup, {5})["item-1"]


@pytest.mark.parametrize("field,value,message", [
    ("title-0", "", "请填写制度名称"),
    ("title-0", "制" * 101, "制度名称不能超过 100 个字"),
    ("body-0", "", "请填写制度内容"),
    ("effective_on-0", "2026/01/01", "施行日期格式应为 年-月-日"),
    ("effective_on-0", "", "请填写施行日期"),
])
def test_rule_field_problems(field, value, message):
    errors = errors_of(validate_rules, {"rows": "1", **RULE_ROW, field: value})
    assert message in errors[field]


@pytest.mark.parametrize("raw", ["9" * 5000, "0", "x", "١"])
def test_a_row_id_that_names_no_current_row_is_a_message_not_a_crash(raw):
    # 5000 digits once reached int() (Python refuses > 4300 digits: a 500); a 1 MB field passes
    # the form guard, so the row id is read like every other id (formfields.parse_id).
    for validate, row in ((validate_fees, FEE_ROW), (validate_rules, RULE_ROW)):
        errors = errors_of(validate, {"rows": "1", "id-0": raw, **row}, {1})
        assert errors == {"id-0": "这一行已不是现行内容，请刷新页面后重新填写"}


def test_the_rules_between_counts_speak_instead_of_a_counts_range():
    # As before the form layer: the comparison names both numbers, even one out of range.
    errors = errors_of(validate_resources, {**RESOURCES, "certified_caregivers": "100001"}, 120)
    assert errors["certified_caregivers"] == "持证护理员（100001）不能多于护理员总数（20）"
    errors = errors_of(validate_resources, {**RESOURCES, "elders_severe": "100001"}, 120)
    assert errors == {"elders_severe": "在住老人合计 100071 人，多于床位总数 120 张，请核对"}
