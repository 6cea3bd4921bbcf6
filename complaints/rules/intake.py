"""What a complaint needs on arrival, and the pure checks on it (field → Chinese message)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

CHANNELS = ("web", "phone", "open311", "handover")
DESCRIPTION_MIN, DESCRIPTION_MAX = 5, 4000
MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# How far back a handed-over complaint's original receipt time may lie.
HANDOVER_MAX_AGE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ComplaintInput:
    channel: str
    category_code: str
    description: str
    institution_id: int | None = None
    place_name: str = ""
    place_address: str = ""
    district_id: int | None = None
    complainant_name: str = ""
    complainant_phone: str = ""
    anonymous: bool = False
    urgent: bool = False
    received_at: datetime | None = None
    idempotency_key: str | None = None


def normalise_phone(raw: str) -> str:
    """Strip spaces, dashes after the area code are kept; +86 dropped."""
    phone = re.sub(r"[\s()（）]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def phone_problem(phone: str) -> str | None:
    if not phone:
        return None
    if MOBILE.match(phone) or LANDLINE.match(phone):
        return None
    return "电话号码格式不正确：手机号为 11 位数字，固定电话如 0571-87654321"


def validate(
    inp: ComplaintInput,
    *,
    now: datetime,
    categories: set[str],
    institution_exists: bool,
    district_exists: bool,
) -> dict[str, str]:
    """Every problem with the input, keyed by field name; empty when it may be filed."""
    errors: dict[str, str] = {}
    if inp.channel not in CHANNELS:
        errors["channel"] = "来源渠道无效"
    if inp.category_code not in categories:
        errors["category"] = "请选择投诉类别"
    text = inp.description.strip()
    if len(text) < DESCRIPTION_MIN:
        errors["description"] = f"请描述具体情况（至少 {DESCRIPTION_MIN} 个字）"
    elif len(text) > DESCRIPTION_MAX:
        errors["description"] = f"情况描述不能超过 {DESCRIPTION_MAX} 个字，请精简"
    if inp.institution_id is not None:
        if not institution_exists:
            errors["institution"] = "所选机构不存在，请重新选择"
    else:
        if not inp.place_name.strip():
            errors["institution"] = "请选择被投诉的机构；未登记的场所请填写名称和地址"
        if not inp.place_address.strip():
            errors["place_address"] = "未登记场所请填写详细地址"
        if inp.district_id is None or not district_exists:
            errors["district"] = "未登记场所请选择所在区县"
    if len(inp.place_name) > 100:
        errors["place_name"] = "场所名称不能超过 100 个字"
    if len(inp.place_address) > 200:
        errors["place_address"] = "地址不能超过 200 个字"
    if len(inp.complainant_name) > 50:
        errors["complainant_name"] = "姓名不能超过 50 个字"
    problem = phone_problem(inp.complainant_phone)
    if problem:
        errors["complainant_phone"] = problem
    if inp.received_at is not None:
        if inp.received_at.tzinfo is None:
            errors["received_at"] = "受理时间须带时区"
        elif inp.received_at > now + CLOCK_SKEW:
            errors["received_at"] = "受理时间不能晚于现在"
        elif inp.received_at < now - HANDOVER_MAX_AGE:
            errors["received_at"] = "受理时间过早（超过 30 天），请核实"
    if inp.idempotency_key is not None and not (0 < len(inp.idempotency_key) <= 100):
        errors["idempotency_key"] = "幂等键长度须为 1–100"
    return errors
