"""Controlled vocabularies for institutions: stable codes and their Chinese labels."""

KINDS = {
    "residential": "养老机构",
    "community": "居家社区养老服务机构",
    "assessment": "养老服务评估机构",
    "training": "养老服务培训机构",
}

NATURES = {
    "public": "公办",
    "public_private": "公建民营",
    "private_nonprofit": "民办非营利",
    "private_forprofit": "民办营利",
}

# Registration authority follows nature (SPEC §2).
REGISTRATION_AUTHORITY = {
    "public": "事业单位登记管理机关",
    "public_private": "民政部门（社会组织登记）",
    "private_nonprofit": "民政部门（社会组织登记）",
    "private_forprofit": "市场监督管理部门",
}

FILING_STATUSES = {
    "filed": "已备案",
    "registered_unfiled": "登记未备案",
    "unregistered": "未登记",
}

CARE_LEVELS = {
    "self_care": "自理",
    "mild": "轻度失能",
    "severe": "中重度失能",
}

PRICING_TYPES = {
    "government": "政府定价",
    "guided": "政府指导价",
    "market": "市场调节价",
}

GRADES = {1: "一级", 2: "二级", 3: "三级", 4: "四级", 5: "五级"}

CREDIT_LISTS = {"red": "红名单", "black": "失信联合惩戒对象名单"}

RECTIFICATION_STATUSES = {
    "none_required": "无需整改",
    "pending": "整改中",
    "done": "已整改",
    "overdue": "逾期未整改",
}

# What an inspection concluded (entered with it; migration 0014 classified the older rows).
INSPECTION_OUTCOMES = {
    "no_findings": "未发现问题",
    "rectification_required": "发现问题，责令限期整改",
    "closed_on_spot": "发现问题，已当场整改",
}

# How a place operating without filing came to the authorities' notice (indicator 2.6 counts
# from the day): an inspection, a complaint, a market-regulation (登记) record, or otherwise.
DISCOVERY_CHANNELS = {
    "inspection": "检查发现",
    "complaint": "投诉举报",
    "market_record": "市场监管登记信息推送",
    "other": "其他",
}

PENALTY_STATUSES = {
    "decided": "已作出决定",
    "appealed": "复议/诉讼中",
    "paid": "已履行",
    "enforced": "强制执行",
}

# 消防审验 (portal/institutions/rules/fire_approval.py).
FIRE_APPROVAL_STATUSES = {
    "passed": "通过",
    "failed": "未通过",
    "in_progress": "办理中",
    "not_required": "无需办理",
}

# Operating status over time (issue 20, the registry lifecycle; portal/registry/rules/lifecycle.py).
# A closed institution leaves the default directory but keeps its page and its history.
OPERATING_STATUSES = {
    "preparing": "筹建",
    "operating": "运营",
    "suspended": "暂停服务",
    "closed": "终止（注销）",
}
