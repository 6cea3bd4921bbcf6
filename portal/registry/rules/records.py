"""Importing government records: grades (等级评定), inspections (抽查检查), penalties (行政处罚) and
credit list entries (红黑名单), one kind each, every row keyed by the record's own number (证书
编号, 检查文书编号, 处罚决定书文号, 列入决定文号) so that importing the same file again changes
nothing.

Pure. A row's cells are read as the registry's cells are (portal/registry/rules/cells.py: Excel
dates, 是/否, Chinese labels of a vocabulary) and then checked by the very form the government
entry pages use (portal/institutions/record_forms.py: each field's rule, the rules between fields), so
a record is checked the same way whichever way it comes. What needs the database — the
institution named by its credit code, the department by its name, a number used for another
institution, the red list's blockers — is the service's (portal/registry/services/records.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from portal.core.formfields import PortalForm
from portal.institutions import vocab
from portal.institutions.record_forms import (
    CreditEntryForm,
    GradeForm,
    InspectionFields,
    PenaltyFields,
)
from portal.registry.rules.cells import DATE_FORMATS, a_date, choice, credit_code, text, yes_no
from portal.registry.rules.imports import Column, Headers, Problem, RowChecker, parse_cells


def _day(value: Any) -> str:
    return a_date(value).isoformat()


def _flag(value: Any) -> str:
    return "1" if yes_no(value) else "0"


def _amount(value: Any) -> str:
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    return text(20)(value).removesuffix("元")


def _coded(labels: dict[str, str], extra: dict[str, str] | None = None) -> Callable[[Any], str]:
    return choice(labels, extra)


def _labels(labels: dict[Any, str]) -> str:
    return "、".join(labels.values())


GRADE_LABELS = {str(n): label for n, label in vocab.GRADES.items()}

# Every kind names its institution by credit code; the department by its name as the portal
# has it (e.g. 示范市市场监督管理局).
INSTITUTION = Column("统一社会信用代码", "credit_code", True, "18位，须为本平台已有机构", credit_code,
                     aliases=("信用代码", "社会信用代码"))


def _department(header: str) -> Column:
    return Column(header, "department", True, "本平台已有的部门全称", text(80),
                  aliases=("部门", "执法部门"))


@dataclass(frozen=True)
class RecordKind:
    """One kind of government record: its columns, its key, and the form that checks it."""

    code: str  # the kind's code: grades, inspections, penalties, credit
    label: str
    table: str
    key: str  # the model's field the row is upserted by
    columns: tuple[Column, ...]
    form: type[PortalForm]
    fields: tuple[str, ...]  # the form's fields stored
    reach: str  # the kind as portal/institutions/rules/jurisdiction.py names it

    @property
    def key_header(self) -> str:
        return next(c.header for c in self.columns if c.field == self.key)

    def stored(self, form: PortalForm) -> dict[str, Any]:
        """The checked form's values as the row takes them."""
        values = {name: form[name].data for name in self.fields}
        if "level" in values:
            values["level"] = int(values["level"])
        if "gb38600_compliant" in values:
            values["gb38600_compliant"] = values["gb38600_compliant"] == "1"
        return values


GRADES = RecordKind(
    "grades", "等级评定", "grades", "record_no",
    (INSTITUTION,
     Column("证书编号", "record_no", True, "文本，≤60字；同一编号再次导入即更新", text(60),
            aliases=("评定证书编号", "等级证书编号")),
     Column("等级", "level", True, "文本", _coded(GRADE_LABELS, {"1级": "1", "2级": "2",
                                                               "3级": "3", "4级": "4",
                                                               "5级": "5"}),
            _labels(GRADE_LABELS), aliases=("评定等级",)),
     Column("评定机关", "awarded_by", True, "文本，≤80字", text(80), aliases=("评定单位",)),
     Column("评定日期", "awarded_on", True, DATE_FORMATS, _day),
     Column("有效期至", "valid_until", False, DATE_FORMATS, _day),
     Column("符合GB 38600", "gb38600_compliant", True, "是/否", _flag,
            aliases=("符合GB38600", "是否符合GB 38600", "GB 38600达标"))),
    GradeForm, ("level", "awarded_by", "awarded_on", "valid_until", "gb38600_compliant"),
    "grade")

INSPECTIONS = RecordKind(
    "inspections", "抽查检查", "inspections", "record_no",
    (INSTITUTION,
     Column("检查文书编号", "record_no", True, "文本，≤60字；同一编号再次导入即更新", text(60),
            aliases=("检查编号", "文书编号", "任务编号")),
     _department("检查部门"),
     Column("检查日期", "inspected_on", True, DATE_FORMATS, _day),
     Column("检查内容", "items_checked", True, "文本", text(4000), aliases=("检查事项",)),
     Column("发现问题", "findings", False, "文本", text(4000)),
     Column("检查结论", "outcome", True, "文本", _coded(vocab.INSPECTION_OUTCOMES),
            _labels(vocab.INSPECTION_OUTCOMES)),
     Column("整改情况", "rectification_status", False, "文本；留空为无需整改",
            _coded(vocab.RECTIFICATION_STATUSES), _labels(vocab.RECTIFICATION_STATUSES)),
     Column("整改期限", "rectification_deadline", False, DATE_FORMATS, _day)),
    InspectionFields, InspectionFields.RECORD, "inspection")

PENALTIES = RecordKind(
    "penalties", "行政处罚", "penalties", "decision_no",
    (INSTITUTION,
     Column("处罚决定书文号", "decision_no", True, "文本，≤60字；同一文号再次导入即更新", text(60),
            aliases=("决定书文号", "文号")),
     _department("处罚部门"),
     Column("决定日期", "decided_on", True, DATE_FORMATS, _day, aliases=("处罚日期",)),
     Column("违法行为", "violation", True, "文本", text(4000)),
     Column("处罚依据", "basis", True, "文本", text(4000)),
     Column("处罚内容", "penalty", True, "文本，≤200字", text(200)),
     Column("罚款金额（元）", "amount", True, "不小于0的金额，最多两位小数；没有罚款填0", _amount,
            aliases=("罚款金额", "罚没金额")),
     Column("执行状态", "status", False, "文本；留空为已作出决定", _coded(vocab.PENALTY_STATUSES),
            _labels(vocab.PENALTY_STATUSES))),
    PenaltyFields, PenaltyFields.RECORD, "penalty")

CREDIT = RecordKind(
    "credit", "信用名单", "credit_entries", "record_no",
    (INSTITUTION,
     Column("列入决定文号", "record_no", True, "文本，≤60字；同一文号再次导入即更新", text(60),
            aliases=("决定文号", "认定文号")),
     Column("名单类型", "list_type", True, "文本", _coded(vocab.CREDIT_LISTS, {"黑名单": "black"}),
            _labels(vocab.CREDIT_LISTS)),
     _department("认定部门"),
     Column("列入事由", "reason", True, "文本", text(4000)),
     Column("法律依据", "legal_basis", True, "文本", text(4000)),
     Column("列入日期", "listed_on", True, DATE_FORMATS, _day),
     Column("有效期至", "expires_on", False, DATE_FORMATS, _day),
     Column("信用修复情况", "repair_status", False, "文本，≤40字", text(40))),
    CreditEntryForm, ("list_type", "reason", "legal_basis", "listed_on", "expires_on",
                      "repair_status"), "credit")

KINDS = (GRADES, INSPECTIONS, PENALTIES, CREDIT)


class RecordChecker(RowChecker):
    """A kind's rows: each cell read, then the whole row checked by the kind's form."""

    def __init__(self, kind: RecordKind, headers: Headers, today: date) -> None:
        super().__init__(headers)
        self.kind, self.today = kind, today
        self.key, self.key_header = kind.key, kind.key_header
        self._form_fields = set(kind.form()._fields)

    def values(self, number: int, cells: tuple[Any, ...]) -> tuple[dict[str, Any], list[Problem]]:
        parsed = parse_cells(self.index, number, cells)
        raw, problems = parsed.values, parsed.problems
        headers = {column.field: column.header for column in self.kind.columns}
        if problems:
            return raw, problems
        form = self.kind.form({name: value for name, value in raw.items()
                               if name in self._form_fields}, today=self.today)
        for name, message in form.check().items():
            problems.append(Problem(number, headers.get(name, name), message))
        values = {"credit_code": raw["credit_code"], self.key: raw[self.key]}
        if "department" in raw:
            values["department"] = raw["department"]
        if not problems:
            values |= self.kind.stored(form)
        return values, problems
