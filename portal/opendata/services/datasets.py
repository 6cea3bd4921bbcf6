"""The open-data datasets: each one's data dictionary and a lazy row generator.

Rows are tuples in dictionary order, read with `yield_per` so a download never holds the whole
table. Only published records and aggregates: no complaint is ever a row here, and nothing a
complainant wrote or gave (name, phone, description, answer) is selected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from complaints.models import Complaint, RoutingRule
from complaints.services.calendar_store import load_calendar
from portal.institutions import vocab
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
)
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import DEPARTMENT_TYPES

BATCH = 1000

TYPES = {
    "integer": "整数",
    "string": "文本",
    "date": "日期（YYYY-MM-DD）",
    "month": "月份（YYYY-MM）",
    "decimal": "数值（小数）",
    "boolean": "是否（true/false）",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # a key of TYPES
    meaning: str  # in Chinese


@dataclass(frozen=True)
class Query:
    """What a dataset's rows are computed from: a session, today and the time zone."""

    db: Session
    today: date
    tz: ZoneInfo


@dataclass(frozen=True)
class Dataset:
    code: str
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: Callable[[Query], Iterator[tuple]]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def _f(*spec: tuple[str, str, str]) -> tuple[Field, ...]:
    return tuple(Field(*s) for s in spec)


def _stream(db: Session, stmt) -> Iterator:
    return iter(db.execute(stmt.execution_options(yield_per=BATCH)))


# --- institutions ---------------------------------------------------------------------------

INSTITUTION_FIELDS = _f(
    ("id", "integer", "机构编号（本平台）"), ("name", "string", "机构名称"),
    ("credit_code", "string", "统一社会信用代码（未登记场所为空）"),
    ("kind", "string", "机构类型代码：residential 养老机构、community 居家社区养老服务机构、"
     "assessment 评估机构、training 培训机构"), ("kind_label", "string", "机构类型"),
    ("nature", "string", "机构性质代码"), ("nature_label", "string", "机构性质（公办、公建民营等）"),
    ("filing_status", "string", "备案状态代码：filed、registered_unfiled、unregistered"),
    ("filing_status_label", "string", "备案状态（已备案/登记未备案/未登记）"),
    ("district", "string", "所在区县"), ("street", "string", "所在街道（乡镇）"),
    ("address", "string", "地址"), ("phone", "string", "机构联系电话"),
    ("legal_representative", "string", "法定代表人（依法公开）"),
    ("registration_no", "string", "登记证号"), ("registration_date", "date", "登记日期"),
    ("filing_no", "string", "备案编号"), ("filing_date", "date", "备案日期"),
    ("opened_year", "integer", "开业年份"), ("beds_total", "integer", "床位总数"),
    ("beds_vacant", "integer", "空余床位数"),
    ("admits_self_care", "boolean", "收住自理老人"), ("admits_mild", "boolean", "收住轻度失能老人"),
    ("admits_severe", "boolean", "收住中重度失能老人"),
    ("medical_integration", "boolean", "医养结合"),
    ("insurance_designated", "boolean", "医保定点"),
    ("deposit_amount", "decimal", "押金（保证金）金额，元；空为未公开"),
    ("deposit_dedicated_account", "boolean", "押金专户存储"),
    ("grade_level", "integer", "最近一次等级评定（1–5 级，空为未评定）"),
    ("grade_awarded_on", "date", "等级评定日期"), ("grade_valid_until", "date", "等级有效期至"),
    ("gb38600_compliant", "boolean", "最近一次评定是否符合 GB 38600-2019 服务安全基本规范"),
    ("discovered_on", "date", "未备案场所的发现日期（已备案机构为空）"),
    ("discovered_via", "string", "发现方式代码：inspection 检查发现、complaint 投诉举报、"
     "market_record 市场监管登记信息推送、other 其他"),
    ("discovered_via_label", "string", "发现方式"),
    ("discovered_by", "string", "发现单位"),
)


def institution_rows(q: Query) -> Iterator[tuple]:
    # The latest grade as the institution page picks it: newest award date, then newest row.
    ranked = select(Grade, func.row_number().over(
        partition_by=Grade.institution_id, order_by=(Grade.awarded_on.desc(), Grade.id.desc())
    ).label("rn")).subquery()
    g = aliased(Grade, ranked)
    stmt = (select(Institution, District.name, Street.name, g)
            .join(District, District.id == Institution.district_id)
            .outerjoin(Street, Street.id == Institution.street_id)
            .outerjoin(ranked, (ranked.c.institution_id == Institution.id) & (ranked.c.rn == 1))
            .order_by(Institution.id))
    for inst, district, street, grade in _stream(q.db, stmt):
        yield (inst.id, inst.name, inst.credit_code, inst.kind, vocab.KINDS.get(inst.kind),
               inst.nature, vocab.NATURES.get(inst.nature), inst.filing_status,
               vocab.FILING_STATUSES.get(inst.filing_status), district, street, inst.address,
               inst.phone, inst.legal_representative, inst.registration_no,
               inst.registration_date, inst.filing_no, inst.filing_date, inst.opened_year,
               inst.beds_total, inst.beds_vacant, inst.admits_self_care, inst.admits_mild,
               inst.admits_severe, inst.medical_integration, inst.insurance_designated,
               inst.deposit_amount, inst.deposit_dedicated_account,
               grade.level if grade else None, grade.awarded_on if grade else None,
               grade.valid_until if grade else None,
               grade.gb38600_compliant if grade else None,
               inst.discovered_on, inst.discovered_via or None,
               vocab.DISCOVERY_CHANNELS.get(inst.discovered_via), inst.discovered_by or None)


# --- records ----------------------------------------------------------------------------------

FEE_FIELDS = _f(
    ("institution_id", "integer", "机构编号"), ("institution_name", "string", "机构名称"),
    ("item", "string", "服务项目"), ("unit", "string", "计价单位"), ("price", "decimal", "价格，元"),
    ("pricing_type", "string", "定价方式代码：government 政府定价、guided 政府指导价、market 市场调节价"),
    ("cycle", "string", "收费周期（月、季、年、次等）"),
    ("care_level", "string", "适用照护等级代码（空为不分等级）"),
    ("effective_from", "date", "执行起始日"), ("effective_to", "date", "执行截止日（空为现行标准）"),
)


def fee_rows(q: Query) -> Iterator[tuple]:
    stmt = (select(FeeItem, Institution.name).join(Institution)
            .order_by(FeeItem.institution_id, FeeItem.id))
    for f, name in _stream(q.db, stmt):
        yield (f.institution_id, name, f.item, f.unit, f.price, f.pricing_type, f.cycle,
               f.care_level, f.effective_from, f.effective_to)


GRADE_FIELDS = _f(
    ("institution_id", "integer", "机构编号"), ("institution_name", "string", "机构名称"),
    ("level", "integer", "等级（1–5 级，GB/T 37276）"), ("awarded_by", "string", "评定机构"),
    ("awarded_on", "date", "评定日期"), ("valid_until", "date", "有效期至"),
    ("gb38600_compliant", "boolean", "是否符合 GB 38600-2019"),
)


def grade_rows(q: Query) -> Iterator[tuple]:
    stmt = select(Grade, Institution.name).join(Institution).order_by(Grade.id)
    for g, name in _stream(q.db, stmt):
        yield (g.institution_id, name, g.level, g.awarded_by, g.awarded_on, g.valid_until,
               g.gb38600_compliant)


INSPECTION_FIELDS = _f(
    ("institution_id", "integer", "机构编号"), ("institution_name", "string", "机构名称"),
    ("inspected_on", "date", "检查日期"), ("department", "string", "检查部门"),
    ("items_checked", "string", "检查事项"),
    ("outcome", "string", "检查结论代码：no_findings（未发现问题）、rectification_required（发现问题，"
     "责令限期整改）、closed_on_spot（发现问题，已当场整改）"),
    ("outcome_label", "string", "检查结论"),
    ("findings", "string", "检查发现的问题"),
    ("rectification_deadline", "date", "整改期限"),
    ("rectification_status", "string", "整改状态代码：none_required、pending、done、overdue"),
    ("rectification_status_label", "string", "整改状态"),
)


def inspection_rows(q: Query) -> Iterator[tuple]:
    stmt = (select(Inspection, Institution.name, Department.name).join(Institution)
            .join(Department, Department.id == Inspection.department_id).order_by(Inspection.id))
    for i, name, dept in _stream(q.db, stmt):
        yield (i.institution_id, name, i.inspected_on, dept, i.items_checked, i.outcome,
               vocab.INSPECTION_OUTCOMES.get(i.outcome), i.findings,
               i.rectification_deadline, i.rectification_status,
               vocab.RECTIFICATION_STATUSES.get(i.rectification_status))


PENALTY_FIELDS = _f(
    ("decision_no", "string", "处罚决定书文号"), ("institution_id", "integer", "机构编号"),
    ("institution_name", "string", "机构名称"), ("department", "string", "处罚机关"),
    ("decided_on", "date", "决定日期"), ("violation", "string", "违法事实"),
    ("basis", "string", "处罚依据"), ("penalty", "string", "处罚种类"),
    ("amount", "decimal", "罚没金额，元"), ("status", "string", "执行状态代码"),
    ("status_label", "string", "执行状态"),
)


def penalty_rows(q: Query) -> Iterator[tuple]:
    stmt = (select(Penalty, Institution.name, Department.name).join(Institution)
            .join(Department, Department.id == Penalty.department_id).order_by(Penalty.id))
    for p, name, dept in _stream(q.db, stmt):
        yield (p.decision_no, p.institution_id, name, dept, p.decided_on, p.violation, p.basis,
               p.penalty, p.amount, p.status, vocab.PENALTY_STATUSES.get(p.status))


CREDIT_FIELDS = _f(
    ("institution_id", "integer", "机构编号"), ("institution_name", "string", "机构名称"),
    ("list_type", "string", "名单代码：red 红名单、black 失信联合惩戒对象名单"),
    ("list_label", "string", "名单"), ("reason", "string", "列入原因"),
    ("legal_basis", "string", "依据"), ("department", "string", "列入部门"),
    ("listed_on", "date", "列入日期"), ("expires_on", "date", "有效期至（空为长期）"),
    ("removed_on", "date", "移出日期"), ("repair_status", "string", "信用修复情况"),
    ("in_force", "boolean", "今天是否仍在名单内（未移出、未过期）"),
)


def credit_rows(q: Query) -> Iterator[tuple]:
    stmt = (select(CreditEntry, Institution.name, Department.name).join(Institution)
            .join(Department, Department.id == CreditEntry.department_id)
            .order_by(CreditEntry.id))
    for c, name, dept in _stream(q.db, stmt):
        in_force = c.removed_on is None and (c.expires_on is None or c.expires_on >= q.today)
        yield (c.institution_id, name, c.list_type, vocab.CREDIT_LISTS.get(c.list_type),
               c.reason, c.legal_basis, dept, c.listed_on, c.expires_on, c.removed_on,
               c.repair_status, in_force)


# --- complaint statistics (aggregates only) -------------------------------------------------

STAT_FIELDS = _f(
    ("month", "month", "受理月份（当地时间）"),
    ("dimension", "string", "分组维度：total 合计、category 类别、district 区县、"
     "department_type 承办部门类型"),
    ("key", "string", "分组代码（类别代码、区县代码或部门类型代码；合计为 all）"),
    ("label", "string", "分组名称"),
    ("received", "integer", "受理件数"), ("answered", "integer", "已答复件数"),
    ("answered_on_time", "integer", "按期答复件数（5 个工作日期限内）"),
    ("answered_late", "integer", "超期答复件数"),
    ("open", "integer", "在办件数"), ("open_overdue", "integer", "在办且已超期件数"),
    ("on_time_rate", "decimal", "按期答复率：按期答复 ÷（已答复 + 在办超期），0–1"),
    ("median_answer_days", "decimal", "答复用时中位数（工作日）"),
    ("rated", "integer", "有满意度评价的件数"),
    ("satisfied", "integer", "满意和基本满意件数"),
)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def stat_rows(q: Query) -> Iterator[tuple]:
    """Monthly figures from the statistics module (one definition for page and download)."""
    from portal.stats.services.complaints import monthly_breakdowns

    first = q.db.scalar(select(func.min(Complaint.received_at)))
    if first is None:
        return
    start = _month_start(first.astimezone(q.tz).date())
    end = _month_start(q.today + timedelta(days=32 - q.today.day))  # first day of next month
    now = datetime.now(q.tz)
    months = monthly_breakdowns(q.db, start, end, tz=q.tz, calendar=load_calendar(q.db),
                                as_of=now)
    labels = {
        "category": dict(q.db.execute(select(RoutingRule.code, RoutingRule.label)).all()),
        "district": {str(i): (code, name) for i, code, name in
                     q.db.execute(select(District.id, District.code, District.name))},
        "department_type": DEPARTMENT_TYPES,
    }
    for month in sorted(months):
        b = months[month]
        yield (month, "total", "all", "合计", *_figures(b.total))
        for dim in ("category", "district", "department_type"):
            for key, counts in sorted(b.by.get(dim, {}).items()):
                code, label = key, labels[dim].get(key, "")
                if dim == "district":
                    code, label = labels[dim].get(key, ("-", "未知区县"))
                yield (month, dim, code, label, *_figures(counts))


def _figures(c) -> tuple:
    rate = round(c.on_time_rate, 4) if c.on_time_rate is not None else None
    return (c.received, c.answered, c.on_time, c.late, c.open, c.open_overdue, rate,
            c.median_answer_days, c.rated, c.satisfied)


DATASETS: dict[str, Dataset] = {d.code: d for d in (
    Dataset("institutions", "养老机构基本信息与等级",
            "每家机构一行：登记备案、床位、收住对象、押金及最近一次等级评定。",
            INSTITUTION_FIELDS, institution_rows),
    Dataset("fees", "服务项目和收费标准", "现行和历史收费标准，每个收费项目一行。",
            FEE_FIELDS, fee_rows),
    Dataset("grades", "等级评定", "历次等级评定及 GB 38600 达标结论。", GRADE_FIELDS, grade_rows),
    Dataset("inspections", "检查结果", "“双随机、一公开”抽查和其他检查的结果与整改情况。",
            INSPECTION_FIELDS, inspection_rows),
    Dataset("penalties", "行政处罚", "对养老服务机构作出的行政处罚决定。",
            PENALTY_FIELDS, penalty_rows),
    Dataset("credit", "信用名单", "红名单和失信联合惩戒对象名单的全部条目，含已移出和已过期的。",
            CREDIT_FIELDS, credit_rows),
    Dataset("complaint-stats", "投诉举报统计",
            "按受理月份的汇总数字：合计及按类别、区县、承办部门类型分组。只有件数，不含任何一件"
            "投诉的内容或投诉人信息。", STAT_FIELDS, stat_rows),
)}

DICTIONARY_HEADER = ("字段名", "类型", "类型说明", "含义")


def dictionary_rows(dataset: Dataset) -> list[tuple[str, str, str, str]]:
    return [(f.name, f.type, TYPES[f.type], f.meaning) for f in dataset.fields]
