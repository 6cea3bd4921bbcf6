"""Migration 0017 moves the default routing rules to the seeds' division of duties, on SQLite
and PostgreSQL: rules still at the old default change, rules an admin edited stay as they are,
allocated_land is added after land_use."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import defer

from complaints.models import RoutingRule, RoutingRuleChange
from complaints.rules.categories import DEFAULT_BY_CODE, DEFAULT_CATEGORIES

# The defaults before the correction, as migration 0002 wrote them (kept here on their own).
OLD = {
    "service_quality": ("服务质量、护理不到位、未按协议服务", "护理不及时、服务态度差、没有按合同提供服务",
                        ["护理", "态度", "服务", "协议", "合同", "喂饭", "褥疮", "卫生"], "civil_affairs", []),
    "staff_qualification": ("从业人员资格、持证上岗", "护理员没有培训、无证上岗",
                            ["无证上岗", "资格", "培训", "护理员"], "civil_affairs",
                            ["human_resources", "health"]),
    "building_safety": ("建筑使用安全", "房屋开裂、违章搭建、墙体危险", ["房屋", "开裂", "违建", "搭建", "墙"],
                        "housing_construction", ["civil_affairs"]),
    "land_use": ("改变土地用途、擅自出租转让抵押划拨土地", "养老用地被挪作他用", ["土地", "用地", "出租", "转让"],
                 "natural_resources", []),
    "safety_incident": ("安全生产事故、突发事件", "摔伤、走失、火灾等突发事件",
                        ["事故", "走失", "摔", "坠", "死亡", "受伤"], "emergency_management",
                        ["civil_affairs"]),
}


def old_rule(db, code):
    """The rule as a database at 0013 holds it: columns added by later migrations (0025's
    street_level) are not loaded, since the table has no such column yet."""
    return db.get(RoutingRule, code, options=[defer(RoutingRule.street_level, raiseload=True)])


def as_before_the_correction(db, env):
    """Go back to 0013 and put the old defaults in place, as a database made before had them."""
    from alembic import command

    from portal.core.migrate import alembic_config

    db.close()
    command.downgrade(alembic_config(env), "0013")
    db.execute(text("DELETE FROM routing_rules WHERE code = 'allocated_land'"))
    for code, (label, help_text, keywords, responsible, co) in OLD.items():
        rule = old_rule(db, code)
        rule.label, rule.help_text, rule.keywords = label, help_text, keywords
        rule.responsible_type, rule.co_handling_types, rule.active = responsible, co, True
    db.execute(text("DELETE FROM routing_rule_changes"))
    db.commit()
    # Positions as 0002 wrote them for the old list of 20 (no allocated_land).
    codes = [c.code for c in DEFAULT_CATEGORIES if c.code != "allocated_land"]
    for position, code in enumerate(codes):
        old_rule(db, code).position = position
    db.commit()


def routing(db, code):
    rule = db.get(RoutingRule, code)
    db.refresh(rule)
    return rule.responsible_type, list(rule.co_handling_types)


def test_a_fresh_database_has_the_corrected_defaults(db):
    for default in DEFAULT_CATEGORIES:
        rule = db.get(RoutingRule, default.code)
        assert (rule.label, rule.help_text, rule.keywords) == (
            default.label, default.help_text, list(default.keywords))
    for code in ("building_safety", "safety_incident", "land_use", "allocated_land"):
        default = DEFAULT_BY_CODE[code]
        assert routing(db, code) == (default.responsible, list(default.co_handling))
    assert routing(db, "allocated_land") == ("civil_affairs", ["natural_resources"])
    assert routing(db, "building_safety")[0] == "civil_affairs"
    order = db.scalars(select(RoutingRule.code).order_by(RoutingRule.position)).all()
    assert order.index("allocated_land") == order.index("land_use") + 1


def test_the_migration_changes_default_rules_and_leaves_edited_ones_alone(db, env):
    from portal.core.migrate import upgrade

    as_before_the_correction(db, env)
    # An admin changed safety_incident's keywords: the rule is theirs now.
    edited = old_rule(db, "safety_incident")
    edited.keywords = [*edited.keywords, "跌倒"]
    db.commit()
    db.close()
    upgrade(env)

    assert routing(db, "building_safety") == ("civil_affairs", ["housing_construction"])
    assert routing(db, "land_use") == ("natural_resources", ["civil_affairs"])
    assert db.get(RoutingRule, "land_use").label == "未经批准改变规划确定的土地用途"
    assert routing(db, "safety_incident") == ("emergency_management", ["civil_affairs"])
    assert "跌倒" in db.get(RoutingRule, "safety_incident").keywords
    allocated = db.get(RoutingRule, "allocated_land")
    assert (allocated.responsible_type, allocated.co_handling_types) == (
        "civil_affairs", ["natural_resources"])
    order = db.scalars(select(RoutingRule.code).order_by(RoutingRule.position)).all()
    assert order[order.index("land_use") + 1] == "allocated_land" and order[-1] == "other"
    assert len(set(db.scalars(select(RoutingRule.position)).all())) == len(order)
    history = {c.code: c for c in db.scalars(select(RoutingRuleChange))}
    assert set(history) == {"building_safety", "land_use", "service_quality", "staff_qualification"}
    assert "护理员" not in db.get(RoutingRule, "staff_qualification").keywords
    assert history["building_safety"].before["responsible_type"] == "housing_construction"
    assert history["building_safety"].changed_by_id is None


def test_downgrade_restores_the_old_defaults_and_upgrade_brings_them_back(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    db.close()
    command.downgrade(alembic_config(env), "0013")
    for code, (label, help_text, keywords, responsible, co) in OLD.items():
        rule = old_rule(db, code)
        assert (rule.label, rule.help_text, rule.keywords, rule.responsible_type,
                rule.co_handling_types) == (label, help_text, keywords, responsible, co), code
    assert old_rule(db, "allocated_land") is None
    db.close()  # its reads hold a lock on routing_rules, which 0025 alters on the way up
    upgrade(env)
    assert routing(db, "building_safety") == ("civil_affairs", ["housing_construction"])
    assert db.get(RoutingRule, "allocated_land").active
