"""Government entry over HTTP: grades, inspections (and rectification), penalties (and their
status), red/black-list entries — shown on the public page at once, audited, validated per field,
with department users limited to their own department's inspections and penalties.

Over 400 lines on purpose: one module for the entry pages' whole HTTP surface (each record
kind, who may record it, each field's message), sharing the records posted at its top. The
records' own numbers and their import are tests/functional/test_record_numbers.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.settings import get_settings
from portal.institutions.models import CreditEntry, Grade, Inspection, Penalty
from portal.institutions.services import records

from factories import department, institution
from factories.disclosures import credit_entry, inspection, penalty
from support import index_jobs, sign_in
from support import post_form as post


def today() -> date:
    return datetime.now(get_settings().timezone).date()


def audit_for(db, action: str) -> AuditEvent:
    db.expire_all()
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action)).one()


def public(client, inst_id: int) -> str:
    response = client.get(f"/institutions/{inst_id}")
    assert response.status_code == 200
    return response.text


GRADE = {"level": "4", "awarded_by": "测试市民政局", "awarded_on": "2024-05-20",
         "valid_until": "2029-05-19", "gb38600_compliant": "1"}
INSPECTION = {"inspected_on": "2026-03-10", "items_checked": "消防通道、食品留样",
              "outcome": "rectification_required",
              "findings": "消防通道堆放杂物", "rectification_status": "pending",
              "rectification_deadline": "2026-04-10"}
PENALTY = {"decision_no": "测民罚〔2026〕88号", "decided_on": "2026-04-01",
           "violation": "未按规定公开收费标准", "basis": "《养老机构管理办法》第四十六条",
           "penalty": "警告、罚款", "amount": "5000.50", "status": "decided"}
CREDIT = {"list_type": "black", "reason": "拒不履行行政处罚决定",
          "legal_basis": "《关于建立养老服务领域失信联合惩戒对象名单制度的通知》",
          "listed_on": "2026-05-01", "expires_on": "2029-04-30", "repair_status": ""}


# --- each record shows on the public page at once, audited and indexed --------------------
def test_supervisor_records_a_grade_shown_with_its_age(client, db):
    inst = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    page = client.get(f"/gov/institutions/{inst.id}")
    assert page.status_code == 200 and "录入等级评定" in page.text and inst.name in page.text
    response = post(client, f"/gov/institutions/{inst.id}/grades", **GRADE)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/gov/institutions/{inst.id}?saved=grade")
    entry = client.get(response.headers["location"])
    assert "已录入等级评定" in entry.text and "年" in entry.text and "前" in entry.text
    text = public(client, inst.id)
    assert "四级养老机构" in text and "2024-05-20" in text and "grade-age" in text
    grade = db.scalars(select(Grade)).one()
    assert grade.recorded_by_id == actor.id and grade.gb38600_compliant
    assert grade.valid_until == date(2029, 5, 19)
    event = audit_for(db, "grade.record")
    assert event.actor_id == actor.id and event.object_id == str(grade.id)
    assert event.detail["institution_id"] == inst.id and event.at is not None
    assert index_jobs(db, inst.id) == 1


def test_grade_awarded_by_defaults_to_the_recorders_department(client, db):
    inst = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/gov/institutions/{inst.id}/grades",
                **{**GRADE, "awarded_by": ""}).status_code == 303
    db.expire_all()
    assert db.scalars(select(Grade)).one().awarded_by == actor.department.name


def test_inspection_then_rectification(client, db):
    inst = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/institutions/{inst.id}/inspections", **INSPECTION)
    assert response.status_code == 303
    text = public(client, inst.id)
    assert "消防通道堆放杂物" in text and "整改中" in text and "2026-04-10" in text
    row = db.scalars(select(Inspection)).one()
    assert row.department_id == actor.department_id and row.recorded_by_id == actor.id
    assert audit_for(db, "inspection.record").actor_id == actor.id
    assert index_jobs(db, inst.id) == 1

    response = post(client, f"/gov/inspections/{row.id}/rectification",
                    rectification_status="done", rectification_deadline="2026-04-10")
    assert response.status_code == 303
    assert "已整改" in public(client, inst.id)
    event = audit_for(db, "inspection.rectification")
    assert event.actor_id == actor.id
    assert event.detail["before"] == "pending" and event.detail["after"] == "done"
    assert index_jobs(db, inst.id) == 2


def test_penalty_is_public_when_decided_and_its_status_follows(client, db):
    inst = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.ADMIN, department_id=department(db).id)
    assert post(client, f"/gov/institutions/{inst.id}/penalties", **PENALTY).status_code == 303
    text = public(client, inst.id)
    assert PENALTY["decision_no"] in text and "已作出决定" in text and "5,000.50" in text
    row = db.scalars(select(Penalty)).one()
    assert row.amount == Decimal("5000.50") and row.recorded_by_id == actor.id
    assert audit_for(db, "penalty.record").actor_id == actor.id
    assert post(client, f"/gov/penalties/{row.id}/status", status="appealed").status_code == 303
    assert "复议/诉讼中" in public(client, inst.id)
    assert audit_for(db, "penalty.status").detail["after"] == "appealed"
    assert index_jobs(db, inst.id) == 2


def test_credit_entry_then_removal_and_repair(client, db):
    inst = institution(db)
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/gov/institutions/{inst.id}/credit", **CREDIT).status_code == 303
    text = public(client, inst.id)
    assert "失信联合惩戒对象名单" in text and CREDIT["legal_basis"] in text
    assert "2026-05-01" in text and "2029-04-30" in text
    row = db.scalars(select(CreditEntry)).one()
    assert row.department_id == actor.department_id and row.recorded_by_id == actor.id
    assert audit_for(db, "credit.record").actor_id == actor.id

    removed = today().isoformat()
    response = post(client, f"/gov/credit/{row.id}", removed_on=removed,
                    repair_status="已完成信用修复")
    assert response.status_code == 303
    text = public(client, inst.id)
    assert f"已于 {removed} 移出" in text and "信用修复：已完成信用修复" in text
    assert audit_for(db, "credit.update").actor_id == actor.id
    assert index_jobs(db, inst.id) == 2


@pytest.mark.parametrize("outcome, findings, label", [
    ("no_findings", "", "未发现问题"),
    ("closed_on_spot", "灭火器过期，已当场更换", "发现问题，已当场整改"),
])
def test_inspection_outcome_is_recorded_and_shown(client, db, outcome, findings, label):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/institutions/{inst.id}/inspections",
                    inspected_on="2026-03-10", items_checked="消防安全", findings=findings,
                    outcome=outcome, rectification_status="none_required")
    assert response.status_code == 303, response.text[:500]
    row = db.scalars(select(Inspection)).one()
    assert row.outcome == outcome and row.rectification_deadline is None
    assert label in public(client, inst.id)
    assert label in client.get("/institutions/lists/inspections").text
    assert "检查结论" in client.get(f"/gov/institutions/{inst.id}").text
    # Nothing to rectify: the rectification of such an inspection cannot be updated.
    refused = post(client, f"/gov/inspections/{row.id}/rectification",
                   rectification_status="pending", rectification_deadline="2026-04-10")
    assert refused.status_code == 400 and "未责令限期整改" in refused.text
    db.expire_all()
    assert db.get(Inspection, row.id).rectification_status == "none_required"


def test_first_inspection_of_an_unfiled_place_records_its_discovery(client, db):
    place = institution(db, filing_status="unregistered", name="无证托老所")
    known = institution(db, filing_status="unregistered", name="早已发现的托老所",
                        discovered_on=date(2026, 1, 5), discovered_via="complaint",
                        discovered_by="12349 热线")
    db.commit()
    actor = sign_in(client, db, Role.SUPERVISOR)
    for inst in (place, known):
        assert post(client, f"/gov/institutions/{inst.id}/inspections", **{
            **INSPECTION, "inspected_on": "2026-03-10"}).status_code == 303
    db.expire_all()
    found = db.get(type(place), place.id)
    assert (found.discovered_on, found.discovered_via) == (date(2026, 3, 10), "inspection")
    assert found.discovered_by == actor.department.name
    kept = db.get(type(known), known.id)
    assert (kept.discovered_on, kept.discovered_via) == (date(2026, 1, 5), "complaint")
    listing = client.get("/institutions/lists/unregistered").text
    assert "2026-01-05" in listing and "投诉举报" in listing and "12349 热线" in listing
    assert "检查发现" in listing


# --- who may do what ----------------------------------------------------------------------
def test_department_user_records_inspections_and_penalties_in_own_name(client, db):
    inst = institution(db)
    own = department(db, "market_regulation")
    db.commit()
    actor = sign_in(client, db, Role.DEPARTMENT, department_id=own.id)
    page = client.get(f"/gov/institutions/{inst.id}")
    assert page.status_code == 200
    assert "录入等级评定" not in page.text and "保存名单信息" not in page.text
    assert post(client, f"/gov/institutions/{inst.id}/inspections",
                **INSPECTION).status_code == 303
    assert post(client, f"/gov/institutions/{inst.id}/penalties",
                **{**PENALTY, "department_id": str(own.id)}).status_code == 303
    db.expire_all()
    assert db.scalars(select(Inspection)).one().department_id == own.id
    assert db.scalars(select(Penalty)).one().department_id == own.id
    assert own.name in public(client, inst.id)
    row = db.scalars(select(Inspection)).one()
    assert post(client, f"/gov/inspections/{row.id}/rectification",
                rectification_status="done").status_code == 303
    assert audit_for(db, "inspection.rectification").actor_id == actor.id


def test_department_user_cannot_record_grades_or_credit_entries(client, db):
    # Grades and the credit lists are civil affairs' (and 发展改革's) duty (jurisdiction.py).
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=department(db, "market_regulation").id)
    assert post(client, f"/gov/institutions/{inst.id}/grades", **GRADE).status_code == 403
    assert post(client, f"/gov/institutions/{inst.id}/credit", **CREDIT).status_code == 403
    entry = credit_entry(db, inst)
    db.commit()
    assert post(client, f"/gov/credit/{entry.id}", removed_on="2026-06-01").status_code == 403
    db.expire_all()
    assert db.scalars(select(Grade)).all() == []
    assert db.scalar(select(CreditEntry).where(CreditEntry.id == entry.id)).removed_on is None
    assert index_jobs(db, inst.id) == 0


def test_department_user_cannot_act_in_another_departments_name(client, db):
    inst = institution(db)
    own, other = department(db, "market_regulation"), department(db, "fire_rescue")
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=own.id)
    response = post(client, f"/gov/institutions/{inst.id}/inspections",
                    **{**INSPECTION, "department_id": str(other.id)})
    assert response.status_code == 403
    response = post(client, f"/gov/institutions/{inst.id}/penalties",
                    **{**PENALTY, "department_id": str(other.id)})
    assert response.status_code == 403
    theirs = inspection(db, inst, other, rectification_status="pending",
                        rectification_deadline=date(2026, 4, 1), findings="问题")
    their_penalty = penalty(db, inst, other)
    db.commit()
    assert post(client, f"/gov/inspections/{theirs.id}/rectification",
                rectification_status="done").status_code == 403
    assert post(client, f"/gov/penalties/{their_penalty.id}/status",
                status="paid").status_code == 403
    db.expire_all()
    assert db.scalars(select(Inspection)).one().rectification_status == "pending"
    assert db.scalars(select(Penalty)).one().status == "decided"
    assert index_jobs(db, inst.id) == 0


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.INSTITUTION])
def test_other_roles_are_refused(client, db, role):
    inst = institution(db)
    db.commit()
    sign_in(client, db, role)
    assert client.get("/gov/").status_code == 403
    assert client.get(f"/gov/institutions/{inst.id}").status_code == 403
    assert post(client, f"/gov/institutions/{inst.id}/inspections",
                **INSPECTION).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    inst = institution(db)
    db.commit()
    response = client.get(f"/gov/institutions/{inst.id}", follow_redirects=False)
    assert response.status_code in (302, 303) and "/accounts/login" in response.headers["location"]


# --- validation, per field ----------------------------------------------------------------
@pytest.mark.parametrize("changes, field, message", [
    ({"level": "6"}, "level", "一级至五级"),
    ({"level": ""}, "level", "一级至五级"),
    ({"awarded_on": ""}, "awarded_on", "请填写评定日期"),
    ({"awarded_on": "2026-13-40"}, "awarded_on", "格式"),
    ({"awarded_on": "FUTURE"}, "awarded_on", "不能晚于今天"),
    ({"valid_until": "2024-05-20"}, "valid_until", "有效期应晚于评定日期"),
    ({"gb38600_compliant": ""}, "gb38600_compliant", "GB 38600"),
])
def test_grade_validation(client, db, changes, field, message):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {**GRADE, **{k: tomorrow if v == "FUTURE" else v for k, v in changes.items()}}
    response = post(client, f"/gov/institutions/{inst.id}/grades", **data)
    assert response.status_code == 400
    assert f'id="e-grade-{field}"' in response.text and message in response.text
    db.expire_all()
    assert db.scalars(select(Grade)).all() == [] and index_jobs(db, inst.id) == 0
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "grade.record")).all() == []


@pytest.mark.parametrize("changes, field, message", [
    ({"inspected_on": ""}, "inspected_on", "请填写检查日期"),
    ({"inspected_on": "FUTURE"}, "inspected_on", "不能晚于今天"),
    ({"items_checked": ""}, "items_checked", "请填写检查内容"),
    ({"rectification_status": "whatever"}, "rectification_status", "请选择整改情况"),
    ({"rectification_deadline": ""}, "rectification_deadline", "请填写整改期限"),
    ({"rectification_deadline": "2026-03-01"}, "rectification_deadline", "不能早于检查日期"),
    ({"findings": ""}, "findings", "写明发现的问题"),
    ({"department_id": "999999"}, "department_id", "没有这个部门"),
    ({"outcome": ""}, "outcome", "请选择检查结论"),
    ({"outcome": "maybe"}, "outcome", "请选择检查结论"),
    ({"rectification_status": "none_required"}, "rectification_status", "责令限期整改的"),
    ({"outcome": "no_findings"}, "rectification_status", "应为“无需整改”"),
    ({"outcome": "closed_on_spot", "rectification_status": "none_required"},
     "rectification_deadline", "请不要填写整改期限"),
    ({"outcome": "closed_on_spot", "rectification_status": "none_required",
      "rectification_deadline": "", "findings": ""}, "findings", "当场整改的问题"),
])
def test_inspection_validation(client, db, changes, field, message):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {**INSPECTION, **{k: tomorrow if v == "FUTURE" else v for k, v in changes.items()}}
    response = post(client, f"/gov/institutions/{inst.id}/inspections", **data)
    assert response.status_code == 400
    assert f'id="e-inspection-{field}"' in response.text and message in response.text
    db.expire_all()
    assert db.scalars(select(Inspection)).all() == [] and index_jobs(db, inst.id) == 0


@pytest.mark.parametrize("changes, field, message", [
    ({"decision_no": ""}, "decision_no", "请填写处罚决定书文号"),
    ({"decided_on": "FUTURE"}, "decided_on", "不能晚于今天"),
    ({"violation": ""}, "violation", "请填写违法行为"),
    ({"basis": ""}, "basis", "请填写处罚依据"),
    ({"penalty": ""}, "penalty", "请填写处罚内容"),
    ({"amount": "-1"}, "amount", "不能为负数"),
    ({"amount": "12.345"}, "amount", "最多保留 2 位小数"),
    ({"amount": "五千"}, "amount", "应为数字"),
    ({"amount": ""}, "amount", "没有罚款请填 0"),
    ({"status": "forgiven"}, "status", "请选择执行状态"),
])
def test_penalty_validation(client, db, changes, field, message):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {**PENALTY, **{k: tomorrow if v == "FUTURE" else v for k, v in changes.items()}}
    response = post(client, f"/gov/institutions/{inst.id}/penalties", **data)
    assert response.status_code == 400
    assert f'id="e-penalty-{field}"' in response.text and message in response.text
    db.expire_all()
    assert db.scalars(select(Penalty)).all() == [] and index_jobs(db, inst.id) == 0


def test_decision_number_must_be_unique(client, db):
    inst = institution(db)
    existing = penalty(db, institution(db), decision_no=PENALTY["decision_no"])
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/institutions/{inst.id}/penalties", **PENALTY)
    assert response.status_code == 400
    assert 'id="e-penalty-decision_no"' in response.text and "已录入过" in response.text
    db.expire_all()
    assert [p.id for p in db.scalars(select(Penalty))] == [existing.id]


def test_zero_amount_and_whole_yuan_are_accepted():
    assert records.parse_amount("0") == (Decimal("0.00"), "")
    assert records.parse_amount("5000") == (Decimal("5000.00"), "")
    assert records.parse_amount("1,200.5") == (Decimal("1200.50"), "")
    assert records.parse_amount("NaN")[0] is None
    assert records.parse_amount("1e3") == (Decimal("1000.00"), "")


@pytest.mark.parametrize("changes, field, message", [
    ({"list_type": "grey"}, "list_type", "请选择名单类型"),
    ({"reason": ""}, "reason", "请填写列入事由"),
    ({"legal_basis": ""}, "legal_basis", "请填写法律依据"),
    ({"listed_on": ""}, "listed_on", "请填写列入日期"),
    ({"listed_on": "FUTURE"}, "listed_on", "不能晚于今天"),
    ({"expires_on": "2026-05-01"}, "expires_on", "有效期应晚于列入日期"),
    ({"repair_status": "修" * 41}, "repair_status", "不能超过 40 个字"),
])
def test_credit_validation(client, db, changes, field, message):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {**CREDIT, **{k: tomorrow if v == "FUTURE" else v for k, v in changes.items()}}
    response = post(client, f"/gov/institutions/{inst.id}/credit", **data)
    assert response.status_code == 400
    assert f'id="e-credit-{field}"' in response.text and message in response.text
    db.expire_all()
    assert db.scalars(select(CreditEntry)).all() == [] and index_jobs(db, inst.id) == 0


def test_update_validation_errors_are_shown_on_the_record(client, db):
    inst = institution(db)
    entry = credit_entry(db, inst, "black", listed_on=date(2026, 2, 1))
    row = inspection(db, inst, findings="问题", rectification_status="pending",
                     rectification_deadline=date(2026, 4, 1))
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/credit/{entry.id}", removed_on="2026-01-01")
    assert response.status_code == 400
    assert f'id="e-credit_update-{entry.id}-removed_on"' in response.text
    assert "移出日期不能早于列入日期" in response.text
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = post(client, f"/gov/credit/{entry.id}", removed_on=tomorrow)
    assert response.status_code == 400 and "不能晚于今天" in response.text
    response = post(client, f"/gov/inspections/{row.id}/rectification",
                    rectification_status="nonsense")
    assert response.status_code == 400
    assert f'id="e-rectification-{row.id}-rectification_status"' in response.text
    assert post(client, "/gov/penalties/999999/status", status="paid").status_code == 404
    assert index_jobs(db, inst.id) == 0


# --- the entry page -----------------------------------------------------------------------
def test_search_page_finds_institutions_by_name(client, db):
    inst = institution(db, name="幸福里颐养中心")
    db.commit()
    sign_in(client, db, Role.DEPARTMENT)
    empty = client.get("/gov/")
    assert empty.status_code == 200 and "录入监管信息" in empty.text
    found = client.get("/gov/", params={"q": "幸福里"})
    assert found.status_code == 200 and f"/gov/institutions/{inst.id}" in found.text
    none = client.get("/gov/", params={"q": "不存在的名字"})
    assert "没有找到" in none.text
    assert client.get("/gov/institutions/999999").status_code == 404
