"""Demo back-office data: rules documents and credit commitments as if already published, and
one submitted draft waiting in the reviewers' queue.

Each institution's documents come from their own `random.Random(i)` so adding them does not
shift the main generator's stream (the rest of the demo city stays as it was)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from portal.backoffice.models import DisclosureDraft
from portal.backoffice.rules.changes import snapshot_basic
from portal.institutions.models import Institution

Row = dict[str, Any]

RULES = (
    ("入院评估制度", "老人入住前，由持证评估员依据《老年人能力评估规范》评估能力等级，"
                   "评估结果告知老人及家属，并据此确定护理等级和收费标准。入住后每半年复评一次。"),
    ("员工守则", "尊老敬老，文明服务；不得打骂、侮辱、虐待老人；不得向老人推销保健品；"
                "护理员持证上岗，按护理计划提供服务。"),
    ("投诉处理制度", "设立投诉箱和投诉电话，专人受理；一般投诉 3 个工作日内答复，"
                  "复杂投诉 5 个工作日内答复；答复结果记录存档，接受民政部门监督。"),
    ("突发事件应急预案", "发生火灾、跌倒、走失、食物中毒、传染病等突发事件时，立即报告负责人，"
                     "启动应急小组，拨打 119/120，通知家属并在 2 小时内报告民政部门。"),
    ("消防安全管理制度", "每日防火巡查，每月检查消防设施，每半年组织一次消防演练。"),
)
COMMITMENT = ("本机构郑重承诺：依法登记备案、诚信经营；如实公开收费标准和服务信息；"
              "押金专户存储，不超标准收取；不向老年人欺诈销售产品；"
              "自觉接受政府部门和社会监督，违反承诺愿承担相应责任。")


def disclosure_rows(i: int, kind: str, today: date, now: datetime) -> dict[str, list[Row]]:
    """Rules and a commitment for institution number `i`; some publish fewer or none."""
    rng = random.Random(i)
    rows: dict[str, list[Row]] = {"institution_rules": [], "credit_commitments": []}
    if kind in ("residential", "community") and rng.random() < 0.85:
        count = len(RULES) if i == 0 else rng.randint(2, len(RULES))
        for title, body in RULES[:count]:
            rows["institution_rules"].append({
                "title": title, "body": body, "published_at": now, "retired_on": None,
                "effective_on": today - timedelta(days=rng.randint(60, 1500))})
    if i == 0 or rng.random() < 0.75:
        rows["credit_commitments"].append({
            "signed_on": today - timedelta(days=rng.randint(30, 700)), "text": COMMITMENT,
            "published_at": now, "retired_on": None})
    return rows


def assessment_rows(i: int, children: dict[str, list[Row]], today: date, now: datetime,
                    department_id: int) -> list[Row]:
    """Civil affairs' 履约评价 of institution `i`'s commitment, consistent with its records: a
    breach where a penalty or an overdue rectification stands, else mostly 履约良好; some are
    not assessed yet. Its own random stream: the rest of the demo is unchanged by it."""
    if not children.get("credit_commitments"):
        return []
    rng = random.Random(f"fulfilment-{i}")
    if i != 0 and rng.random() < 0.4:
        return []
    assessed = today - timedelta(days=rng.randint(10, 300))
    penalised = any((today - p["decided_on"]).days <= 365 for p in children.get("penalties", ()))
    overdue = any(x["rectification_status"] == "overdue" for x in children.get("inspections", ()))
    if penalised:
        result, basis = "serious_breach", "受到行政处罚，违反“依法诚信经营”的书面承诺。"
    elif overdue:
        result, basis = "breach", "检查发现的问题未按期整改，违反“自觉接受监督”的书面承诺。"
    else:
        result, basis = "kept", "年度检查和投诉核查未发现违反书面承诺的情形。"
    return [{"assessed_on": assessed, "result": result, "basis": basis,
             "department_id": department_id, "recorded_by_id": None, "recorded_at": now}]


def pending_draft(conn: Connection, institution_id: int, author_id: int,
                  now: datetime) -> None:
    """A submitted change of the basic information, for reviewers to find in their queue."""
    inst = conn.execute(select(Institution.__table__).where(
        Institution.id == institution_id)).one()
    payload = snapshot_basic(inst)
    payload["beds_vacant"] = max(0, inst.beds_vacant - 3)
    payload["phone"] = f"{inst.phone}、12349" if inst.phone else "12349"
    conn.execute(insert(DisclosureDraft.__table__), [{
        "institution_id": institution_id, "section": "basic", "payload": payload,
        "status": "submitted", "author_id": author_id, "created_at": now, "updated_at": now,
        "submitted_at": now, "reject_reason": ""}])
