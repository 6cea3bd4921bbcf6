"""Demo complaints in every state, filed and handled through the real services."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from complaints.models import Complaint, RoutingRule
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.db import session_scope
from portal.core.settings import get_settings
from portal.institutions.models import Institution

STORIES = {
    "service_quality": [
        "护理员夜里不巡房，老人摔倒半小时才发现",
        "老人长了褥疮，家属多次反映没有改进",
    ],
    "elder_abuse": ["护工推搡老人，老人手臂有淤青", "老人被绑在床上一整天"],
    "food_safety": ["午饭的肉有异味，几位老人腹泻", "食堂没有留样，餐具不消毒"],
    "fire_safety": ["楼道堆满杂物，消防通道被堵", "灭火器已经过期两年"],
    "pricing": ["护理费一年涨了三次，没有公示", "收费项目和合同写的不一样"],
    "deposit": ["入住收了五万元押金，说不退", "要求一次交三年费用"],
    "fraud_sales": ["有人在院里给老人推销保健品，说能治病", "组织老人听课买高价床垫"],
    "medical_care": ["医务室没有医生，护工给老人打针", "老人用错药没有告知家属"],
    "special_equipment": ["电梯经常停在半层，困过老人", "锅炉房没有检验合格证"],
    "other": ["院里的路灯坏了一个月没修", "探视时间太短，家属有意见"],
}
# (answer, 核查结论): each answer states what the office found, as a real one would.
ANSWERS = [
    ("经现场核查，情况属实，已责令机构限期整改，并将跟踪复查。", "substantiated"),
    ("经调查，反映的问题部分属实，机构已于当日整改，并对相关人员进行了培训和处理。", "partly"),
    ("经现场核查和调阅监控记录，未发现反映的问题，已向投诉人说明情况。", "unfounded"),
    ("经走访核实，因时间久远、当事人已离院，反映的情况无法核实，已督促机构加强管理。",
     "unverifiable"),
]


def seed_demo_complaints(database_url: str, count: int, seed: int, now: datetime) -> int:
    """File `count` complaints over the last 20 days and move some through their lifecycle."""
    rng = random.Random(seed)
    settings = get_settings()
    with session_scope(database_url) as db:
        if db.scalar(select(func.count(Complaint.id))):
            return 0
        ids = db.scalars(
            select(Institution.id)
            .where(Institution.credit_code.is_not(None))
            .order_by(Institution.id)
            .limit(60)
        ).all()
        rules = {r.code for r in db.scalars(select(RoutingRule))}
        operator = db.scalars(select(User).where(User.role == Role.OPERATOR.value)).first()
        supervisor = db.scalars(select(User).where(User.role == Role.SUPERVISOR.value)).first()
        handlers = {
            u.department_id: u
            for u in db.scalars(select(User).where(User.role == Role.DEPARTMENT.value))
        }
        intake, handling = build_services(db, settings)
        filed = 0
        for n in range(count):
            code = rng.choice([c for c in STORIES if c in rules])
            received = now - timedelta(days=rng.uniform(0, 20), minutes=rng.randint(0, 600))
            anonymous = rng.random() < 0.2
            complaint, _ = intake.submit(
                ComplaintInput(
                    channel=rng.choice(["web", "phone", "phone", "handover"]),
                    category_code=code,
                    description=rng.choice(STORIES[code]),
                    institution_id=rng.choice(ids),
                    complainant_name=""
                    if anonymous
                    else rng.choice(["张", "王", "李", "赵", "刘"])
                    + rng.choice(["建国", "秀英", "桂兰", "志强", "丽华"]),
                    complainant_phone=""
                    if anonymous
                    else f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}",
                    anonymous=anonymous,
                    urgent=code == "elder_abuse" and rng.random() < 0.5,
                    received_at=received,
                    idempotency_key=f"demo-{seed}-{n}",
                ),
                actor=operator,
                now=received,
            )
            filed += 1
            handler = handlers.get(complaint.responsible_department_id)
            roll = rng.random()
            if handler is None or roll < 0.35:
                continue  # still waiting to be signed
            handling.sign(handler, complaint, now=received + timedelta(hours=rng.randint(1, 20)))
            if roll < 0.55:
                continue
            if roll < 0.6 and supervisor:
                handling.supervise(supervisor, complaint, "请加快办理，按期答复投诉人。")
                continue
            answered = received + timedelta(days=rng.uniform(0.5, 6))
            if answered < now:
                text, outcome = rng.choice(ANSWERS)
                handling.answer(handler, complaint, text, outcome, now=answered)
                if rng.random() < 0.5:
                    level = rng.choice(["satisfied", "satisfied", "basically_satisfied", "unsatisfied"])
                    handling.complainant_feedback(complaint, level, now=answered + timedelta(days=1))
            db.flush()
        return filed
