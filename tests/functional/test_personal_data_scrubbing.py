"""Free text leaving the staff side is scrubbed of personal data (issue 18 item 1): the
complainant's tracking page, staff outside the handlers; staff are warned before they submit a
text holding personal data, and may still submit it."""

from __future__ import annotations

from sqlalchemy import select

from complaints.models import Complaint, ComplaintEvent
from complaints.rules.intake import ComplaintInput
from complaints.services.filing import build_services
from complaints.services.tokens import tracking_tokens
from portal.accounts.rules.roles import Role
from portal.core.db import utcnow
from portal.core.settings import get_settings
from portal.reviews.models import Review

from factories import PASSWORD, department, district, institution, user
from support import csrf_token, login

NAME, PHONE = "张三丰", "13912345678"
ANSWER = ("已电话联系投诉人张三丰（139 1234 5678，身份证 530102199001011231），"
          "机构已按昆民罚〔2026〕12号于 2026-12-06 前整改，罚款 12,345.00 元。")
SCRUBBED = ("已电话联系投诉人张**（139****5678，身份证 5301**********1231），"
            "机构已按昆民罚〔2026〕12号于 2026-12-06 前整改，罚款 12,345.00 元。")
SECRETS = (NAME, "139 1234 5678", "530102199001011231")


def setup(db):
    d = district(db, name="滨江区")
    office = department(db, "civil_affairs", d)
    department(db, "civil_affairs")
    inst = institution(db, district_=d, name="滨江和乐养老院")
    handler = user(db, Role.DEPARTMENT, department_id=office.id)
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code="service_quality", institution_id=inst.id,
        description="晚上没人巡房，我是张三丰，电话 139-1234-5678",
        complainant_name=NAME, complainant_phone=PHONE))
    db.commit()
    return complaint, handler


def as_user(client, account):
    client.cookies.clear()
    login(client, account.username, PASSWORD)
    return csrf_token(client, "/staff/queue")


def answer(client, token, complaint_id, text, **extra):
    return client.post(f"/staff/complaints/{complaint_id}/answer", follow_redirects=False,
                       data={"csrf_token": token, "answer": text, "outcome": "substantiated",
                             **extra})


def test_an_answer_with_personal_data_is_held_back_with_a_warning_then_submitted(client, db):
    complaint, handler = setup(db)
    token = as_user(client, handler)
    held = answer(client, token, complaint.id, ANSWER)
    assert held.status_code == 200
    assert "含有个人信息：投诉人姓名、手机号码、身份证号码" in held.text
    assert 'name="confirm_personal_data" value="1"' in held.text and "仍然提交" in held.text
    assert ANSWER in held.text  # what was typed comes back
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "assigned"  # nothing saved yet
    sent = answer(client, token, complaint.id, ANSWER, confirm_personal_data="1")
    assert sent.status_code == 303
    db.expire_all()
    saved = db.get(Complaint, complaint.id)
    assert saved.status == "answered" and saved.answer_text == ANSWER  # stored as written


def test_an_answer_without_personal_data_goes_straight_through(client, db):
    complaint, handler = setup(db)
    token = as_user(client, handler)
    assert answer(client, token, complaint.id, "经核查属实，已增加夜班护理员。").status_code == 303


def test_a_return_reason_and_a_supervision_note_are_checked_too(client, db):
    complaint, handler = setup(db)
    token = as_user(client, handler)
    held = client.post(f"/staff/complaints/{complaint.id}/return", follow_redirects=False,
                       data={"csrf_token": token, "reason": "请联系 zhang＠example.com 核实"})
    assert held.status_code == 200 and "电子邮箱" in held.text
    assert "zhang＠example.com" in held.text  # kept in the reopened form
    supervisor = user(db, Role.SUPERVISOR)
    db.commit()
    token = as_user(client, supervisor)
    held = client.post(f"/staff/complaints/{complaint.id}/supervise", follow_redirects=False,
                       data={"csrf_token": token, "note": "请回电 0871-65123456"})
    assert held.status_code == 200 and "固定电话" in held.text
    db.expire_all()
    assert not db.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id,
        ComplaintEvent.kind.in_(("returned", "supervised")))).all()


def test_the_live_hint_names_what_the_text_holds(client, db):
    complaint, handler = setup(db)
    as_user(client, handler)
    token = csrf_token(client, f"/staff/complaints/{complaint.id}")
    path = f"/staff/complaints/{complaint.id}/personal-data"
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    hint = client.post(path, headers=headers, data={"answer": "已联系 ＋８６ １３９ １２３４ ５６７８",
                                                    "outcome": ""})
    assert hint.status_code == 200 and "手机号码" in hint.text and "仍然提交" in hint.text
    clean = client.post(path, headers=headers, data={"answer": "5 个工作日内整改完毕"})
    assert clean.status_code == 200 and "个人信息" not in clean.text


def test_the_tracking_page_shows_answers_and_notes_scrubbed(client, db):
    complaint, handler = setup(db)
    token = as_user(client, handler)
    assert answer(client, token, complaint.id, ANSWER, confirm_personal_data="1").status_code == 303
    link = "/complaints/t/" + tracking_tokens(get_settings()).dumps(str(complaint.id))
    client.cookies.clear()
    page = client.get(link)
    assert page.status_code == 200
    assert page.text.count(SCRUBBED) == 2  # the answer, and the answer step of the timeline
    for secret in SECRETS:
        assert secret not in page.text, secret
    # The handling office still reads what it wrote.
    as_user(client, handler)
    assert ANSWER in client.get(f"/staff/complaints/{complaint.id}").text


def test_staff_outside_the_handlers_read_free_text_scrubbed(client, db):
    complaint, handler = setup(db)
    co_office = department(db, "health")
    co_staff = user(db, Role.DEPARTMENT, department_id=co_office.id)
    db.commit()
    token = as_user(client, handler)
    assert client.post(f"/staff/complaints/{complaint.id}/co-request", follow_redirects=False,
                       data={"csrf_token": token, "department_id": str(co_office.id)}
                       ).status_code == 303
    assert "139-1234-5678" in client.get(f"/staff/complaints/{complaint.id}").text
    as_user(client, co_staff)
    page = client.get(f"/staff/complaints/{complaint.id}")
    assert page.status_code == 200
    assert "我是张**，电话 139****5678" in page.text
    assert "139-1234-5678" not in page.text and NAME not in page.text


def test_published_reviews_and_replies_are_scrubbed(client, db):
    inst = institution(db)
    db.commit()
    review = Review(institution_id=inst.id, rating_attitude=5, rating_hygiene=4, rating_meals=3,
                    rating_care=4, rating_fees=5, reviewer_name="李四",
                    text="护理员很耐心。我是李四，有事打 139.1234.5678 或发邮件 li4@example.com",
                    phone_hash="x" * 64, status="published",
                    reply_text="感谢李四的反馈，请致电院办 (0871)6512345 预约面谈。",
                    reply_at=utcnow())
    db.add(review)
    db.commit()
    page = client.get(f"/reviews/institution/{inst.id}").text
    assert "我是李*，有事打 139****5678 或发邮件 l***@example.com" in page
    assert "感谢李*的反馈，请致电院办 0871-***2345 预约面谈。" in page
    for secret in ("139.1234.5678", "li4@example.com", "6512345", "李四"):
        assert secret not in page, secret
