"""信用承诺 over HTTP: civil affairs judges the fulfilment (履约评价, audited, shown with who and
when), the red list refuses an institution with a credit blocker, red-listed institutions with a
blocker are flagged on their page and on the public red list, and complaints are answered with
an outcome (查实 / 部分查实 / 不属实 / 无法核实) that counts against the institution."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from complaints.models import Complaint
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from complaints.services.tokens import tracking_tokens
from portal.accounts.rules.roles import Role
from portal.backoffice.models import CreditCommitment, DisclosureDraft, DisclosureVersion
from portal.core.audit import AuditEvent
from portal.core.settings import get_settings
from portal.institutions.models import CreditEntry, FulfilmentAssessment
from portal.institutions.services import pagedoc

from factories import PASSWORD, department, district, institution, user
from factories.disclosures import credit_entry, inspection, penalty
from support import login, sign_in
from support import post_form as post


def setup_city(db):
    """A district office that handles the complaints about an institution of its district."""
    d = district(db, name="南湖区")
    department(db, "civil_affairs")
    office = department(db, "civil_affairs", d)
    inst = institution(db, district_=d, name="南湖康乐老年公寓")
    staff = {"ca": user(db, Role.DEPARTMENT, department_id=office.id)}
    db.commit()
    return office, inst, staff


def file_complaint(db, inst):
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="elder_abuse", description="护工推搡老人，老人身上有淤青",
        institution_id=inst.id, complainant_name="李四", complainant_phone="13712345678"))
    db.commit()
    return complaint


def today() -> date:
    return datetime.now(get_settings().timezone).date()


def public(client, inst_id: int) -> str:
    response = client.get(f"/institutions/{inst_id}")
    assert response.status_code == 200
    return response.text


def credit_check(html: str) -> str:
    """The page's 信用承诺履约与红名单核查 section."""
    match = re.search(r'<section[^>]*id="credit-check".*?</section>', html, re.S)
    assert match, "no credit check section"
    return match.group(0)


RED = {"list_type": "red", "reason": "连续三年等级评定优秀、无投诉", "legal_basis": "苏府办〔2021〕248号",
       "repair_status": ""}


def red_form() -> dict[str, str]:
    return {**RED, "listed_on": today().isoformat()}


# --- 履约评价 by civil affairs ------------------------------------------------------------------
def test_supervisor_records_a_fulfilment_assessment_shown_with_who_and_when(client, db):
    inst = institution(db)
    db.commit()
    assert "尚未评价" in credit_check(public(client, inst.id))
    actor = sign_in(client, db, Role.SUPERVISOR)
    entry_page = client.get(f"/gov/institutions/{inst.id}")
    assert "录入履约评价" in entry_page.text
    on = (today() - timedelta(days=3)).isoformat()
    response = post(client, f"/gov/institutions/{inst.id}/fulfilment", result="breach",
                    assessed_on=on, basis="检查发现未按承诺公开收费标准")
    assert response.status_code == 303
    assert "saved=assessment" in response.headers["location"]
    row = db.scalars(select(FulfilmentAssessment)).one()
    assert (row.result, row.recorded_by_id, row.department_id) == (
        "breach", actor.id, actor.department_id)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "fulfilment.assess")).one()
    assert event.actor_id == actor.id and event.detail["institution_id"] == inst.id
    section = credit_check(public(client, inst.id))
    assert "存在违诺" in section and on in section and actor.department.name in section
    assert "检查发现未按承诺公开收费标准" in section and "尚未评价" not in section
    # A breach is itself a blocker for the red list.
    assert "信用承诺存在违诺" in section
    # The latest judgement is in force.
    assert post(client, f"/gov/institutions/{inst.id}/fulfilment", result="kept",
                assessed_on=today().isoformat(), basis="已整改，复查合格").status_code == 303
    section = credit_check(public(client, inst.id))
    assert "履约良好" in section and "信用承诺存在违诺" not in section
    api = client.get(f"/api/v1/institutions/{inst.id}").json()["credit_check"]
    assert api["fulfilment_assessment"]["result"] == "kept"
    assert api["fulfilment_assessment"]["assessed_by"] == actor.department.name


def test_fulfilment_assessment_is_validated_and_civil_affairs_only(client, db):
    inst = institution(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    bad = post(client, f"/gov/institutions/{inst.id}/fulfilment", result="excellent",
               assessed_on="2999-01-01", basis="")
    assert bad.status_code == 400
    for message in ("请选择履约评价", "评价日期不能晚于今天", "请填写评价依据"):
        assert message in bad.text
    sign_in(client, db, Role.DEPARTMENT)
    refused = post(client, f"/gov/institutions/{inst.id}/fulfilment", result="kept",
                   assessed_on=today().isoformat(), basis="良好")
    assert refused.status_code == 403
    assert db.scalars(select(FulfilmentAssessment)).first() is None


# --- the red list refuses an institution with a blocker ----------------------------------------
def test_red_list_refuses_an_institution_with_an_overdue_rectification(client, db):
    inst = institution(db)
    deadline = today() - timedelta(days=666)
    inspection(db, inst, inspected_on=deadline - timedelta(days=30), findings="消防通道堆放杂物",
               rectification_status="pending", rectification_deadline=deadline)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    refused = post(client, f"/gov/institutions/{inst.id}/credit", **red_form())
    assert refused.status_code == 400
    assert "不能列入红名单" in refused.text and "整改逾期未完成" in refused.text
    assert "已逾期 666 天" in refused.text
    assert db.scalars(select(CreditEntry)).first() is None
    # The entry page says so before anyone tries.
    entry_page = client.get(f"/gov/institutions/{inst.id}").text
    assert 'id="credit-blockers"' in entry_page and "整改逾期未完成" in entry_page
    # The black list is not refused for it.
    black = {**red_form(), "list_type": "black", "reason": "拒不整改"}
    assert post(client, f"/gov/institutions/{inst.id}/credit", **black).status_code == 303


def test_red_list_refuses_a_recent_penalty_but_not_an_old_one(client, db):
    fined, old = institution(db), institution(db)
    penalty(db, fined, decided_on=today() - timedelta(days=40), decision_no="测民罚〔2026〕401号")
    penalty(db, old, decided_on=today() - timedelta(days=400), decision_no="测民罚〔2025〕402号")
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    refused = post(client, f"/gov/institutions/{fined.id}/credit", **red_form())
    assert refused.status_code == 400
    assert "受到行政处罚" in refused.text and "测民罚〔2026〕401号" in refused.text
    assert post(client, f"/gov/institutions/{old.id}/credit", **red_form()).status_code == 303


def test_existing_red_entry_of_a_blocked_institution_is_kept_and_flagged(client, db):
    blocked, clean = institution(db, name="逾期整改养老院"), institution(db, name="守信养老院")
    for inst in (blocked, clean):
        credit_entry(db, inst, "red", listed_on=today() - timedelta(days=700))
    inspection(db, blocked, inspected_on=today() - timedelta(days=700), findings="台账缺失",
               rectification_status="overdue", rectification_deadline=today() - timedelta(days=666))
    db.commit()
    page = public(client, blocked.id)
    assert 'id="red-list-flag"' in page and "整改逾期未完成" in credit_check(page)
    assert 'id="red-list-flag"' not in public(client, clean.id)
    red = client.get("/institutions/lists/red")
    assert red.status_code == 200
    rows = {name: row for row in re.findall(r"<tr>.*?</tr>", red.text, re.S)
            for name in ("逾期整改养老院", "守信养老院") if name in row}
    assert "存在不宜列入红名单的情形" in rows["逾期整改养老院"]
    assert "整改逾期未完成" in rows["逾期整改养老院"]
    assert "存在不宜列入红名单的情形" not in rows["守信养老院"]
    assert db.scalars(select(CreditEntry).where(
        CreditEntry.institution_id == blocked.id)).one().removed_on is None


def test_stored_page_document_flags_by_the_date_of_the_view(client, db):
    """The check is made per view: a rectification falls overdue after the document was built."""
    inst = institution(db)
    credit_entry(db, inst, "red", listed_on=today() - timedelta(days=100))
    inspection(db, inst, inspected_on=today() - timedelta(days=20), findings="台账缺失",
               rectification_status="pending", rectification_deadline=today() + timedelta(days=5))
    assert pagedoc.refresh(db, inst.id)
    db.commit()
    now_page = pagedoc.shown_page(db, inst.id, today())
    assert isinstance(now_page, pagedoc.DocPage) and now_page.credit_status.blockers == []
    assert 'id="red-list-flag"' not in public(client, inst.id)
    later = pagedoc.shown_page(db, inst.id, today() + timedelta(days=6))
    assert isinstance(later, pagedoc.DocPage) and later.credit_status.flagged_red
    assert [b.code for b in later.credit_status.blockers] == ["rectification_overdue"]


# --- complaint outcomes ------------------------------------------------------------------------
def test_answer_requires_an_outcome_shown_to_staff_and_in_the_history(client, db):
    _offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    login(client, staff["ca"].username, PASSWORD)
    answer = "经现场核查，护工推搡老人属实，已责令机构辞退涉事护工。"
    missing = post(client, f"/staff/complaints/{c.id}/answer", answer=answer)
    assert missing.status_code == 400 and "请选择核查结论" in missing.text
    assert answer in missing.text  # what was typed comes back
    wrong = post(client, f"/staff/complaints/{c.id}/answer", answer=answer, outcome="maybe")
    assert wrong.status_code == 400
    db.expire_all()
    assert db.get(Complaint, c.id).status != "answered"
    ok = post(client, f"/staff/complaints/{c.id}/answer", answer=answer, outcome="substantiated")
    assert ok.status_code == 303
    db.expire_all()
    row = db.get(Complaint, c.id)
    assert (row.status, row.outcome) == ("answered", "substantiated")
    detail = client.get(f"/staff/complaints/{c.id}").text
    assert '核查结论：<strong class="outcome">查实</strong>' in detail  # the answer
    assert "</strong>（核查结论：查实）" in detail  # its step in the history
    client.cookies.clear()
    token = tracking_tokens(get_settings()).dumps(str(c.id))
    tracked = client.get(f"/complaints/t/{token}")
    assert tracked.status_code == 200
    assert "核查结论：<strong>查实</strong>" in tracked.text and "李四" not in tracked.text


def test_a_substantiated_complaint_blocks_the_red_list_an_unfounded_one_does_not(client, db):
    _offices, inst, staff = setup_city(db)
    other = institution(db, district_=inst.district, name="不属实投诉养老院")
    db.commit()
    for target, outcome in ((inst, "partly"), (other, "unfounded")):
        c = file_complaint(db, target)
        client.cookies.clear()
        login(client, staff["ca"].username, PASSWORD)
        assert post(client, f"/staff/complaints/{c.id}/answer", outcome=outcome,
                    answer="经核查，已督促机构整改并加强培训。").status_code == 303
    sup = user(db, Role.SUPERVISOR, department_id=department(db, "civil_affairs").id)
    db.commit()
    client.cookies.clear()
    login(client, sup.username, PASSWORD)
    refused = post(client, f"/gov/institutions/{inst.id}/credit", **red_form())
    assert refused.status_code == 400 and "投诉经核查部分属实" in refused.text
    assert post(client, f"/gov/institutions/{other.id}/credit", **red_form()).status_code == 303
    assert "投诉经核查部分属实" in credit_check(public(client, inst.id))


def test_complaints_answered_before_outcomes_do_not_count_as_substantiated(client, db):
    _offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    row = db.get(Complaint, c.id)
    row.status, row.answered_at, row.answer_text = "answered", row.received_at, "旧答复"
    db.commit()
    assert db.get(Complaint, c.id).outcome is None
    sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/gov/institutions/{inst.id}/credit", **red_form()).status_code == 303


# --- the institution no longer declares its own fulfilment -------------------------------------
def test_commitment_form_has_no_fulfilment_and_old_drafts_are_still_approved(client, db):
    inst = institution(db)
    db.add(CreditCommitment(institution_id=inst.id, signed_on=date(2025, 1, 1),
                            text="旧承诺", fulfilment="履约良好"))
    old_shape = DisclosureDraft(
        institution_id=inst.id, section="commitment", status="submitted",
        payload={"signed_on": "2026-01-02", "text": "新承诺：依法诚信经营。", "fulfilment": "履约良好"},
        submitted_at=datetime.now(get_settings().timezone))
    db.add(old_shape)
    db.commit()
    # The self-declared value of the published row is not shown as fact.
    page = public(client, inst.id)
    assert "履约良好" not in page and "尚未评价" in credit_check(page)
    sign_in(client, db, Role.INSTITUTION, institution_id=inst.id)
    form = client.get("/manage/commitment")
    assert form.status_code == 200 and 'name="fulfilment"' not in form.text
    assert "由民政部门评价" in form.text
    sign_in(client, db, Role.SUPERVISOR)
    assert post(client, f"/admin/disclosures/{old_shape.id}/approve").status_code == 303
    db.expire_all()
    current = db.scalars(select(CreditCommitment).where(
        CreditCommitment.retired_on.is_(None))).one()
    assert current.text == "新承诺：依法诚信经营。" and current.fulfilment == ""
    page = public(client, inst.id)
    assert "新承诺：依法诚信经营。" in page and "履约情况：履约良好" not in page
    api = client.get(f"/api/v1/institutions/{inst.id}").json()
    assert "fulfilment" not in api["credit_commitment"]
    assert api["credit_check"]["fulfilment_assessment"] is None


def test_self_declared_fulfilment_in_the_change_history_is_labelled_as_such(client, db):
    inst = institution(db)
    db.add(DisclosureVersion(
        institution_id=inst.id, section="commitment", approved_by_label="市民政局",
        published_at=datetime.now(get_settings().timezone),
        changes=[{"field": "fulfilment", "label": "履约情况", "old": "（未填）", "new": "履约良好"}]))
    db.commit()
    page = public(client, inst.id)
    assert "<td>履约情况（机构自述，不作为履约评价）</td><td>（未填）</td><td>履约良好</td>" in page
    assert "<td>履约情况</td>" not in page
    history = client.get(f"/api/v1/institutions/{inst.id}").json()["change_history"]
    assert history[0]["changes"][0]["label"] == "履约情况（机构自述，不作为履约评价）"
