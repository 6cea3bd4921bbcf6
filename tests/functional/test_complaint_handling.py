"""Department queues and supervision over HTTP: the lifecycle, visibility and masking."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from complaints.models import Complaint
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.settings import get_settings

from factories import PASSWORD, department, district, institution, user
from support import csrf_token, login
from support import post_form as post
from support import statements as recorded


def setup_city(db):
    d = district(db, name="南湖区")
    offices = {
        "ca_city": department(db, "civil_affairs"),
        "ca": department(db, "civil_affairs", d),
        "mr": department(db, "market_regulation", d),
        "ps": department(db, "public_security"),
    }
    inst = institution(db, district_=d, name="南湖康乐老年公寓")
    staff = {
        "ca": user(db, Role.DEPARTMENT, department_id=offices["ca"].id),
        "mr": user(db, Role.DEPARTMENT, department_id=offices["mr"].id),
        "ps": user(db, Role.DEPARTMENT, department_id=offices["ps"].id),
        "sup": user(db, Role.SUPERVISOR, department_id=offices["ca_city"].id),
    }
    db.commit()
    return offices, inst, staff


def file_complaint(db, inst, category="elder_abuse", phone="13712345678", **extra):
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code=category, description="护工推搡老人，老人身上有淤青",
        institution_id=inst.id, complainant_name="李四", complainant_phone=phone, **extra))
    db.commit()
    return complaint


def test_handler_signs_and_answers_and_the_complainant_sees_it(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    login(client, staff["ca"].username, PASSWORD)
    queue = client.get("/staff/queue")
    assert c.tracking_no in queue.text
    assert "待签收（1）" in queue.text
    assert post(client, f"/staff/complaints/{c.id}/sign").status_code == 303
    short = post(client, f"/staff/complaints/{c.id}/answer", answer="已处理")
    assert short.status_code == 400 and "至少 10 个字" in short.text
    ok = post(client, f"/staff/complaints/{c.id}/answer", outcome="substantiated",
              answer="经核查，已责令机构辞退涉事护工，并对全体护理员开展培训。")
    assert ok.status_code == 303
    db.expire_all()
    c = db.get(Complaint, c.id)
    assert c.status == "answered" and c.answered_at is not None


def test_department_sees_phone_masked_and_unmasking_is_audited(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    login(client, staff["ca"].username, PASSWORD)
    page = client.get(f"/staff/complaints/{c.id}")
    assert "137****5678" in page.text and "13712345678" not in page.text
    assert "李*" in page.text and "李四" not in page.text
    revealed = post(client, f"/staff/complaints/{c.id}/reveal")
    assert "13712345678" in revealed.text
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "unmask")).one()
    assert audit.actor_id == staff["ca"].id and audit.object_id == str(c.id)


def test_supervisor_sees_masked_data_until_an_audited_unmasking(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    login(client, staff["sup"].username, PASSWORD)
    page = client.get(f"/staff/complaints/{c.id}")
    assert page.status_code == 200 and "137****5678" in page.text
    assert "13712345678" not in page.text
    assert "13712345678" in post(client, f"/staff/complaints/{c.id}/reveal").text
    assert db.scalars(select(AuditEvent).where(AuditEvent.actor_id == staff["sup"].id,
                                               AuditEvent.action == "unmask")).one()


def test_co_handling_office_never_sees_unmasked_contact(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)  # elder_abuse: public security co-handles
    login(client, staff["ps"].username, PASSWORD)
    assert "137****5678" in client.get(f"/staff/complaints/{c.id}").text
    assert post(client, f"/staff/complaints/{c.id}/reveal").status_code == 403


def test_other_office_gets_404_not_the_complaint(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst, category="service_quality")
    login(client, staff["mr"].username, PASSWORD)
    response = client.get(f"/staff/complaints/{c.id}")
    assert response.status_code == 404
    assert "护工" not in response.text
    assert post(client, f"/staff/complaints/{c.id}/sign").status_code == 404


def test_co_handling_office_can_read_and_reply_but_not_answer(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)  # elder_abuse: co-handled by public security
    login(client, staff["ps"].username, PASSWORD)
    assert "会办（1）" in client.get("/staff/queue").text
    assert client.get(f"/staff/complaints/{c.id}").status_code == 200
    assert post(client, f"/staff/complaints/{c.id}/answer", answer="x" * 20,
                outcome="unfounded").status_code == 409
    assert post(client, f"/staff/complaints/{c.id}/co-reply", reply="已派民警走访核实").status_code == 303


def test_returned_complaint_is_reassigned_by_supervisor_and_keeps_its_clock(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst, category="service_quality")
    due = c.due_at
    login(client, staff["ca"].username, PASSWORD)
    assert post(client, f"/staff/complaints/{c.id}/return", reason="属于食品安全问题").status_code == 303
    client.cookies.clear()
    login(client, staff["sup"].username, PASSWORD)
    assert c.tracking_no in client.get("/staff/supervision", params={"view": "returned"}).text
    assert post(client, f"/staff/complaints/{c.id}/reassign", department_id=str(offices["mr"].id),
                reason="食品问题转市场监管").status_code == 303
    db.expire_all()
    c = db.get(Complaint, c.id)
    assert c.responsible_department_id == offices["mr"].id
    assert c.status == "assigned" and c.due_at == due


def test_extension_approved_by_supervisor_moves_the_deadline(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    due = c.due_at
    login(client, staff["ca"].username, PASSWORD)
    assert post(client, f"/staff/complaints/{c.id}/extension", days="3",
                reason="需要调取监控录像").status_code == 303
    again = post(client, f"/staff/complaints/{c.id}/extension", days="2", reason="再延两天")
    assert again.status_code == 409
    client.cookies.clear()
    login(client, staff["sup"].username, PASSWORD)
    assert c.tracking_no in client.get("/staff/supervision", params={"view": "extensions"}).text
    assert post(client, f"/staff/complaints/{c.id}/extension-decision",
                decision="approve").status_code == 303
    db.expire_all()
    c = db.get(Complaint, c.id)
    assert c.extension_days == 3 and c.due_at >= due + timedelta(days=3)


def test_department_user_cannot_reach_supervision(client, db):
    offices, inst, staff = setup_city(db)
    login(client, staff["ca"].username, PASSWORD)
    assert client.get("/staff/supervision").status_code == 403


def test_overdue_complaints_lead_the_supervision_view(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    c.due_at = c.received_at - timedelta(hours=1)  # as if ten days had passed
    db.commit()
    login(client, staff["sup"].username, PASSWORD)
    page = client.get("/staff/supervision")
    assert c.tracking_no in page.text and "已超期" in page.text


def test_bulk_sign_signs_only_own_unsigned_complaints(client, db):
    offices, inst, staff = setup_city(db)
    mine = [file_complaint(db, inst, category="service_quality") for _ in range(3)]
    theirs = file_complaint(db, inst, category="food_safety")
    login(client, staff["ca"].username, PASSWORD)
    response = client.post("/staff/queue/sign", follow_redirects=False, data={
        "csrf_token": csrf_token(client), "ids": [str(c.id) for c in mine[:2]] + [str(theirs.id)]})
    assert response.status_code == 303 and "signed=2" in response.headers["location"]
    db.expire_all()
    assert [db.get(Complaint, c.id).status for c in mine] == ["signed", "signed", "assigned"]
    assert db.get(Complaint, theirs.id).status == "assigned"


def test_queue_filters_by_category_and_overdue(client, db):
    offices, inst, staff = setup_city(db)
    late = file_complaint(db, inst, category="service_quality")
    other = file_complaint(db, inst, category="deposit")
    late.due_at = late.received_at - timedelta(minutes=1)
    db.commit()
    login(client, staff["ca"].username, PASSWORD)
    overdue = client.get("/staff/queue", params={"due": "overdue"}).text
    assert late.tracking_no in overdue and other.tracking_no not in overdue
    by_category = client.get("/staff/queue", params={"category": "deposit"},
                             headers={"HX-Request": "true"})
    assert by_category.text.startswith('<div id="queue-table">')
    assert other.tracking_no in by_category.text and late.tracking_no not in by_category.text
    assert "（2 件待处理）" in client.get("/staff/queue/attention").text
    soon = file_complaint(db, inst, category="service_quality")
    soon.due_at = utcnow() + timedelta(hours=1)
    db.commit()
    due_soon = client.get("/staff/queue", params={"due": "soon"}).text
    assert soon.tracking_no in due_soon and late.tracking_no not in due_soon
    assert other.tracking_no not in due_soon
    both = client.get("/staff/queue", params={"due": "overdue", "category": "service_quality"})
    assert late.tracking_no in both.text and soon.tracking_no not in both.text
    csv = client.get("/staff/queue.csv", params={"due": "soon"}).content.decode("utf-8-sig")
    assert soon.tracking_no in csv and late.tracking_no not in csv


def test_queue_csv_has_no_personal_data_and_neutralises_formulas(client, db):
    offices, inst, staff = setup_city(db)
    intake, _ = build_services(db, get_settings())
    intake.submit(ComplaintInput(channel="web", category_code="service_quality",
                                 description="=HYPERLINK(\"http://evil\")护理不到位",
                                 institution_id=inst.id, complainant_name="周八",
                                 complainant_phone="13899998888"))
    db.commit()
    login(client, staff["ca"].username, PASSWORD)
    response = client.get("/staff/queue.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "13899998888" not in response.text and "周八" not in response.text
    assert "'=HYPERLINK" in response.text


def test_handler_requests_co_handling_from_another_office(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst, category="service_quality")
    login(client, staff["ca"].username, PASSWORD)
    assert post(client, f"/staff/complaints/{c.id}/co-request",
                department_id=str(offices["mr"].id)).status_code == 303
    again = post(client, f"/staff/complaints/{c.id}/co-request", department_id=str(offices["mr"].id))
    assert again.status_code == 400 and "已向该部门发起会办" in again.text
    client.cookies.clear()
    login(client, staff["mr"].username, PASSWORD)
    assert c.tracking_no in client.get("/staff/queue", params={"tab": "co"}).text


def test_co_handling_is_pending_while_the_complaint_is_open_and_again_after_reopening(client,
                                                                                     db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)  # elder_abuse: co-handled by public security
    login(client, staff["ps"].username, PASSWORD)
    assert "会办（1）" in client.get("/staff/queue").text
    client.cookies.clear()
    login(client, staff["ca"].username, PASSWORD)
    assert post(client, f"/staff/complaints/{c.id}/answer", outcome="partly",
                answer="经核查，护理员已调离岗位，机构已整改。").status_code == 303
    client.cookies.clear()
    login(client, staff["ps"].username, PASSWORD)
    assert "会办（0）" in client.get("/staff/queue").text  # answered: no longer pending
    assert c.tracking_no not in client.get("/staff/queue", params={"tab": "co"}).text

    db.expire_all()
    _, handling = build_services(db, get_settings())
    handling.complainant_feedback(db.get(Complaint, c.id), "unsatisfied", "仍有打骂")
    db.commit()
    assert "会办（1）" in client.get("/staff/queue").text  # reopened: pending again
    assert c.tracking_no in client.get("/staff/queue", params={"tab": "co"}).text


def test_queue_tabs_count_every_tab_exactly(client, db):
    offices, inst, staff = setup_city(db)
    complaints = [file_complaint(db, inst, category="service_quality") for _ in range(6)]
    for c in complaints[:3]:
        c.status, c.answered_at = "answered", c.received_at + timedelta(hours=1)
    complaints[3].status = "closed"
    complaints[4].status = "signed"
    db.commit()
    login(client, staff["ca"].username, PASSWORD)
    for tab in ("assigned", "signed", "answered"):  # each tab counts its own page or the others
        page = client.get("/staff/queue", params={"tab": tab}).text
        assert "待签收（1）" in page and "办理中（1）" in page and "已答复（4）" in page
    filtered = client.get("/staff/queue", params={"category": "deposit"}).text
    assert "待签收（1）" in filtered  # the badge counts the tab, not the filtered list


def test_queue_and_supervision_rows_do_not_copy_the_page_context(client, db, monkeypatch):
    """A `{% set %}` in a row loop makes Jinja copy the whole context for every url_for call
    in that row (profiled on a 30-row queue): the rows are iterated without one."""
    from jinja2.runtime import Context

    offices, inst, staff = setup_city(db)
    for _ in range(3):
        file_complaint(db, inst, category="service_quality")
    derived = []
    original = Context.derived
    monkeypatch.setattr(Context, "derived",
                        lambda self, locals=None: derived.append(1) or original(self, locals))
    login(client, staff["ca"].username, PASSWORD)
    for params in ({}, {"tab": "signed"}):
        page = client.get("/staff/queue", params=params)
        assert page.status_code == 200
    assert page.text.count("/staff/complaints/") == 0  # the signed tab is empty
    assert client.get("/staff/queue").text.count('href="http://testserver/staff/complaints/') == 3
    client.cookies.clear()
    login(client, staff["sup"].username, PASSWORD)
    assert client.get("/staff/supervision", params={"view": "all"}).text.count(
        'href="http://testserver/staff/complaints/') == 3
    assert derived == []


def test_queue_totals_come_from_the_counts_unless_a_filter_narrows_the_list(client, db):
    """No view counts the office's complaints one by one: the badges and an unfiltered tab's
    total are the trigger-kept counts; a filtered list (htmx swaps only the table) counts
    itself."""
    offices, inst, staff = setup_city(db)
    quality = [file_complaint(db, inst, category="service_quality") for _ in range(2)]
    abuse = file_complaint(db, inst)
    login(client, staff["ca"].username, PASSWORD)

    def counted() -> list[str]:
        flat = (" ".join(s.split()) for s in statements)
        return [s for s in flat if "count(*)" in s and "FROM complaints" in s]

    with recorded(db) as statements:
        full = client.get("/staff/queue").text
        assert "待签收（3）" in full and not counted()
        table = client.get("/staff/queue", params={"category": "service_quality"},
                           headers={"HX-Request": "true"}).text
        assert len(counted()) == 1
    assert all(c.tracking_no in table for c in quality) and abuse.tracking_no not in table
    assert "待签收（" not in table
