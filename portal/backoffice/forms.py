"""The institution back office's forms: basic information, service resources, the credit
commitment, and the repeated rows of fees and rules (fields named `<name>-<row>`): each field's
rule and Chinese message, and the rules between fields.

Pure: no database, no request. portal/backoffice/rules/validation.py turns a form without
problems into the draft's payload; the service adds the one rule that needs the database (a
credit code another institution has).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from wtforms.validators import ValidationError

from portal.backoffice.rules.phones import phone_problem
from portal.core.formfields import (
    Choice,
    Day,
    Flag,
    Integer,
    Money,
    PortalForm,
    RowForm,
    RowId,
    Text,
)
from portal.institutions import vocab
from portal.institutions.rules import creditcode, fire_approval

PRICE_MAX = Decimal("99999999.99")  # FeeItem.price is Numeric(10, 2)
DEPOSIT_MAX = Decimal("9999999999.99")  # Numeric(12, 2)
CYCLES = {"月": "每月", "季": "每季度", "半年": "每半年", "年": "每年", "次": "按次", "日": "按日"}
COUNT_MAX = 100_000
RETENTION_MAX = 3650
RULE_BODY_MAX = 20_000
COMMITMENT_MAX = 5_000
FIRE_DOC_MAX = 60
CHECKED = ("1", "on", "true", "yes")  # a ticked check box
_HAS_DIGIT = re.compile(r"\d")


def _box() -> Any:
    return Flag(true=CHECKED)


# --- basic information ------------------------------------------------------------------------

ADMISSION_FLAGS = ("admits_self_care", "admits_mild", "admits_severe", "medical_integration",
                   "internal_clinic", "insurance_designated")


class BasicForm(PortalForm):
    """Basic information; the opening year is at most this year (`today`)."""

    credit_code = Text(filters=[lambda code: code.upper().replace(" ", "")])
    address = Text("地址", required=True, max_length=200)
    phone = Text("联系电话", required=True, max_length=30)
    legal_representative = Text("法定代表人", max_length=50)
    opened_year = Integer("开业年份", low=1949)
    beds_total = Integer("床位总数", required=True, high=COUNT_MAX)
    beds_vacant = Integer("空余床位", required=True, high=COUNT_MAX)
    deposit_amount = Money("押金/保证金", maximum=DEPOSIT_MAX)
    deposit_dedicated_account = _box()
    deposit_bank = Text("押金专户开户银行", max_length=80)
    admits_self_care = _box()
    admits_mild = _box()
    admits_severe = _box()
    medical_integration = _box()
    internal_clinic = _box()
    insurance_designated = _box()

    def __init__(self, formdata: Any, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.opened_year.high = self.today.year

    def validate_credit_code(self, field: Any) -> None:
        if field.data and (problem := creditcode.problem(field.data)):
            raise ValidationError(f"统一社会信用代码{problem}")

    def validate_phone(self, field: Any) -> None:
        if problem := phone_problem(field.data):
            raise ValidationError(problem)

    def validate_beds_vacant(self, field: Any) -> None:
        total = self.beds_total.data
        if total is not None and field.data is not None and field.data > total:
            raise ValidationError(f"空余床位（{field.data}）不能多于床位总数（{total}）")

    def validate_deposit_bank(self, field: Any) -> None:
        if self.deposit_dedicated_account.data and not field.data:
            raise ValidationError("押金专户存储的，请填写开户银行")

    def validate_internal_clinic(self, field: Any) -> None:
        if field.data and not self.medical_integration.data:
            raise ValidationError("设有内设医疗机构的，请同时勾选“医养结合”")


# --- service resources ------------------------------------------------------------------------

STAFF_FIELDS = {"caregivers": "护理员人数", "certified_caregivers": "持证护理员人数",
                "nurses": "护士人数", "doctors": "医生人数", "social_workers": "社会工作者人数"}
ELDER_FIELDS = {"elders_self_care": "在住自理老人", "elders_mild": "在住轻度失能老人",
                "elders_severe": "在住中重度失能老人"}


class _Counts(PortalForm):
    """The staff and the residents, each a whole number to fill in (fields added below)."""


for _name, _label in {**STAFF_FIELDS, **ELDER_FIELDS}.items():
    setattr(_Counts, _name, Integer(_label, required=True, high=COUNT_MAX))


class ResourcesForm(_Counts):
    """Service resources: staff, residents (at most the institution's `beds_total`), video,
    消防审验 (portal/institutions/rules/fire_approval.py) and drills.

    消防审验: 通过 needs the document number and date; 未通过 and 办理中 may give them; 无需办理
    needs the reason and is refused for a 养老机构 (seed 004 评估表 4.9 counts every 养老机构's
    approval). Residential and community services (`kind`) must choose a status; the others may
    leave it out. The number's and date's labels follow the status chosen."""

    video_coverage = _box()
    video_retention_days = Integer("录像保存天数", required=True, high=RETENTION_MAX)
    fire_approval_status = Choice("消防审验状态", choices=fire_approval.STATUSES)
    fire_approval_doc_no = Text(max_length=FIRE_DOC_MAX)
    fire_approval_date = Day(not_future=True)
    fire_approval = Text("消防审验说明", max_length=40)
    food_licence = Text("食品经营许可证号", max_length=40)
    last_fire_drill = Day("最近消防演练日期", not_future=True)
    last_emergency_drill = Day("最近应急演练日期", not_future=True)

    def __init__(self, formdata: Any, *, beds_total: int | None = None, kind: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.beds_total, self.kind = beds_total, kind
        self.fire_approval_status.optional = kind not in ("residential", "community")
        status = self.fire_status
        passed = status == "passed"
        self.fire_approval_doc_no.label.text = "消防审验" + fire_approval.DOC_LABELS.get(
            status or "", "文号")
        self.fire_approval_date.label.text = "消防审验" + fire_approval.DATE_LABELS.get(
            status or "", "日期")
        self.fire_approval_doc_no.required = self.fire_approval_date.required = passed

    @property
    def fire_status(self) -> str | None:
        """The 消防审验 status chosen, None when none or none known."""
        status = self.fire_approval_status.data
        return status if status in fire_approval.STATUSES else None

    def validate(self, extra_validators: Any = None) -> bool:
        """The rules between the counts (their message shown instead of a count's own)."""
        super().validate(extra_validators)
        counts = {name: self[name].data for name in {**STAFF_FIELDS, **ELDER_FIELDS}}
        caregivers, certified = counts["caregivers"], counts["certified_caregivers"]
        if caregivers is not None and certified is not None and certified > caregivers:
            self.fail("certified_caregivers",
                      f"持证护理员（{certified}）不能多于护理员总数（{caregivers}）", instead=True)
        elders = [counts[name] for name in ELDER_FIELDS]
        if self.beds_total and all(n is not None for n in elders) \
                and sum(elders) > self.beds_total:
            self.fail("elders_severe", instead=True, message=(
                f"在住老人合计 {sum(elders)} 人，多于床位总数 {self.beds_total} 张，请核对"))
        return not self.problems

    def validate_video_retention_days(self, field: Any) -> None:
        if self.video_coverage.data and field.data == 0:
            raise ValidationError("有视频监控的，请填写录像保存天数（大于 0）")

    def validate_fire_approval_status(self, field: Any) -> None:
        if field.data == "not_required" and self.kind == "residential":
            raise ValidationError(
                "养老机构应依法取得消防审验合格手续，不能选择“无需办理”；尚未取得的请选择“办理中”或“未通过”")

    def validate_fire_approval_doc_no(self, field: Any) -> None:
        if field.data and not _HAS_DIGIT.search(field.data):
            raise ValidationError(f"{field.label.text}应含编号，如 示住建消验字〔2023〕第0012号")

    def validate_fire_approval(self, field: Any) -> None:
        if self.fire_status == "not_required" and not field.data:
            raise ValidationError(
                "选择“无需办理”的，请在说明中写明原因（如：只提供上门服务，不涉及场所建设）")


# --- credit commitment ------------------------------------------------------------------------


class CommitmentForm(PortalForm):
    """The 信用承诺书. No 履约情况: the institution does not judge its own keeping of the
    commitment; civil affairs does (株洲 实施方案 (一)；昆政办〔2021〕70号 (十四);
    portal/institutions/rules/credit.py)."""

    signed_on = Day("签署日期", required=True, not_future=True)
    text = Text("承诺书内容", required=True, max_length=COMMITMENT_MAX)


# --- repeated rows: fees and rules ------------------------------------------------------------

STALE_ROW = "这一行已不是现行内容，请刷新页面后重新填写"


class _Row(RowForm):
    """A row of a table the institution keeps: with an `id`, one of the current rows
    (`known_ids`); without, a new one. `CONTENT`: the fields that make a new row not blank."""

    CONTENT: tuple[str, ...] = ()

    id = RowId(message=STALE_ROW)

    def __init__(self, formdata: Any, row: int, *, known_ids: Collection[int] = (),
                 **kwargs: Any) -> None:
        self.known_ids = known_ids
        super().__init__(formdata, row, **kwargs)

    def validate_id(self, field: Any) -> None:
        if field.data is not None and field.data not in self.known_ids:
            raise ValidationError(STALE_ROW)

    def blank(self) -> bool:
        """A new row left empty (ignored)."""
        return not self.id.text and not any(self[name].text for name in self.CONTENT)

    def new_row_dropped(self, flag: str) -> bool:
        """A new row ticked to stop or remove: it means nothing."""
        return self[flag].data and self.id.data is None and not self.failed("id")


class FeeRow(_Row):
    """A fee item: changed, kept or closed (`close`), or new."""

    CONTENT = ("item", "price", "unit")

    close = _box()
    item = Text("收费项目名称", required=True, max_length=80)
    unit = Text("计价单位", required=True, max_length=20)
    price = Money("价格", maximum=PRICE_MAX, required=True)
    pricing_type = Choice("定价方式", choices=vocab.PRICING_TYPES)
    cycle = Choice("收费周期", choices=CYCLES, blank="月")
    care_level = Choice(choices=vocab.CARE_LEVELS, optional=True,
                        message="请选择护理等级（或不分等级）")


class RuleRow(_Row):
    """An institution rule (制度): changed or kept, removed (`remove`), or new."""

    CONTENT = ("title", "body", "effective_on")

    remove = _box()
    title = Text("制度名称", required=True, max_length=100)
    body = Text("制度内容", required=True, max_length=RULE_BODY_MAX)
    effective_on = Day("施行日期", required=True)
