"""Issue 18 item 5: government records only within the office's district and duties (or through
co-handling), refused attempts audited with nothing written; records corrected or withdrawn with a
history, the public page showing the current version; the supervisors' review list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from complaints.models import CoHandling
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.institutions.models import Grade, Inspection, Penalty, RecordRevision
from portal.institutions.rules.jurisdiction import CO_HANDLING_DAYS

from factories import department, district, institution
from factories.disclosures import penalty
from support import post_form as post
from support import sign_in

PENALTY = {"decision_no": "东消行罚决字〔2026〕7号", "decided_on": "2026-04-01",
           "violation": "消防设施未保持完好有效", "basis": "《中华人民共和国消防法》第六十条",
           "penalty": "罚款", "amount": "50000", "status": "decided"}
INSPECTION = {"inspected_on": "2026-03-10", "items_checked": "消防通道",
              "outcome": "no_findings", "findings": "", "rectification_status": "none_required"}
GRADE = {"level": "3", "awarded_by": "", "awarded_on": "2024-05-20", "valid_until": "",
         "gb38600_compliant": "1"}


def two_districts(db):
    east, west = district(db, name="东湖区"), district(db, name="西山区")
    department(db, "civil_affairs")  # the city office, for complaint routing
    home = institution(db, district_=west, name="西山福寿院")
    return east, west, home


def nothing_written(db) -> bool:
    db.expire_all()
    return db.scalars(select(Penalty)).all() == [] and db.scalars(select(Inspection)).all() == []


def test_district_fire_brigade_cannot_fine_a_home_in_another_district(client, db):
    east, west, home = two_districts(db)
    brigade = department(db, "fire_rescue", east)
    db.commit()
    actor = sign_in(client, db, Role.DEPARTMENT, department_id=brigade.id)
    page = client.get(f"/gov/institutions/{home.id}")
    assert page.status_code == 200 and 'id="refused-penalty"' in page.text
    assert "不在本部门辖区" in page.text and "属地管理" in page.text
    assert f'/gov/institutions/{home.id}/penalties"' not in page.text
    response = post(client, f"/gov/institutions/{home.id}/penalties", **PENALTY)
    assert response.status_code == 403 and "不在本部门辖区" in response.text
    response = post(client, f"/gov/institutions/{home.id}/inspections", **INSPECTION)
    assert response.status_code == 403
    assert nothing_written(db)
    refused = db.scalars(select(AuditEvent).where(AuditEvent.action == "records.refused")).all()
    assert [e.object_type for e in refused] == ["penalty", "inspection"]
    assert all(e.actor_id == actor.id and e.detail["institution_id"] == home.id for e in refused)
    # The search page says why: a district office records only in its own district.
    found = client.get("/gov/", params={"q": "西山福寿院"}).text
    assert 'id="reach-note"' in found and "不在本部门辖区" in found


def test_own_district_and_city_offices_may(client, db):
    east, west, home = two_districts(db)
    local = department(db, "fire_rescue", west)
    city = department(db, "fire_rescue")
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=local.id)
    assert post(client, f"/gov/institutions/{home.id}/penalties", **PENALTY).status_code == 303
    sign_in(client, db, Role.DEPARTMENT, department_id=city.id)
    assert post(client, f"/gov/institutions/{home.id}/penalties",
                **{**PENALTY, "decision_no": "市消行罚决字〔2026〕8号"}).status_code == 303
    db.expire_all()
    assert sorted(p.department_id for p in db.scalars(select(Penalty))) == sorted(
        [local.id, city.id])


def _co_handling(db, inst, dept, *, replied_days_ago: int | None):
    from complaints.rules.intake import ComplaintInput
    from complaints.services.filing import build_services
    from portal.core.settings import get_settings

    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="service_quality", description="消防通道被杂物堵塞。",
        institution_id=inst.id, complainant_name="张三", complainant_phone="13500001111"))
    db.flush()
    now = utcnow()
    row = CoHandling(complaint_id=complaint.id, department_id=dept.id,
                     requested_at=now - timedelta(days=60))
    if replied_days_ago is not None:
        row.reply, row.replied_at = "已安排检查", now - timedelta(days=replied_days_ago)
    db.add(row)
    db.flush()
    return row


def test_a_co_handling_department_may_record_outside_its_district(client, db):
    east, west, home = two_districts(db)
    brigade = department(db, "fire_rescue", east)
    _co_handling(db, home, brigade, replied_days_ago=None)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=brigade.id)
    assert 'id="refused-penalty"' not in client.get(f"/gov/institutions/{home.id}").text
    assert post(client, f"/gov/institutions/{home.id}/inspections", **INSPECTION).status_code == 303
    assert post(client, f"/gov/institutions/{home.id}/penalties", **PENALTY).status_code == 303
    # Co-handling does not make it a grading office.
    assert post(client, f"/gov/institutions/{home.id}/grades", **GRADE).status_code == 403
    db.expire_all()
    assert db.scalars(select(Penalty)).one().department_id == brigade.id


def test_co_handling_closes_some_days_after_the_reply(client, db):
    east, west, home = two_districts(db)
    brigade = department(db, "fire_rescue", east)
    _co_handling(db, home, brigade, replied_days_ago=CO_HANDLING_DAYS + 2)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=brigade.id)
    assert post(client, f"/gov/institutions/{home.id}/penalties", **PENALTY).status_code == 403
    assert nothing_written(db)


def test_market_regulation_cannot_award_a_grade(client, db):
    east, west, home = two_districts(db)
    market = department(db, "market_regulation", west)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=market.id)
    page = client.get(f"/gov/institutions/{home.id}").text
    assert 'id="refused-grade"' in page and "等级评定不属于市场监督管理局的职责" in page
    response = post(client, f"/gov/institutions/{home.id}/grades", **GRADE)
    assert response.status_code == 403 and "职责" in response.text
    db.expire_all()
    assert db.scalars(select(Grade)).all() == []
    # Its own district's civil affairs office grades.
    civil = department(db, "civil_affairs", west)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=civil.id)
    assert post(client, f"/gov/institutions/{home.id}/grades", **GRADE).status_code == 303


def test_correction_keeps_the_history_and_marks_the_public_page(client, db):
    east, west, home = two_districts(db)
    brigade = department(db, "fire_rescue", west)
    row = penalty(db, home, brigade, amount=50000, decision_no="西消罚〔2026〕1号")
    db.commit()
    actor = sign_in(client, db, Role.DEPARTMENT, department_id=brigade.id)
    entry = client.get(f"/gov/institutions/{home.id}").text
    assert f'/gov/penalties/{row.id}/correct"' in entry
    assert 'value="西消罚〔2026〕1号"' in entry  # the form starts from the current version
    form = {**PENALTY, "decision_no": "西消罚〔2026〕1号", "amount": "5000"}
    response = post(client, f"/gov/penalties/{row.id}/correct", **form)
    assert response.status_code == 400 and "更正原因" in response.text
    response = post(client, f"/gov/penalties/{row.id}/correct", **form, reason="金额录错一位")
    assert response.status_code == 303
    db.expire_all()
    fixed = db.get(Penalty, row.id)
    assert fixed.amount == 5000 and fixed.corrected_at is not None
    rev = db.scalars(select(RecordRevision)).one()
    assert (rev.action, rev.record_id, rev.actor_id) == ("correct", row.id, actor.id)
    assert rev.before["amount"] == "50000.00" and rev.reason == "金额录错一位"
    public = client.get(f"/institutions/{home.id}").text
    assert "更正于" in public and "5,000.00" in public and "50,000.00" not in public
    history = client.get(f"/gov/institutions/{home.id}").text
    assert "金额录错一位" in history and "罚款金额（元）：50000.00" in history
    # Another office cannot correct it.
    other = department(db, "fire_rescue", east)
    db.commit()
    sign_in(client, db, Role.DEPARTMENT, department_id=other.id)
    assert post(client, f"/gov/penalties/{row.id}/correct", **form,
                reason="改一下").status_code == 403
    assert len(db.scalars(select(RecordRevision)).all()) == 1


def test_withdrawal_hides_the_record_from_the_public_page_with_a_note(client, db):
    east, west, home = two_districts(db)
    brigade = department(db, "fire_rescue", east)
    row = penalty(db, home, brigade, decision_no="东消罚〔2026〕9号")
    db.commit()
    row_id = row.id
    assert "东消罚〔2026〕9号" in client.get(f"/institutions/{home.id}").text
    supervisor = sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/gov/penalties/{row_id}/withdraw", reason="").status_code == 400
    response = post(client, f"/gov/penalties/{row_id}/withdraw",
                    reason="越区处罚，由西山区消防救援大队依法处理")
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Penalty, row_id) is None
    rev = db.scalars(select(RecordRevision)).one()
    assert rev.action == "withdraw" and rev.before["decision_no"] == "东消罚〔2026〕9号"
    assert rev.actor_id == supervisor.id and rev.department_id == brigade.id
    public = client.get(f"/institutions/{home.id}").text
    assert "暂无行政处罚记录" in public and "已撤销的记录" in public
    assert "越区处罚，由西山区消防救援大队依法处理" in public
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "penalty.withdraw")).one()
    assert audit.object_id == str(row_id)


def test_supervisor_reviews_every_offices_recent_records(client, db):
    east, west, home = two_districts(db)
    fire, market = department(db, "fire_rescue", west), department(db, "market_regulation", west)
    penalty(db, home, fire, decision_no="西消罚〔2026〕2号")
    penalty(db, home, market, decision_no="西市监罚〔2026〕3号")
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    page = client.get("/gov/records")
    assert page.status_code == 200
    assert "西消罚〔2026〕2号" in page.text and "西市监罚〔2026〕3号" in page.text
    only = client.get("/gov/records", params={"office": str(fire.id)}).text
    assert "西消罚〔2026〕2号" in only and "西市监罚〔2026〕3号" not in only
    bad = client.get("/gov/records", params={"office": "x", "since": "昨天"})
    assert bad.status_code == 200 and "格式应为年-月-日" in bad.text
    sign_in(client, db, Role.DEPARTMENT, department_id=fire.id)
    assert client.get("/gov/records").status_code == 403


def test_a_supervisor_cannot_enter_a_record_in_the_name_of_an_office_out_of_its_reach(client, db):
    east, west, home = two_districts(db)
    east_brigade, west_brigade = department(db, "fire_rescue", east), department(db, "fire_rescue", west)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, f"/gov/institutions/{home.id}/penalties",
                    **PENALTY, department_id=str(east_brigade.id))
    assert response.status_code == 403 and f"不能以{east_brigade.name}的名义录入" in response.text
    assert nothing_written(db)
    assert post(client, f"/gov/institutions/{home.id}/penalties",
                **PENALTY, department_id=str(west_brigade.id)).status_code == 303
