"""Whole lifecycles through the HTTP layer, and routing of every category."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from complaints.models import Complaint, ComplaintEvent
from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.rules.intake import ComplaintInput
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import build_services
from complaints.services.handling import HandlingService
from complaints.services.sweeps import close_unrated
from portal.accounts.rules.roles import Role
from portal.core.settings import get_settings
from portal.orgs.vocab import DEPARTMENT_TYPES

from factories import PASSWORD, department, district, institution, user
from support import csrf_token, login


def setup(db):
    d = district(db, name="滨江区")
    ca = department(db, "civil_affairs", d)
    department(db, "civil_affairs")
    inst = institution(db, district_=d, name="滨江和乐养老院")
    handler = user(db, Role.DEPARTMENT, department_id=ca.id)
    db.commit()
    return inst, ca, handler


def file_online(client, inst) -> str:
    """File on the public form; returns the complainant's tracking link."""
    response = client.post("/complaints/new", follow_redirects=False, data={
        "csrf_token": csrf_token(client, "/complaints/new"), "action": "submit",
        "institution_id": str(inst.id), "category": "service_quality",
        "description": "晚上没人巡房，老人摔倒后很久才被发现", "complainant_phone": "13511112222"})
    assert response.status_code == 303
    return response.headers["location"].split("?")[0]


def handle(client, handler, complaint_id, answer="经核查属实，已增加夜班护理员并加强巡查。"):
    login(client, handler.username, PASSWORD)
    token = csrf_token(client, "/staff/queue")
    assert client.post(f"/staff/complaints/{complaint_id}/sign", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.post(f"/staff/complaints/{complaint_id}/answer",
                       data={"csrf_token": token, "answer": answer,
                             "outcome": "substantiated"},
                       follow_redirects=False).status_code == 303
    client.post("/accounts/logout", data={"csrf_token": token})
    client.cookies.clear()


def feedback(client, link, level):
    return client.post(link + "/feedback", follow_redirects=False, data={
        "csrf_token": csrf_token(client, link), "satisfied": level})


def test_public_form_to_queue_to_answer_to_satisfied_close(client, db):
    inst, ca, handler = setup(db)
    link = file_online(client, inst)
    complaint = db.scalars(select(Complaint)).one()
    login(client, handler.username, PASSWORD)
    assert complaint.tracking_no in client.get("/staff/queue").text
    client.cookies.clear()
    handle(client, handler, complaint.id)
    page = client.get(link)
    assert "已答复" in page.text and "增加夜班护理员" in page.text
    assert feedback(client, link, "satisfied").status_code == 303
    db.expire_all()
    complaint = db.get(Complaint, complaint.id)
    assert complaint.status == "closed" and complaint.satisfaction == "satisfied"
    events = db.scalars(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
                        .order_by(ComplaintEvent.id)).all()
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("received", "assigned", "assigned"), ("assigned", "assigned", "assigned"),
        ("signed", "assigned", "signed"), ("answered", "signed", "answered"),
        ("confirmed", "answered", "closed")]
    assert events[2].actor_role == "department" and events[4].actor_role == ""


def test_unsatisfied_reopens_at_the_same_office_under_supervision(client, db):
    inst, ca, handler = setup(db)
    link = file_online(client, inst)
    complaint = db.scalars(select(Complaint)).one()
    handle(client, handler, complaint.id)
    assert feedback(client, link, "unsatisfied").status_code == 303
    db.expire_all()
    complaint = db.get(Complaint, complaint.id)
    assert complaint.status == "assigned" and complaint.reopened_count == 1
    assert complaint.responsible_department_id == ca.id and complaint.supervised_at
    kinds = [e.kind for e in db.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id).order_by(ComplaintEvent.id))]
    assert kinds[-2:] == ["reopened", "supervised"]
    login(client, handler.username, PASSWORD)
    assert complaint.tracking_no in client.get("/staff/queue").text


def test_unrated_answers_close_after_the_feedback_window(db):
    inst, ca, handler = setup(db)
    intake, _ = build_services(db, get_settings())
    received = datetime(2026, 10, 12, 2, tzinfo=UTC)
    complaint, _ = intake.submit(ComplaintInput(
        channel="phone", category_code="other", description="院内路灯坏了一个月",
        institution_id=inst.id, received_at=received), now=received)
    complaint.status, complaint.answered_at = "answered", received + timedelta(days=2)
    db.commit()
    handling = HandlingService(db, load_calendar(db), get_settings().timezone)
    assert close_unrated(db, handling, received + timedelta(days=10), 15) == 0
    assert close_unrated(db, handling, received + timedelta(days=18), 15) == 1
    assert complaint.status == "closed" and complaint.satisfaction is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("category", DEFAULT_CATEGORIES, ids=lambda c: c.code)
def test_every_category_routes_to_its_district_office_or_the_city(db, category):
    d = district(db)
    district_offices = {t: department(db, t, d) for t in DEPARTMENT_TYPES if t != "audit"}
    city_offices = {t: department(db, t) for t in DEPARTMENT_TYPES}
    inst = institution(db, district_=d)
    db.commit()
    intake, _ = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="web", category_code=category.code, description="测试各类投诉的派单",
        institution_id=inst.id))
    expected = district_offices.get(category.responsible) or city_offices[category.responsible]
    assert complaint.responsible_department_id == expected.id
    co = {h.department_id for h in complaint.co_handlings}
    assert co == {(district_offices.get(t) or city_offices[t]).id for t in category.co_handling}
