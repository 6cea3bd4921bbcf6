"""Who may record which government record for which institution: the office's duties and reach.

An office is a department type at city level (district NULL) or in one district. A department
records only within its reach and within its duties (issue 18 item 5):

- Reach: a district office only for institutions in its own district, a city office city-wide
  (昆政办〔2021〕70号 (九): 各县（市）区…严格落实属地管理责任; (十二): 市、县(市)区…对辖区
  养老服务机构…检查). A department asked to co-handle (会办) a complaint about the institution may
  record inspections and penalties for it outside its district while the request is pending and
  for CO_HANDLING_DAYS after it was replied to or settled (苏府办〔2021〕248号 (四) 协同共治监管:
  部门联动; 昆政办〔2021〕70号 (十二) 加强协同监管).
- Duties: see the tables below, each type with the seed clause that gives it.
- Civil affairs supervisors (民政督办) and administrators record everywhere: civil affairs leads
  the supervision of every institution (苏府办〔2021〕248号 五(一) 民政部门牵头).

Pure: the caller gathers the office, the institution's district and the co-handling facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.accounts.rules.roles import Role
from portal.orgs.vocab import DEPARTMENT_TYPES

KINDS: dict[str, str] = {
    "grade": "等级评定",
    "inspection": "检查结果",
    "penalty": "行政处罚",
    "credit": "红黑名单",
    "assessment": "信用承诺履约评价",
}

# Co-handling opens an office's reach for this many days after its reply (or the complaint's
# answer settling it). Not from a seed: the 15-working-day answer of a complaint plus time for the
# follow-up inspection and penalty decision it leads to.
CO_HANDLING_DAYS = 30

# Departments that inspect elderly-care institutions, with the clause that gives the duty:
# 昆政办〔2021〕70号 附件1 部门职责分工 and 附件2 重点检查事项清单 (序号 1–12); 苏府办〔2021〕248号
# 附件 任务分解表 (序号 1–34).
INSPECTION_DUTIES: dict[str, str] = {
    "civil_affairs": "昆明 附件2 第7、12项 服务质量安全、安全生产检查；苏州 任务分解表 第34项",
    "market_regulation": "昆明 附件2 第1–3、11项 餐饮、保健食品、特种设备、收费检查；苏州 第1、15项",
    "fire_rescue": "昆明 附件2 第4项 消防监督检查；苏州 第4、14项",
    "public_security": "昆明 附件2 第5项 安全保卫监督检查",
    "health": "昆明 附件2 第6项 医疗卫生监督检查；苏州 第5、16项",
    "medical_insurance": "昆明 附件2 第9项 医保基金监督检查；苏州 第26项",
    "finance": "昆明 附件2 第10项 资金使用督导检查；苏州 第23、25项",
    "development_reform": "昆明 附件2 第10项 资金使用督导检查；附件1 市发展改革委",
    "financial_regulation": "昆明 附件2 第8项 非法集资督导检查；附件1 市金融办；苏州 第27项",
    "housing_construction": "昆明 附件1 市住房城乡建设局 工程质量安全；苏州 第13、14项",
    "natural_resources": "昆明 附件1 市自然资源规划局 规划用地监督检查；苏州 第10项",
    "ecology_environment": "昆明 附件1 市生态环境局 污染物排放监督检查",
    "emergency_management": "苏州 任务分解表 第17、28、29项 安全生产与突发事件",
    "human_resources": "苏州 任务分解表 第3项 排查整治、第18项 从业人员培训",
}

# Penalties: the department whose law applies (昆明 附件2 检查依据), in its own reach. 发展改革
# only assists on prices (昆明 附件1: 配合市场监管部门); price penalties are market regulation's.
PENALTY_DUTIES: dict[str, str] = {
    code: basis for code, basis in INSPECTION_DUTIES.items() if code != "development_reform"}

# Grades: 苏州 任务分解表 第50、51项 开展养老机构等级评定 (市民政局).
GRADE_DUTIES: dict[str, str] = {"civil_affairs": "苏州 任务分解表 第50、51项 等级评定"}

# Red and black lists: 苏州 任务分解表 第39–41项 (市民政局、发改委); 昆政办〔2021〕70号 (十三)
# 联合惩戒对象名单. The office that decided a penalty on the institution may also put it on the
# black list (the penalty is the list's underlying decision).
CREDIT_DUTIES: dict[str, str] = {
    "civil_affairs": "苏州 任务分解表 第39–41项",
    "development_reform": "苏州 任务分解表 第39–41项",
}

DUTIES: dict[str, dict[str, str]] = {
    "grade": GRADE_DUTIES,
    "inspection": INSPECTION_DUTIES,
    "penalty": PENALTY_DUTIES,
    "credit": CREDIT_DUTIES,
    "assessment": {},  # civil affairs supervisors only (portal/institutions/rules/credit.py)
}
CO_HANDLED_KINDS = frozenset({"inspection", "penalty"})


@dataclass(frozen=True)
class Office:
    type_code: str
    district_id: int | None  # None: city level

    @property
    def city_level(self) -> bool:
        return self.district_id is None


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # Chinese, shown to the user when refused; the basis when allowed


def co_handling_open(requested: date, closed: date | None, today: date) -> bool:
    """A co-handling request opens the office's reach while pending and CO_HANDLING_DAYS after."""
    if requested > today:
        return False
    return closed is None or today <= closed + timedelta(days=CO_HANDLING_DAYS)


def decide(role: Role, office: Office | None, kind: str, institution_district_id: int, *,
           co_handling: bool = False, decided_penalty: bool = False,
           list_type: str = "") -> Decision:
    """May a user of `role` in `office` record a record of `kind` for an institution in
    `institution_district_id`? `co_handling`: the office has an open co-handling request about
    the institution; `decided_penalty`: it decided a penalty on the institution."""
    label = KINDS[kind]
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return Decision(True, "民政部门牵头综合监管（苏府办〔2021〕248号 五(一)）")
    if role != Role.DEPARTMENT or office is None:
        return Decision(False, "没有录入监管信息的权限")
    type_name = DEPARTMENT_TYPES.get(office.type_code, office.type_code)
    duties = DUTIES[kind]
    basis = duties.get(office.type_code)
    if basis is None and kind == "credit" and decided_penalty and list_type != "red":
        basis = "作出行政处罚决定的部门（昆政办〔2021〕70号 (十三) 失信联合惩戒）"
    if basis is None:
        if kind == "assessment":
            return Decision(False, "信用承诺履约评价只能由民政督办录入（昆政办〔2021〕70号 (十四)）")
        return Decision(False, f"{label}不属于{type_name}的职责（见苏府办〔2021〕248号 任务分解表、"
                               f"昆政办〔2021〕70号 附件1 部门职责分工）")
    if office.city_level or office.district_id == institution_district_id:
        return Decision(True, basis)
    if co_handling and kind in CO_HANDLED_KINDS:
        return Decision(True, f"会办该机构投诉（{basis}）")
    return Decision(False, f"该机构不在本部门辖区，区县部门只能为本区县的机构录入{label}"
                           f"（昆政办〔2021〕70号 (九) 属地管理）；如需跨区处理，请由市级部门录入或"
                           f"通过投诉会办")
