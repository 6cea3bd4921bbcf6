"""Validating the back-office forms into draft payloads. Pure: no database, no request.

Each `validate_<section>` reads the raw form values and returns the payload stored on the draft
(JSON-safe: dates as ISO strings, money as "1234.50"), or raises `InvalidDraft` with Chinese
messages keyed by field name. Repeated rows (fees, rules) use fields named `<name>-<row>`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from portal.formfields import FieldReader, parse_id, parse_whole
from portal.institutions import creditcode, fire_approval, vocab

PRICE_MAX = Decimal("99999999.99")  # FeeItem.price is Numeric(10, 2)
DEPOSIT_MAX = Decimal("9999999999.99")  # Numeric(12, 2)
CYCLES = {"月": "每月", "季": "每季度", "半年": "每半年", "年": "每年", "次": "按次", "日": "按日"}
COUNT_MAX = 100_000
RETENTION_MAX = 3650
RULE_BODY_MAX = 20_000
COMMITMENT_MAX = 5_000
MAX_ROWS = 200

# Mobile 1[3-9] + 9 digits; landline with area code (010-12345678, 0571 8888 8888, ext. -123);
# 400/800 numbers; short public service numbers (12345 government hotline, 12349 elderly care,
# 95xxx service lines).
_PHONE_PATTERNS = (
    re.compile(r"^1[3-9]\d{9}$"),
    re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$"),
    re.compile(r"^[48]00-?\d{3}-?\d{4}$"),
    re.compile(r"^1\d{4}$"),
    re.compile(r"^95\d{3,6}$"),
)
_PHONE_SPLIT = re.compile(r"[、，,;；/]")


class InvalidDraft(Exception):
    """The form has problems, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


class _Reader(FieldReader):
    def check(self) -> None:
        if self.errors:
            raise InvalidDraft(self.errors)


def phone_problem(raw: str) -> str | None:
    """None if every number (up to 3, separated by 、 or ，) is a mobile, landline with area code
    or service number; otherwise a message naming the first bad one."""
    numbers = [n.strip() for n in _PHONE_SPLIT.split(raw)]
    if len(numbers) > 3:
        return "联系电话最多填写 3 个号码"
    for number in numbers:
        plain = number.replace(" ", "")
        if not any(p.match(plain) for p in _PHONE_PATTERNS):
            return (f"电话号码“{number}”格式不对：手机号为 11 位（如 13912345678），"
                    "固定电话需带区号（如 0571-87654321）")
    return None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- basic information ------------------------------------------------------------------------


def validate_basic(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    form = _Reader(data, today)
    code = form.raw("credit_code").upper().replace(" ", "")
    if code and (problem := creditcode.problem(code)):
        form.errors["credit_code"] = f"统一社会信用代码{problem}"
    address = form.text("address", "地址", max_len=200)
    phone = form.text("phone", "联系电话", max_len=30)
    if phone and "phone" not in form.errors and (problem := phone_problem(phone)):
        form.errors["phone"] = problem
    legal = form.text("legal_representative", "法定代表人", required=False, max_len=50)
    opened = form.integer("opened_year", "开业年份", required=False, minimum=1949,
                          maximum=today.year)
    beds_total = form.integer("beds_total", "床位总数", maximum=COUNT_MAX)
    beds_vacant = form.integer("beds_vacant", "空余床位", maximum=COUNT_MAX)
    if beds_total is not None and beds_vacant is not None and beds_vacant > beds_total \
            and "beds_vacant" not in form.errors:
        form.errors["beds_vacant"] = f"空余床位（{beds_vacant}）不能多于床位总数（{beds_total}）"
    deposit = form.money("deposit_amount", "押金/保证金", DEPOSIT_MAX, required=False)
    dedicated = form.flag("deposit_dedicated_account")
    bank = form.text("deposit_bank", "押金专户开户银行", required=False, max_len=80)
    if dedicated and not bank and "deposit_bank" not in form.errors:
        form.errors["deposit_bank"] = "押金专户存储的，请填写开户银行"
    flags = {name: form.flag(name) for name in (
        "admits_self_care", "admits_mild", "admits_severe", "medical_integration",
        "internal_clinic", "insurance_designated")}
    if flags["internal_clinic"] and not flags["medical_integration"]:
        form.errors["internal_clinic"] = "设有内设医疗机构的，请同时勾选“医养结合”"
    form.check()
    return {
        "credit_code": code, "address": address, "phone": phone, "legal_representative": legal,
        "opened_year": opened, "beds_total": beds_total, "beds_vacant": beds_vacant, **flags,
        "deposit_amount": _money(deposit), "deposit_dedicated_account": dedicated,
        "deposit_bank": bank,
    }


# --- service resources ------------------------------------------------------------------------

STAFF_FIELDS = {"caregivers": "护理员人数", "certified_caregivers": "持证护理员人数",
                "nurses": "护士人数", "doctors": "医生人数", "social_workers": "社会工作者人数"}
ELDER_FIELDS = {"elders_self_care": "在住自理老人", "elders_mild": "在住轻度失能老人",
                "elders_severe": "在住中重度失能老人"}


FIRE_DOC_MAX = 60
_HAS_DIGIT = re.compile(r"\d")


def _fire_approval(form: _Reader, kind: str | None) -> dict[str, Any]:
    """消防审验: a status with its document number and date (portal/institutions/fire_approval.py).

    通过 needs the document number and date; 未通过 and 办理中 may give them; 无需办理 needs the
    reason and is refused for a 养老机构 (seed 004 评估表 4.9 counts every 养老机构's approval).
    Residential and community services must choose a status; the others may leave it out."""
    raw = form.raw("fire_approval_status")
    status: str | None = raw or None
    if status is None:
        if kind in ("residential", "community"):
            form.errors["fire_approval_status"] = "请选择消防审验状态"
    elif status not in fire_approval.STATUSES:
        form.errors["fire_approval_status"] = "请选择消防审验状态"
        status = None
    elif status == "not_required" and kind == "residential":
        form.errors["fire_approval_status"] = (
            "养老机构应依法取得消防审验合格手续，不能选择“无需办理”；尚未取得的请选择“办理中”或“未通过”")
    doc_label = fire_approval.DOC_LABELS.get(status or "", "文号")
    date_label = "消防审验" + fire_approval.DATE_LABELS.get(status or "", "日期")
    doc_no = form.text("fire_approval_doc_no", f"消防审验{doc_label}",
                       required=status == "passed", max_len=FIRE_DOC_MAX)
    if doc_no and "fire_approval_doc_no" not in form.errors and not _HAS_DIGIT.search(doc_no):
        form.errors["fire_approval_doc_no"] = (
            f"消防审验{doc_label}应含编号，如 示住建消验字〔2023〕第0012号")
    when = form.date("fire_approval_date", date_label, required=status == "passed",
                     not_future=True)
    note = form.text("fire_approval", "消防审验说明", required=False, max_len=40)
    if status == "not_required" and not note and "fire_approval" not in form.errors:
        form.errors["fire_approval"] = "选择“无需办理”的，请在说明中写明原因（如：只提供上门服务，不涉及场所建设）"
    if status == "not_required":
        doc_no, when = "", None  # nothing was issued
    return {"fire_approval_status": status, "fire_approval_doc_no": doc_no,
            "fire_approval_date": _iso(when), "fire_approval": note}


def validate_resources(data: Mapping[str, Any], today: date,
                       beds_total: int | None = None, kind: str | None = None) -> dict[str, Any]:
    form = _Reader(data, today)
    counts = {name: form.integer(name, label, maximum=COUNT_MAX)
              for name, label in {**STAFF_FIELDS, **ELDER_FIELDS}.items()}
    caregivers, certified = counts["caregivers"], counts["certified_caregivers"]
    if caregivers is not None and certified is not None and certified > caregivers:
        form.errors["certified_caregivers"] = (
            f"持证护理员（{certified}）不能多于护理员总数（{caregivers}）")
    elders = [counts[name] for name in ELDER_FIELDS]
    if beds_total and all(n is not None for n in elders) \
            and sum(n or 0 for n in elders) > beds_total:
        form.errors["elders_severe"] = (
            f"在住老人合计 {sum(n or 0 for n in elders)} 人，多于床位总数 {beds_total} 张，请核对")
    coverage = form.flag("video_coverage")
    retention = form.integer("video_retention_days", "录像保存天数", maximum=RETENTION_MAX)
    if coverage and retention == 0 and "video_retention_days" not in form.errors:
        form.errors["video_retention_days"] = "有视频监控的，请填写录像保存天数（大于 0）"
    fire = _fire_approval(form, kind)
    food = form.text("food_licence", "食品经营许可证号", required=False, max_len=40)
    fire_drill = form.date("last_fire_drill", "最近消防演练日期", required=False,
                           not_future=True)
    emergency = form.date("last_emergency_drill", "最近应急演练日期", required=False,
                          not_future=True)
    form.check()
    return {**counts, "video_coverage": coverage, "video_retention_days": retention,
            **fire, "food_licence": food, "last_fire_drill": _iso(fire_drill),
            "last_emergency_drill": _iso(emergency)}


# --- credit commitment ------------------------------------------------------------------------


def validate_commitment(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    form = _Reader(data, today)
    signed = form.date("signed_on", "签署日期", not_future=True)
    text = form.text("text", "承诺书内容", max_len=COMMITMENT_MAX)
    # No 履约情况: the institution does not judge its own keeping of the commitment; civil
    # affairs does (株洲 实施方案 (一)；昆政办〔2021〕70号 (十四); portal/institutions/credit.py).
    form.check()
    return {"signed_on": _iso(signed), "text": text}


# --- repeated rows: fees and rules ------------------------------------------------------------


def row_count(data: Mapping[str, Any]) -> int:
    raw = data.get("rows")
    return min(parse_whole(raw if isinstance(raw, str) else "", 0, 9999) or 0, MAX_ROWS)


def _row_id(form: _Reader, n: int, known_ids: Collection[int]) -> int | None:
    raw = form.raw(f"id-{n}")
    if not raw:
        return None
    row_id = parse_id(raw)
    if row_id is None or row_id not in known_ids:
        form.errors[f"id-{n}"] = "这一行已不是现行内容，请刷新页面后重新填写"
        return None
    return row_id


def _blank(form: _Reader, n: int, names: tuple[str, ...]) -> bool:
    return not form.raw(f"id-{n}") and not any(form.raw(f"{name}-{n}") for name in names)


def validate_fees(data: Mapping[str, Any], today: date,
                  known_ids: Collection[int] = ()) -> dict[str, Any]:
    """Rows with an id are current FeeItems (changed, kept or closed); rows without are new;
    blank new rows are ignored."""
    form = _Reader(data, today)
    items: list[dict[str, Any]] = []
    seen: dict[tuple[str, str | None], int] = {}
    for n in range(row_count(data)):
        if _blank(form, n, ("item", "price", "unit")):
            continue
        row_id = _row_id(form, n, known_ids)
        close = form.flag(f"close-{n}")
        item = form.text(f"item-{n}", "收费项目名称", max_len=80)
        unit = form.text(f"unit-{n}", "计价单位", max_len=20)
        price = form.money(f"price-{n}", "价格", PRICE_MAX)
        pricing = form.choice(f"pricing_type-{n}", "定价方式", vocab.PRICING_TYPES)
        cycle = form.choice(f"cycle-{n}", "收费周期", CYCLES, default="月")
        level_raw = form.raw(f"care_level-{n}")
        level = level_raw or None
        if level is not None and level not in vocab.CARE_LEVELS:
            form.errors[f"care_level-{n}"] = "请选择护理等级（或不分等级）"
        if not close and item:
            key = (item, level)
            if key in seen and f"item-{n}" not in form.errors:
                form.errors[f"item-{n}"] = (
                    f"“{item}”（{vocab.CARE_LEVELS.get(level or '', '不分等级')}）与第 "
                    f"{seen[key] + 1} 行重复")
            seen.setdefault(key, n)
        if close and row_id is None and f"id-{n}" not in form.errors:
            continue  # a new row ticked "stop" means nothing
        items.append({"id": row_id, "item": item, "unit": unit, "price": _money(price),
                      "pricing_type": pricing, "cycle": cycle, "care_level": level,
                      "close": close})
    form.check()
    return {"items": items}


def validate_rules(data: Mapping[str, Any], today: date,
                   known_ids: Collection[int] = ()) -> dict[str, Any]:
    form = _Reader(data, today)
    items: list[dict[str, Any]] = []
    titles: dict[str, int] = {}
    for n in range(row_count(data)):
        if _blank(form, n, ("title", "body", "effective_on")):
            continue
        row_id = _row_id(form, n, known_ids)
        remove = form.flag(f"remove-{n}")
        if remove and row_id is None and f"id-{n}" not in form.errors:
            continue
        title = form.text(f"title-{n}", "制度名称", max_len=100)
        body = form.text(f"body-{n}", "制度内容", max_len=RULE_BODY_MAX)
        effective = form.date(f"effective_on-{n}", "施行日期")
        if title and not remove:
            if title in titles and f"title-{n}" not in form.errors:
                form.errors[f"title-{n}"] = f"制度名称“{title}”与第 {titles[title] + 1} 行重复"
            titles.setdefault(title, n)
        items.append({"id": row_id, "title": title, "body": body,
                      "effective_on": _iso(effective), "remove": remove})
    form.check()
    return {"items": items}
