"""routing rules follow the seeds' division of duties

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 23:00:00.000000

SPEC §3's table was corrected against the seeds: building_safety and safety_incident are led by
civil affairs (seed 001 (二), seed 002 (二), seed 000 task 13; seed 000 task 28, seed 002 (七)),
and land use is two categories: land_use (seed 000 task 10, natural resources) and the new
allocated_land (seed 000 task 11, civil affairs). The keywords of service_quality and
staff_qualification change so that an account of a fall or a wandering resident (护理员…摔伤)
suggests a category civil affairs leads, not staff_qualification first.

The table does not record whether a rule is the default or an admin's choice (`updated_by_id` is
set even by a save that changes nothing), so a rule is changed only while every field an admin
can edit (label, help text, keywords, departments, active) still equals the old default; any
other rule was edited and is left alone. Each change is written to `routing_rule_changes`
(changed_by_id NULL: the migration) so the admin page's history shows it. allocated_land is
inserted right after land_use unless a rule of that code exists already (a new database gets it
from migration 0002, which reads complaints/rules/categories.py). Only UPDATE and INSERT touch
`routing_rules`: its triggers (migration 0012) raise reference_version, so every process reads
the rules again.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import portal.core.db

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("label", "help_text", "keywords", "responsible_type", "co_handling_types", "active")

# Frozen copies: complaints/rules/categories.py may change again, these values may not.
# service_quality and staff_qualification change only their keywords: 护理员 (in most accounts of
# a fall or a wandering resident) no longer suggests staff_qualification first.
OLD = {
    "service_quality": {
        "label": "服务质量、护理不到位、未按协议服务", "help_text": "护理不及时、服务态度差、没有按合同提供服务",
        "keywords": ["护理", "态度", "服务", "协议", "合同", "喂饭", "褥疮", "卫生"],
        "responsible_type": "civil_affairs", "co_handling_types": [], "active": True},
    "staff_qualification": {
        "label": "从业人员资格、持证上岗", "help_text": "护理员没有培训、无证上岗",
        "keywords": ["无证上岗", "资格", "培训", "护理员"],
        "responsible_type": "civil_affairs", "co_handling_types": ["human_resources", "health"],
        "active": True},
    "building_safety": {
        "label": "建筑使用安全", "help_text": "房屋开裂、违章搭建、墙体危险",
        "keywords": ["房屋", "开裂", "违建", "搭建", "墙"],
        "responsible_type": "housing_construction", "co_handling_types": ["civil_affairs"],
        "active": True},
    "land_use": {
        "label": "改变土地用途、擅自出租转让抵押划拨土地", "help_text": "养老用地被挪作他用",
        "keywords": ["土地", "用地", "出租", "转让"],
        "responsible_type": "natural_resources", "co_handling_types": [], "active": True},
    "safety_incident": {
        "label": "安全生产事故、突发事件", "help_text": "摔伤、走失、火灾等突发事件",
        "keywords": ["事故", "走失", "摔", "坠", "死亡", "受伤"],
        "responsible_type": "emergency_management", "co_handling_types": ["civil_affairs"],
        "active": True},
}
NEW = {
    "service_quality": {
        "label": "服务质量、护理不到位、未按协议服务", "help_text": "护理不及时、服务态度差、没有按合同提供服务",
        "keywords": ["护理", "态度", "服务", "协议", "合同", "喂饭", "褥疮", "卫生", "看护", "巡房"],
        "responsible_type": "civil_affairs", "co_handling_types": [], "active": True},
    "staff_qualification": {
        "label": "从业人员资格、持证上岗", "help_text": "护理员没有培训、无证上岗",
        "keywords": ["无证上岗", "资格", "培训", "持证", "上岗"],
        "responsible_type": "civil_affairs", "co_handling_types": ["human_resources", "health"],
        "active": True},
    "building_safety": {
        "label": "建筑使用安全", "help_text": "房屋开裂、违章搭建、墙体危险",
        "keywords": ["房屋", "开裂", "违建", "搭建", "墙"],
        "responsible_type": "civil_affairs", "co_handling_types": ["housing_construction"],
        "active": True},
    "land_use": {
        "label": "未经批准改变规划确定的土地用途", "help_text": "养老用地被挪作他用、改建成别的用途",
        "keywords": ["土地用途", "用地", "挪作", "改变用途", "改建"],
        "responsible_type": "natural_resources", "co_handling_types": ["civil_affairs"],
        "active": True},
    "safety_incident": {
        "label": "安全生产事故、突发事件、人身伤害事件", "help_text": "摔伤、走失、火灾等突发事件",
        "keywords": ["事故", "走失", "走丢", "摔", "跌倒", "坠", "死亡", "受伤"],
        "responsible_type": "civil_affairs",
        "co_handling_types": ["emergency_management", "public_security"], "active": True},
}
ALLOCATED_LAND = {
    "label": "非营利性养老机构擅自转让、出租、抵押划拨土地使用权",
    "help_text": "公益性养老院把划拨的土地转让、出租或抵押",
    "keywords": ["划拨", "土地", "出租", "转让", "抵押"],
    "responsible_type": "civil_affairs", "co_handling_types": ["natural_resources"], "active": True}

rules = sa.table(
    "routing_rules",
    sa.column("code", sa.String), sa.column("label", sa.String),
    sa.column("help_text", sa.String), sa.column("keywords", sa.JSON),
    sa.column("responsible_type", sa.String), sa.column("co_handling_types", sa.JSON),
    sa.column("position", sa.Integer), sa.column("active", sa.Boolean),
    sa.column("updated_at", portal.core.db.UTCDateTime(timezone=True)),
    sa.column("updated_by_id", sa.Integer),
)
changes = sa.table(
    "routing_rule_changes",
    sa.column("code", sa.String), sa.column("before", sa.JSON), sa.column("after", sa.JSON),
    sa.column("changed_by_id", sa.Integer),
    sa.column("changed_at", portal.core.db.UTCDateTime(timezone=True)),
)
complaints = sa.table("complaints", sa.column("category_code", sa.String))


def _stored(conn, code: str) -> dict | None:
    row = conn.execute(sa.select(*(rules.c[f] for f in FIELDS), rules.c.position)
                       .where(rules.c.code == code)).first()
    if row is None:
        return None
    values = dict(zip((*FIELDS, "position"), row, strict=True))
    values["keywords"] = list(values["keywords"] or [])
    values["co_handling_types"] = list(values["co_handling_types"] or [])
    values["active"] = bool(values["active"])
    return values


def _replace(conn, code: str, before: dict, after: dict, now: datetime) -> bool:
    """Set `after` where the stored rule equals `before` in every editable field."""
    stored = _stored(conn, code)
    if stored is None or any(stored[f] != before[f] for f in FIELDS):
        return False
    conn.execute(rules.update().where(rules.c.code == code)
                 .values(**after, updated_at=now, updated_by_id=None))
    conn.execute(changes.insert().values(code=code, before=before, after=after,
                                         changed_by_id=None, changed_at=now))
    return True


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    for code, after in NEW.items():
        _replace(conn, code, OLD[code], after, now)
    if _stored(conn, "allocated_land") is None:
        land_use = _stored(conn, "land_use")
        if land_use is not None:  # right after land_use in the lists
            position = land_use["position"] + 1
            conn.execute(rules.update().where(rules.c.position >= position)
                         .values(position=rules.c.position + 1))
        else:
            position = (conn.execute(sa.select(sa.func.max(rules.c.position))).scalar() or 0) + 1
        conn.execute(rules.insert().values(code="allocated_land", position=position,
                                           updated_at=now, updated_by_id=None, **ALLOCATED_LAND))


def downgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    for code, before in NEW.items():
        _replace(conn, code, before, OLD[code], now)
    used = conn.execute(sa.select(sa.func.count()).select_from(complaints)
                        .where(complaints.c.category_code == "allocated_land")).scalar()
    history = conn.execute(sa.select(sa.func.count()).select_from(changes)
                           .where(changes.c.code == "allocated_land")).scalar()
    if used or history:  # complaints keep their category: the rule is only switched off
        conn.execute(rules.update().where(rules.c.code == "allocated_land").values(active=False))
    else:
        conn.execute(rules.delete().where(rules.c.code == "allocated_land"))
