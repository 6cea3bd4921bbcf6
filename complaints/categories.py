"""Default complaint categories and their routing (SPEC §3, from the seeds' 部门职责分工 tables).

The codes are public API (Open311 service_code) and must stay stable; admins may change the
departments and texts, which are stored in the routing_rules table seeded from this list
(migration 0002 for a new database; migration 0017 moved the defaults of building_safety,
safety_incident and land_use to the seeds' division of duties and added allocated_land).

`basis` cites the seed clause a default rule follows (city and clause); the admin routing page
and the public category help show it while the stored rule still routes as the default does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The seed clauses behind the defaults corrected on 2026-12-06 (SPEC §3 table), as shown on the
# pages: building_safety seed 001 (二), seed 002 (二), seed 000 task 13; land_use seed 000 task
# 10; allocated_land seed 000 task 11; safety_incident seed 000 task 28, seed 002 (七).
BUILDING_BASIS = ("某市《关于建立健全养老服务综合监管制度的实施方案》（征求意见稿）（二）“市民政局会同住房城乡建设部门加强建筑使用安全检查”；"
                  "昆明（昆政办〔2021〕70号）（二）“民政部门应会同住房城乡建设部门”；"
                  "苏州（苏府办〔2021〕248号）任务分解表第13项：市民政局、住建局")
LAND_USE_BASIS = "苏州（苏府办〔2021〕248号）任务分解表第10项：市资源规划局"
ALLOCATED_LAND_BASIS = "苏州（苏府办〔2021〕248号）任务分解表第11项：市民政局"
SAFETY_INCIDENT_BASIS = ("苏州（苏府办〔2021〕248号）任务分解表第28项：市民政局、应急局；"
                         "昆明（昆政办〔2021〕70号）（七）生产安全事故报应急管理部门和民政部门，"
                         "人身伤害事件报公安机关和民政部门")


@dataclass(frozen=True)
class DefaultCategory:
    code: str
    label: str
    responsible: str
    co_handling: tuple[str, ...]
    help_text: str
    keywords: tuple[str, ...]
    basis: str = ""


DEFAULT_CATEGORIES: tuple[DefaultCategory, ...] = (
    DefaultCategory("service_quality", "服务质量、护理不到位、未按协议服务", "civil_affairs", (),
                    "护理不及时、服务态度差、没有按合同提供服务", ("护理", "态度", "服务", "协议", "合同", "喂饭", "褥疮", "卫生", "看护", "巡房")),
    DefaultCategory("elder_abuse", "欺老虐老、侵害老年人人身权利", "civil_affairs", ("public_security",),
                    "打骂、捆绑、限制人身自由、侮辱老人", ("打", "骂", "虐待", "捆绑", "殴打", "体罚", "关起来")),
    DefaultCategory("food_safety", "食品安全、食堂卫生、食物中毒", "market_regulation", (),
                    "饭菜变质、食堂脏乱、吃了拉肚子", ("食品", "饭菜", "食堂", "变质", "中毒", "拉肚子", "过期")),
    DefaultCategory("fraud_sales", "向老年人欺诈销售产品或“保健品”", "market_regulation", ("public_security", "civil_affairs"),
                    "推销保健品、夸大疗效、骗老人买东西", ("保健品", "推销", "夸大", "骗", "疗效")),
    DefaultCategory("fire_safety", "消防安全隐患", "fire_rescue", ("civil_affairs",),
                    "消防通道堵塞、灭火器过期、电线私拉乱接", ("消防", "灭火器", "通道", "电线", "着火", "烟感")),
    # Civil affairs checks building safety together with housing and construction (民政会同住建).
    DefaultCategory("building_safety", "建筑使用安全", "civil_affairs", ("housing_construction",),
                    "房屋开裂、违章搭建、墙体危险", ("房屋", "开裂", "违建", "搭建", "墙"),
                    basis=BUILDING_BASIS),
    DefaultCategory("special_equipment", "电梯、锅炉等特种设备", "market_regulation", (),
                    "电梯故障、锅炉没有检验", ("电梯", "锅炉", "困人", "特种设备")),
    DefaultCategory("medical_care", "内设医疗机构、医养结合、传染病防控", "health", (),
                    "医务室无资质、用药错误、传染病防控不到位", ("医务室", "用药", "药", "医生", "传染", "疫情", "医疗")),
    DefaultCategory("insurance_fund", "医保基金、长期护理保险基金违规", "medical_insurance", (),
                    "虚报医保费用、套取长护险", ("医保", "长护险", "报销", "套取")),
    DefaultCategory("pricing", "不执行政府定价/指导价、未明码标价、乱收费", "market_regulation", ("development_reform",),
                    "乱收费、随意涨价、收费不公示", ("收费", "涨价", "价格", "明码标价", "乱收")),
    DefaultCategory("deposit", "超额收取押金保证金、未专户存储、违规预收费", "civil_affairs", ("financial_regulation",),
                    "押金太高、押金不退、一次收好几年的费用", ("押金", "保证金", "预收", "不退")),
    DefaultCategory("illegal_fundraising", "以养老服务为名非法集资（会员卡、预付费）", "financial_regulation", ("public_security", "civil_affairs"),
                    "办会员卡返利、高息吸收老人存款", ("集资", "会员卡", "返利", "高息", "投资", "理财")),
    DefaultCategory("unlicensed", "无证无照、未备案从事养老服务", "civil_affairs", ("market_regulation",),
                    "没有登记备案的“黑养老院”", ("无证", "无照", "备案", "黑")),
    # Land use is two duties: changing the planned use (natural resources) and a non-profit
    # institution transferring, leasing or mortgaging allocated land (civil affairs).
    DefaultCategory("land_use", "未经批准改变规划确定的土地用途", "natural_resources", ("civil_affairs",),
                    "养老用地被挪作他用、改建成别的用途", ("土地用途", "用地", "挪作", "改变用途", "改建"),
                    basis=LAND_USE_BASIS),
    DefaultCategory("allocated_land", "非营利性养老机构擅自转让、出租、抵押划拨土地使用权", "civil_affairs",
                    ("natural_resources",), "公益性养老院把划拨的土地转让、出租或抵押",
                    ("划拨", "土地", "出租", "转让", "抵押"), basis=ALLOCATED_LAND_BASIS),
    DefaultCategory("subsidy_fraud", "骗取建设运营补贴、财政资金", "finance", ("civil_affairs", "audit"),
                    "虚报床位骗补贴", ("补贴", "骗补", "财政")),
    DefaultCategory("environment", "污染物排放", "ecology_environment", (),
                    "污水、噪声、废气", ("污水", "噪声", "废气", "污染", "排放")),
    DefaultCategory("staff_qualification", "从业人员资格、持证上岗", "civil_affairs", ("human_resources", "health"),
                    "护理员没有培训、无证上岗", ("无证上岗", "资格", "培训", "持证", "上岗")),
    # Led by civil affairs: 生产安全事故 are reported to 应急 and 民政, 人身伤害 to 公安 and 民政.
    DefaultCategory("safety_incident", "安全生产事故、突发事件、人身伤害事件", "civil_affairs",
                    ("emergency_management", "public_security"),
                    "摔伤、走失、火灾等突发事件", ("事故", "走失", "走丢", "摔", "跌倒", "坠", "死亡", "受伤"),
                    basis=SAFETY_INCIDENT_BASIS),
    DefaultCategory("exit_relocation", "机构停业、退出、老人安置", "civil_affairs", (),
                    "养老院关门、老人无人安置", ("停业", "关门", "倒闭", "安置", "退出")),
    DefaultCategory("other", "其他", "civil_affairs", (), "以上都不是", ()),
)

DEFAULT_BY_CODE = {c.code: c for c in DEFAULT_CATEGORIES}


def seed_basis(code: str, responsible_type: str, co_handling_types: Iterable[str]) -> str:
    """The seed clause behind a stored rule, while it still routes as its default does ("" else:
    an admin's own routing has no seed to cite)."""
    default = DEFAULT_BY_CODE.get(code)
    if default is None or not default.basis:
        return ""
    if responsible_type != default.responsible or set(co_handling_types or ()) != set(default.co_handling):
        return ""
    return default.basis
