"""Builders for an institution's disclosed records: fees, resources, grades, inspections,
penalties and credit-list entries. Each returns the flushed ORM object."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
    ServiceResources,
)
from portal.orgs.models import Department

from factories import department

_seq = count(1)


def _dept(db: Session, dept: Department | None, type_code: str = "civil_affairs") -> Department:
    return dept or department(db, type_code)


def fee(db: Session, inst: Institution, item: str = "护理费", price: str = "1000.00",
        **overrides) -> FeeItem:
    values = dict(
        institution_id=inst.id, item=item, unit="元/月", price=Decimal(price),
        pricing_type="market", cycle="月", care_level=None, effective_from=date(2026, 1, 1),
    )
    values.update(overrides)
    row = FeeItem(**values)
    db.add(row)
    db.flush()
    return row


def resources(db: Session, inst: Institution, **overrides) -> ServiceResources:
    values = dict(
        institution_id=inst.id, effective_from=date(2026, 1, 1), caregivers=10,
        certified_caregivers=10, elders_self_care=20, elders_mild=10, elders_severe=6,
        video_coverage=True, video_retention_days=90, fire_approval_status="passed",
        fire_approval_doc_no="示住建消验字〔2020〕第0012号", fire_approval_date=date(2020, 5, 20),
        fire_approval="消防验收合格",
        food_licence="JY13301000000001", last_fire_drill=date(2026, 9, 1),
        last_emergency_drill=date(2026, 6, 1),
    )
    values.update(overrides)
    row = ServiceResources(**values)
    db.add(row)
    db.flush()
    return row


def grade(db: Session, inst: Institution, level: int = 3, **overrides) -> Grade:
    values = dict(
        institution_id=inst.id, level=level, awarded_by="测试市民政局",
        awarded_on=date(2023, 6, 1), valid_until=None, gb38600_compliant=True,
    )
    values.update(overrides)
    row = Grade(**values)
    db.add(row)
    db.flush()
    return row


def inspection(db: Session, inst: Institution, dept: Department | None = None,
               **overrides) -> Inspection:
    values = dict(
        institution_id=inst.id, inspected_on=date(2026, 3, 10),
        department_id=_dept(db, dept).id, items_checked="消防安全、服务质量",
        findings="", rectification_status="none_required",
    )
    values.update(overrides)
    row = Inspection(**values)
    db.add(row)
    db.flush()
    return row


def penalty(db: Session, inst: Institution, dept: Department | None = None,
            **overrides) -> Penalty:
    values = dict(
        institution_id=inst.id, decision_no=f"测民罚〔2026〕{next(_seq)}号",
        department_id=_dept(db, dept).id, decided_on=date(2026, 4, 1),
        violation="未按规定公开收费标准", basis="《养老机构管理办法》第四十六条",
        penalty="警告、罚款", amount=Decimal("5000.00"), status="decided",
    )
    values.update(overrides)
    row = Penalty(**values)
    db.add(row)
    db.flush()
    return row


def credit_entry(db: Session, inst: Institution, list_type: str = "red",
                 dept: Department | None = None, **overrides) -> CreditEntry:
    values = dict(
        institution_id=inst.id, list_type=list_type,
        reason="连续三年等级评定优秀" if list_type == "red" else "拒不履行行政处罚决定",
        legal_basis="", department_id=_dept(db, dept).id, listed_on=date(2026, 2, 1),
    )
    values.update(overrides)
    row = CreditEntry(**values)
    db.add(row)
    db.flush()
    return row
