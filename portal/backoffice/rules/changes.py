"""Published values as payloads, and the old → new list of changes between two payloads.

Pure: snapshots only read attributes of the rows they are given. A change is
{"field", "label", "old", "new"} with display strings, ready for the diff preview, the review
page and the public change history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from portal.backoffice.forms import CYCLES, ELDER_FIELDS, STAFF_FIELDS
from portal.institutions import vocab
from portal.institutions.rules import fire_approval

BASIC_LABELS = {
    "credit_code": "统一社会信用代码", "address": "地址", "phone": "联系电话",
    "legal_representative": "法定代表人", "opened_year": "开业年份", "beds_total": "床位总数",
    "beds_vacant": "空余床位", "admits_self_care": "收住自理老人",
    "admits_mild": "收住轻度失能老人", "admits_severe": "收住中重度失能老人",
    "medical_integration": "医养结合", "internal_clinic": "内设医疗机构",
    "insurance_designated": "医保定点", "deposit_amount": "押金/保证金（元）",
    "deposit_dedicated_account": "押金专户存储", "deposit_bank": "押金专户开户银行",
}
RESOURCE_LABELS = {
    **STAFF_FIELDS, **ELDER_FIELDS, "video_coverage": "视频监控全覆盖",
    "video_retention_days": "录像保存天数", "fire_approval_status": "消防审验状态",
    "fire_approval_doc_no": "消防审验文号", "fire_approval_date": "消防审验日期",
    "fire_approval": "消防审验说明",
    "food_licence": "食品经营许可证号", "last_fire_drill": "最近消防演练日期",
    "last_emergency_drill": "最近应急演练日期",
}
# No 履约情况: civil affairs judges it (portal/institutions/rules/credit.py). A draft still pending with
# the old payload's "fulfilment" is published without it (not in the labels: no diff line).
COMMITMENT_LABELS = {"signed_on": "签署日期", "text": "承诺书内容"}
SCALAR_LABELS = {"basic": BASIC_LABELS, "resources": RESOURCE_LABELS,
                 "commitment": COMMITMENT_LABELS}

_FEE_FIELDS = ("item", "unit", "price", "pricing_type", "cycle", "care_level")
_RULE_FIELDS = ("title", "body", "effective_on")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- snapshots: the published values in payload shape -----------------------------------------


def snapshot_basic(inst: Any) -> dict[str, Any]:
    values = {name: getattr(inst, name) for name in BASIC_LABELS}
    values["credit_code"] = inst.credit_code or ""
    values["deposit_amount"] = _money(inst.deposit_amount)
    return values


def snapshot_resources(res: Any | None) -> dict[str, Any]:
    if res is None:
        return {}
    values = {name: getattr(res, name) for name in RESOURCE_LABELS}
    values["fire_approval_date"] = _iso(res.fire_approval_date)
    values["last_fire_drill"] = _iso(res.last_fire_drill)
    values["last_emergency_drill"] = _iso(res.last_emergency_drill)
    return values


def snapshot_commitment(row: Any | None) -> dict[str, Any]:
    if row is None:
        return {}
    return {"signed_on": _iso(row.signed_on), "text": row.text}


def snapshot_fees(rows: list[Any]) -> dict[str, Any]:
    return {"items": [{"id": f.id, "item": f.item, "unit": f.unit, "price": _money(f.price),
                       "pricing_type": f.pricing_type, "cycle": f.cycle,
                       "care_level": f.care_level, "close": False} for f in rows]}


def snapshot_rules(rows: list[Any]) -> dict[str, Any]:
    return {"items": [{"id": r.id, "title": r.title, "body": r.body,
                       "effective_on": _iso(r.effective_on), "remove": False} for r in rows]}


# --- display ----------------------------------------------------------------------------------


def show(value: Any) -> str:
    if value is None or value == "":
        return "（未填）"
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def fee_line(row: dict[str, Any]) -> str:
    level = vocab.CARE_LEVELS.get(row.get("care_level") or "", "")
    return (f"{row['item']}{'（' + level + '）' if level else ''}：{row['price']} 元，"
            f"{row['unit']}，{CYCLES.get(row['cycle'], row['cycle'])}，"
            f"{vocab.PRICING_TYPES.get(row['pricing_type'], row['pricing_type'])}")


def _rule_line(row: dict[str, Any]) -> str:
    return f"《{row['title']}》（{row['effective_on']} 施行）"


# --- diffs ------------------------------------------------------------------------------------


def _change(field: str, label: str, old: str, new: str) -> dict[str, str]:
    return {"field": field, "label": label, "old": old, "new": new}


def _scalar_diff(labels: dict[str, str], old: dict[str, Any],
                 new: dict[str, Any]) -> list[dict[str, str]]:
    return [_change(name, label, show(old.get(name)), show(new.get(name)))
            for name, label in labels.items()
            if name in new and show(old.get(name)) != show(new.get(name))]


def _rows_diff(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...],
               line, noun: str, gone_flag: str, gone_word: str) -> list[dict[str, str]]:
    by_id = {row["id"]: row for row in old.get("items", [])}
    changes: list[dict[str, str]] = []
    for row in new.get("items", []):
        before = by_id.get(row["id"]) if row["id"] is not None else None
        if before is None:
            if not row.get(gone_flag):
                changes.append(_change(f"new:{noun}", f"新增{noun}", "—", line(row)))
        elif row.get(gone_flag):
            changes.append(_change(f"{row['id']}", f"{gone_word}{noun}", line(before), "—"))
        elif any(show(before.get(k)) != show(row.get(k)) for k in fields):
            changes.append(_change(f"{row['id']}", f"修改{noun}", line(before), line(row)))
    return changes


def _rule_line_with_body(row: dict[str, Any]) -> str:
    body = row.get("body") or ""
    return f"{_rule_line(row)} {body[:60]}{'…' if len(body) > 60 else ''}"


def upgrade(section: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A draft's payload in today's shape: resources drafts saved before the fire-approval
    status existed get the status their text stands for (they stay approvable)."""
    return fire_approval.upgrade_payload(payload) if section == "resources" else payload


def _labelled(payload: dict[str, Any]) -> dict[str, Any]:
    if "fire_approval_status" not in payload:
        return payload
    status = payload["fire_approval_status"]
    return {**payload, "fire_approval_status": fire_approval.STATUSES.get(status, status)}


def diff(section: str, old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """What publishing `new` over `old` would change, in form order. Empty: nothing changes."""
    if section == "resources":
        old, new = _labelled(upgrade(section, old)), _labelled(upgrade(section, new))
    if section in SCALAR_LABELS:
        return _scalar_diff(SCALAR_LABELS[section], old, new)
    if section == "fees":
        return _rows_diff(old, new, _FEE_FIELDS, fee_line, "收费项目", "close", "停止")
    if section == "rules":
        return _rows_diff(old, new, _RULE_FIELDS, _rule_line_with_body, "规章制度", "remove",
                          "废止")
    raise ValueError(section)


def form_values(section: str, payload: dict[str, Any]) -> dict[str, str]:
    """A payload back as raw form values (to prefill an edit form)."""
    values: dict[str, str] = {}
    payload = upgrade(section, payload)
    if section in ("fees", "rules"):
        items = payload.get("items", [])
        for n, row in enumerate(items):
            for key, value in row.items():
                if isinstance(value, bool):
                    values[f"{key}-{n}"] = "1" if value else ""
                else:
                    values[f"{key}-{n}"] = "" if value is None else str(value)
        values["rows"] = str(len(items))
        return values
    for key, value in payload.items():
        if isinstance(value, bool):
            values[key] = "1" if value else ""
        else:
            values[key] = "" if value is None else str(value)
    return values
