"""A public form posted after the browser's CSRF cookie expired (issue 21 item 8): the form comes
back with everything typed, a fresh token and a plain explanation; nothing is stored until it is
posted again, and then exactly once."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from complaints.models import Complaint
from portal.accounts.rules.roles import Role
from portal.core.security import CSRF_COOKIE
from portal.opendays.models import Signup
from portal.orgs.models import Department
from portal.reviews.models import Review

from factories import PASSWORD, department, district, institution, user
from factories.opendays import scheduled_open_day
from support import CSRF_RE, csrf_token, login

EXPLANATION = "页面停留时间较长，为保护您的信息安全需要重新确认，您填写的内容已保留"
PHONE = "13912345678"
DESCRIPTION = "夜里按呼叫铃半小时没人来，老人尿湿了床，护工说人手不够。"


def count(db, model) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


def field_value(html: str, name: str) -> str | None:
    """The value attribute of the <input name=...> (None when it has none)."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert tag, name
    value = re.search(r'\bvalue="([^"]*)"', tag.group())
    return value.group(1) if value else None


def expire_cookie(client) -> None:
    """What a browser does with a session cookie when it is closed (or the cookie is lost)."""
    client.cookies.delete(CSRF_COOKIE)


def complaint_city(db):
    d = district(db, name="东城区")
    department(db, "civil_affairs")
    department(db, "civil_affairs", d)
    inst = institution(db, district_=d, name="东城幸福颐养院")
    db.commit()
    return inst


def complaint_form(inst, token: str | None) -> dict[str, str]:
    data = {"action": "submit", "institution_q": "东城幸福", "institution_id": str(inst.id),
            "category": "service_quality", "description": DESCRIPTION,
            "complainant_name": "王阿姨", "complainant_phone": PHONE,
            "form_nonce": "n" * 22}
    return {**data, "csrf_token": token} if token is not None else data


def test_an_expired_cookie_gives_the_complaint_form_back_with_the_text(client, db, caplog):
    inst = complaint_city(db)
    old_token = csrf_token(client, "/complaints/new")
    expire_cookie(client)
    with caplog.at_level(logging.DEBUG):
        refused = client.post("/complaints/new", data=complaint_form(inst, old_token),
                              follow_redirects=False)
    assert refused.status_code == 403
    assert EXPLANATION in refused.text
    assert 'id="form-errors"' in refused.text and 'role="alert"' in refused.text
    assert DESCRIPTION in refused.text  # in the textarea
    assert field_value(refused.text, "complainant_phone") == PHONE
    assert field_value(refused.text, "complainant_name") == "王阿姨"
    assert re.search(rf'name="institution_id" value="{inst.id}"\s+checked', refused.text)
    assert refused.headers["cache-control"] == "no-store"
    assert CSRF_COOKIE in refused.cookies  # a new secret for this browser
    fresh = CSRF_RE.search(refused.text).group(1)
    assert fresh != old_token
    assert count(db, Complaint) == 0  # nothing filed by the refused post
    assert PHONE not in caplog.text  # the phone is shown back, never logged

    again = client.post("/complaints/new", data=complaint_form(inst, fresh),
                        follow_redirects=False)
    assert again.status_code == 303
    assert "投诉已受理" in client.get(again.headers["location"]).text
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.description == DESCRIPTION and complaint.complainant_phone == PHONE


def test_a_missing_token_keeps_the_form_too_and_the_fresh_one_files_once(client, db):
    inst = complaint_city(db)
    csrf_token(client, "/complaints/new")  # the browser has its cookie; the form lost its token
    refused = client.post("/complaints/new", data=complaint_form(inst, None),
                          follow_redirects=False)
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert DESCRIPTION in refused.text
    assert field_value(refused.text, "complainant_phone") == PHONE
    assert count(db, Complaint) == 0
    fresh = CSRF_RE.search(refused.text).group(1)
    data = complaint_form(inst, fresh)
    assert client.post("/complaints/new", data=data, follow_redirects=False).status_code == 303
    # Posted twice (the back button, a double click): still one complaint.
    assert client.post("/complaints/new", data=data, follow_redirects=False).status_code == 303
    assert count(db, Complaint) == 1


def test_a_forged_token_is_refused_storing_nothing(client, db):
    inst = complaint_city(db)
    csrf_token(client, "/complaints/new")
    refused = client.post("/complaints/new", data=complaint_form(inst, "forged.token"),
                          follow_redirects=False)
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert count(db, Complaint) == 0


REVIEW = {"rating_attitude": "5", "rating_hygiene": "4", "rating_meals": "3",
          "rating_care": "4", "rating_fees": "5", "reviewer_name": "张三丰", "phone": PHONE,
          "text": "护理员很耐心，每天帮老人翻身，饭菜偏咸。"}


def test_the_review_form_comes_back_with_ratings_text_and_phone(client, db):
    inst = institution(db)
    db.commit()
    old_token = csrf_token(client, f"/reviews/new/{inst.id}")
    expire_cookie(client)
    refused = client.post(f"/reviews/new/{inst.id}", data={**REVIEW, "csrf_token": old_token},
                          follow_redirects=False)
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert REVIEW["text"] in refused.text
    assert field_value(refused.text, "phone") == PHONE
    assert re.search(r'name="rating_meals" value="3"\s+checked', refused.text)
    assert refused.headers["cache-control"] == "no-store"
    assert count(db, Review) == 0
    fresh = CSRF_RE.search(refused.text).group(1)
    again = client.post(f"/reviews/new/{inst.id}", data={**REVIEW, "csrf_token": fresh},
                        follow_redirects=False)
    assert again.status_code == 303
    assert count(db, Review) == 1


def test_the_open_day_sign_up_comes_back_with_name_and_phone(client, db):
    event = scheduled_open_day(db)
    data = {"name": "李四", "phone": PHONE, "identity": "家属", "party_size": "2"}
    old_token = csrf_token(client, f"/opendays/{event.id}")
    expire_cookie(client)
    refused = client.post(f"/opendays/{event.id}/signup", data={**data, "csrf_token": old_token},
                          follow_redirects=False)
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert field_value(refused.text, "name") == "李四"
    assert field_value(refused.text, "phone") == PHONE
    assert re.search(r'value="2"\s+selected', refused.text)
    assert count(db, Signup) == 0
    fresh = CSRF_RE.search(refused.text).group(1)
    again = client.post(f"/opendays/{event.id}/signup", data={**data, "csrf_token": fresh},
                        follow_redirects=False)
    assert again.status_code == 303
    assert count(db, Signup) == 1


def answered_complaint(client, db) -> tuple[Complaint, str]:
    """A complaint filed online and answered by its office; the complainant's link."""
    inst = complaint_city(db)
    office = db.scalars(select(Department).where(Department.district_id.is_not(None))).one()
    handler = user(db, Role.DEPARTMENT, department_id=office.id)
    db.commit()
    filed = client.post("/complaints/new", data=complaint_form(inst, csrf_token(
        client, "/complaints/new")), follow_redirects=False)
    link = filed.headers["location"].split("?")[0]
    complaint = db.scalars(select(Complaint)).one()
    login(client, handler.username, PASSWORD)
    token = csrf_token(client, "/staff/queue")
    for step, data in (("sign", {}), ("answer", {"answer": "已核实，夜班增加一名护理员。",
                                                 "outcome": "substantiated"})):
        assert client.post(f"/staff/complaints/{complaint.id}/{step}", follow_redirects=False,
                           data={"csrf_token": token, **data}).status_code == 303
    client.cookies.clear()
    return complaint, link


def test_the_complaint_feedback_comes_back_with_the_choice_and_note(client, db):
    complaint, link = answered_complaint(client, db)
    old_token = csrf_token(client, link)
    expire_cookie(client)
    note = "护理员现在来得快多了，谢谢。"
    refused = client.post(link + "/feedback", follow_redirects=False, data={
        "csrf_token": old_token, "satisfied": "basically_satisfied", "note": note})
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert note in refused.text
    assert re.search(r'value="basically_satisfied"\s+checked', refused.text)
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"  # not closed by the refusal
    fresh = CSRF_RE.search(refused.text).group(1)
    again = client.post(link + "/feedback", follow_redirects=False, data={
        "csrf_token": fresh, "satisfied": "basically_satisfied", "note": note})
    assert again.status_code == 303
    db.expire_all()
    assert db.get(Complaint, complaint.id).satisfaction == "basically_satisfied"


def test_the_login_form_keeps_the_user_name_never_the_password(client, db):
    account = user(db, Role.OPERATOR)
    db.commit()
    old_token = csrf_token(client, "/accounts/login")
    expire_cookie(client)
    refused = client.post("/accounts/login", follow_redirects=False, data={
        "csrf_token": old_token, "username": account.username, "password": PASSWORD})
    assert refused.status_code == 403 and EXPLANATION in refused.text
    assert field_value(refused.text, "username") == account.username
    assert field_value(refused.text, "password") is None
    assert PASSWORD not in refused.text
    login(client, account.username, PASSWORD)  # with the fresh token it signs in
    assert client.get("/accounts/me", follow_redirects=False).status_code == 200


def test_a_form_whose_record_is_gone_gets_the_plain_refusal(client, db):
    csrf_token(client)
    refused = client.post("/reviews/new/999999", data=REVIEW, follow_redirects=False)
    assert refused.status_code == 403
    assert "安全校验未通过" in refused.text and EXPLANATION not in refused.text


def test_forms_of_signed_in_staff_and_htmx_posts_keep_the_plain_refusal(client, db):
    account = user(db, Role.OPERATOR)
    db.commit()
    login(client, account.username, PASSWORD)
    refused = client.post("/operator/", data={"description": DESCRIPTION},
                          follow_redirects=False)
    assert refused.status_code == 403
    assert "安全校验未通过" in refused.text and EXPLANATION not in refused.text
    htmx = client.post("/complaints/new", data={"description": DESCRIPTION},
                       headers={"hx-request": "true"}, follow_redirects=False)
    assert htmx.status_code == 403 and EXPLANATION not in htmx.text
