"""Admin services for the complaint rules: routing-rule edits with history, calendar years."""

from __future__ import annotations

from sqlalchemy.orm import Session

from complaints.exceptions import InvalidComplaint
from complaints.models import RoutingRule, RoutingRuleChange
from complaints.rules.calendar import CalendarFileError, YearSchedule, parse_year_file
from complaints.services.calendar_store import save_year
from portal.core import audit
from portal.core.db import utcnow
from portal.orgs.vocab import DEPARTMENT_TYPES

MAX_CALENDAR_FILE = 64 * 1024


def _snapshot(rule: RoutingRule) -> dict:
    return {"label": rule.label, "help_text": rule.help_text, "keywords": list(rule.keywords or []),
            "responsible_type": rule.responsible_type,
            "co_handling_types": list(rule.co_handling_types or []), "active": rule.active,
            "street_level": bool(rule.street_level)}


def update_rule(session: Session, code: str, *, label: str, help_text: str, keywords: list[str],
                responsible_type: str, co_handling_types: list[str], active: bool,
                actor_id: int, street_level: bool = False) -> RoutingRule:
    """Change a rule (never its code: codes are public API) and keep the before/after."""
    rule = session.get(RoutingRule, code)
    if rule is None:
        raise InvalidComplaint({"code": "没有这个投诉类别"})
    errors = {}
    if not 2 <= len(label.strip()) <= 100:
        errors["label"] = "类别名称须为 2–100 个字"
    if responsible_type not in DEPARTMENT_TYPES:
        errors["responsible_type"] = "请选择负责部门类型"
    bad = [t for t in co_handling_types if t not in DEPARTMENT_TYPES]
    if bad:
        errors["co_handling_types"] = "会办部门类型无效"
    if code == "other" and not active:
        errors["active"] = "“其他”类别不能停用，否则部分投诉将无处可投"
    if errors:
        raise InvalidComplaint(errors)
    before = _snapshot(rule)
    rule.label, rule.help_text = label.strip(), help_text.strip()[:200]
    rule.keywords = [k.strip() for k in keywords if k.strip()][:30]
    rule.responsible_type = responsible_type
    rule.co_handling_types = [t for t in dict.fromkeys(co_handling_types) if t != responsible_type]
    # street_level: the category goes to the street/town office of the responsible type where
    # the institution's street has one (seed 000 苏州 三(一), seed 001 (十八)).
    rule.street_level = street_level
    rule.active, rule.updated_at, rule.updated_by_id = active, utcnow(), actor_id
    after = _snapshot(rule)
    if after != before:
        session.add(RoutingRuleChange(code=code, before=before, after=after, changed_by_id=actor_id))
        audit.record(session, actor_id, "update", "routing_rule", code)
    return rule


def load_year_file(session: Session, raw: bytes, actor_id: int, filename: str) -> YearSchedule:
    if len(raw) > MAX_CALENDAR_FILE:
        raise InvalidComplaint({"file": "文件太大（上限 64 KB）"})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidComplaint({"file": "文件须为 UTF-8 编码的文本"}) from None
    try:
        schedule = parse_year_file(text, source=f"管理员上传 {filename}"[:100])
    except CalendarFileError as exc:
        raise InvalidComplaint({"file": f"文件有误：{exc}"}) from None
    save_year(session, schedule, actor_id)
    audit.record(session, actor_id, "load", "holiday_year", schedule.year,
                 holidays=len(schedule.holidays), workdays=len(schedule.makeup_workdays))
    return schedule
