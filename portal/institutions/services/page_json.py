"""The institution page for the JSON API (`/api/v1/institutions/{id}`) and one directory row
(`/api/v1/institutions`): the same data as the HTML page (portal/institutions/services/page.py), every
published disclosure, the flags and completeness; never personal data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from portal.backoffice.services.public import published_json
from portal.institutions import vocab
from portal.institutions.models import FeeItem, Institution
from portal.institutions.rules.facts import MonthlyTotal
from portal.institutions.services.credit_status import status_json
from portal.institutions.services.page import InstitutionPage
from portal.opendays.services.events import ShownOpenDay

if TYPE_CHECKING:
    from portal.institutions.services.directory import Listed


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _m(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.01")))


def total_json(total: MonthlyTotal | None) -> dict[str, Any] | None:
    if total is None:
        return None
    return {"care_level": total.care_level, "low": _m(total.low), "high": _m(total.high)}


def summary_json(inst: Institution | Listed, grade: int | None,
                 monthly: MonthlyTotal | None) -> dict:
    """One directory row (from the directory's plain rows, or the page's institution)."""
    return {
        "id": inst.id,
        "name": inst.name,
        "kind": inst.kind,
        "nature": inst.nature,
        "filing_status": inst.filing_status,
        "district": {"id": inst.district_id, "name": inst.district.name},
        "street": {"id": inst.street.id, "name": inst.street.name} if inst.street else None,
        "address": inst.address,
        "beds_total": inst.beds_total,
        "beds_vacant": inst.beds_vacant,
        "admits": {
            "self_care": inst.admits_self_care,
            "mild": inst.admits_mild,
            "severe": inst.admits_severe,
        },
        "medical_integration": inst.medical_integration,
        "grade": grade,
        "monthly_fee": total_json(monthly),
    }


def _fee_json(f: FeeItem) -> dict[str, Any]:
    return {
        "item": f.item, "unit": f.unit, "price": _m(f.price), "pricing_type": f.pricing_type,
        "cycle": f.cycle, "care_level": f.care_level,
        "effective_from": _d(f.effective_from), "effective_to": _d(f.effective_to),
    }


def page_json(p: InstitutionPage) -> dict[str, Any]:
    """Every published disclosure of the page, the flags and completeness; no personal data."""
    inst, res, g = p.inst, p.resources, p.grade
    return {
        **summary_json(inst, g.level if g else None, p.total_for(None)),
        "credit_code": inst.credit_code,
        "registration": {
            "authority": vocab.REGISTRATION_AUTHORITY[inst.nature],
            "number": inst.registration_no, "date": _d(inst.registration_date),
        },
        "filing": {"number": inst.filing_no, "date": _d(inst.filing_date)},
        "legal_representative": inst.legal_representative,
        "phone": inst.phone,
        "opened_year": inst.opened_year,
        "internal_clinic": inst.internal_clinic,
        "insurance_designated": inst.insurance_designated,
        "deposit": {
            "amount": _m(inst.deposit_amount),
            "dedicated_account": inst.deposit_dedicated_account,
            "bank": inst.deposit_bank,
        },
        "fees": [_fee_json(f) for f in p.fees],
        "fee_history": [_fee_json(f) for f in p.fee_history],
        "monthly_totals": [total_json(t) for t in p.totals.values()],
        "resources": None if res is None else {
            "effective_from": _d(res.effective_from),
            **{k: getattr(res, k) for k in (
                "caregivers", "certified_caregivers", "nurses", "doctors", "social_workers",
                "elders_self_care", "elders_mild", "elders_severe", "video_coverage",
                "video_retention_days", "fire_approval_status", "fire_approval_doc_no",
                "fire_approval", "food_licence")},
            "fire_approval_date": _d(res.fire_approval_date),
            "last_fire_drill": _d(res.last_fire_drill),
            "last_emergency_drill": _d(res.last_emergency_drill),
        },
        "grade_award": None if g is None else {
            "level": g.level, "awarded_by": g.awarded_by, "awarded_on": _d(g.awarded_on),
            "valid_until": _d(g.valid_until), "gb38600_compliant": g.gb38600_compliant,
        },
        "inspections": [
            {"inspected_on": _d(i.inspected_on), "department": i.department.name,
             "items_checked": i.items_checked, "outcome": i.outcome, "findings": i.findings,
             "rectification_deadline": _d(i.rectification_deadline),
             "rectification_status": i.rectification_status}
            for i in p.inspections
        ],
        "penalties": [
            {"decision_no": x.decision_no, "department": x.department.name,
             "decided_on": _d(x.decided_on), "violation": x.violation, "basis": x.basis,
             "penalty": x.penalty, "amount": _m(x.amount), "status": x.status}
            for x in p.penalties
        ],
        "credit_entries": [
            {"list_type": c.list_type, "reason": c.reason, "legal_basis": c.legal_basis,
             "department": c.department.name, "listed_on": _d(c.listed_on),
             "expires_on": _d(c.expires_on), "removed_on": _d(c.removed_on),
             "repair_status": c.repair_status}
            for c in p.credit
        ],
        "complaints": {
            "received_12_months": p.complaints.received,
            "judged": p.complaints.judged,
            "answered_on_time": p.complaints.on_time,
            "on_time_rate": p.complaints.on_time_rate,
        },
        "flags": [
            {"code": f.code, "severity": f.severity, "title": f.title, "detail": f.detail,
             "rule": f.rule, "numbers": f.numbers}
            for f in p.flags
        ],
        "completeness": {
            "present": p.completeness.present, "total": p.completeness.total,
            "percent": p.completeness.percent, "missing": p.completeness.missing,
            "missing_keys": p.completeness.missing_keys,
        },
        "updated_at": inst.updated_at.isoformat() if inst.updated_at else None,
        "open_days": {
            "upcoming": [_open_day_json(e) for e in p.open_days.upcoming],
            "held": [_open_day_json(e) for e in p.open_days.held],
        },
        **published_json(p.published),
        "credit_check": status_json(p.credit_status),
    }


def _open_day_json(e: ShownOpenDay) -> dict[str, Any]:
    return {"id": e.id, "title": e.title, "place": e.place, "status": e.status,
            "starts_at": e.starts_at.isoformat(), "ends_at": e.ends_at.isoformat(),
            "signup_deadline": e.signup_deadline.isoformat(), "capacity": e.capacity,
            "seats_left": e.seats_left}
