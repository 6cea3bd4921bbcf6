"""Filing a complaint on the public form: routing, the clock, tracking, feedback."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from complaints.models import CoHandling, Complaint, ComplaintEvent
from complaints.numbers import number_key, permute
from portal.db import get_engine
from portal.jobs import OutboxJob
from portal.settings import get_settings

from factories import department, district, institution
from support import csrf_token
from support import statements as recorded


def city_with_offices(db):
    d = district(db, name="东城区")
    offices = {
        ("civil_affairs", None): department(db, "civil_affairs"),
        ("civil_affairs", d.id): department(db, "civil_affairs", d),
        ("fire_rescue", None): department(db, "fire_rescue"),
        ("market_regulation", d.id): department(db, "market_regulation", d),
        ("public_security", None): department(db, "public_security"),
    }
    inst = institution(db, district_=d, name="东城幸福颐养院")
    db.commit()
    return d, offices, inst


def file(client, **fields):
    data = {"csrf_token": csrf_token(client, "/complaints/new"), "action": "submit", **fields}
    return client.post("/complaints/new", data=data, follow_redirects=False)


def test_public_complaint_is_routed_clocked_and_tracked(client, db):
    d, offices, inst = city_with_offices(db)
    response = file(client, institution_id=str(inst.id), category="fire_safety",
                    description="走廊堆满杂物，消防通道被堵住了", complainant_name="张三",
                    complainant_phone="138 1234 5678")
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert "投诉已受理" in page.text
    complaint = db.scalars(select(Complaint)).one()
    # fire_rescue has no district office here: the city office takes it.
    assert complaint.responsible_department_id == offices[("fire_rescue", None)].id
    assert complaint.tracking_no in page.text
    assert offices[("fire_rescue", None)].name in page.text
    assert complaint.complainant_phone == "13812345678"
    assert "13812345678" not in page.text and "张三" not in page.text
    co = db.scalars(select(CoHandling)).all()
    assert [c.department_id for c in co] == [offices[("civil_affairs", d.id)].id]
    kinds = [e.kind for e in db.scalars(select(ComplaintEvent).order_by(ComplaintEvent.id))]
    assert kinds == ["received", "assigned", "co_handling_requested"]
    assert complaint.due_at > complaint.received_at
    assert db.scalars(select(OutboxJob)).one().func == "portal.notify:send_notification"


def test_district_office_is_preferred_for_a_district_institution(client, db):
    d, offices, inst = city_with_offices(db)
    response = file(client, institution_id=str(inst.id), category="food_safety",
                    description="饭菜经常是馊的，老人吃了拉肚子", anonymous="1")
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.responsible_department_id == offices[("market_regulation", d.id)].id
    assert complaint.anonymous and complaint.complainant_phone == "" and complaint.access_code


def test_falls_buildings_and_allocated_land_are_led_by_civil_affairs(client, db):
    """The seeds' division of duties (SPEC §3, corrected): 民政 leads, 住建/应急/公安/自然资源 co-handle."""
    d, offices, inst = city_with_offices(db)
    housing = department(db, "housing_construction")
    emergency = department(db, "emergency_management")
    land = department(db, "natural_resources")
    db.commit()
    civil = offices[("civil_affairs", d.id)].id
    expected = {
        "safety_incident": [emergency.id, offices[("public_security", None)].id],
        "building_safety": [housing.id],
        "allocated_land": [land.id],
    }
    for category, co_offices in expected.items():
        response = file(client, institution_id=str(inst.id), category=category,
                        description="老人夜里在走廊摔伤，墙体开裂，土地被出租", anonymous="1")
        assert response.status_code == 303, category
        complaint = db.scalars(select(Complaint).where(Complaint.category_code == category)).one()
        assert complaint.responsible_department_id == civil, category
        co = db.scalars(select(CoHandling.department_id)
                        .where(CoHandling.complaint_id == complaint.id)
                        .order_by(CoHandling.id)).all()
        assert co == co_offices, category


def test_unregistered_place_carries_address_and_district(client, db):
    d, offices, _ = city_with_offices(db)
    response = file(client, unregistered="1", place_name="某小区内无名托老所",
                    place_address="东城区春风路 8 号 2 单元", district_id=str(d.id),
                    category="unlicensed", description="小区里有人私自开托老所，住了十几个老人")
    assert response.status_code == 303
    complaint = db.scalars(select(Complaint)).one()
    assert complaint.institution_id is None and complaint.district_id == d.id
    assert complaint.responsible_department_id == offices[("civil_affairs", d.id)].id


def test_invalid_form_keeps_input_and_explains_in_chinese(client, db):
    city_with_offices(db)
    response = file(client, category="", description="短", complainant_phone="12345")
    assert response.status_code == 400
    assert "请选择投诉类别" in response.text
    assert "至少 5 个字" in response.text
    assert "电话号码格式不正确" in response.text
    assert 'value="12345"' in response.text
    assert db.scalars(select(Complaint)).first() is None


def test_picker_finds_institutions_without_javascript(client, db):
    _, _, inst = city_with_offices(db)
    response = client.post("/complaints/new", data={
        "csrf_token": csrf_token(client, "/complaints/new"), "action": "find",
        "institution_q": "幸福", "description": "保留我写的内容"})
    assert response.status_code == 200
    assert f'value="{inst.id}"' in response.text
    assert "保留我写的内容" in response.text


def test_tracking_by_number_and_phone_digits_then_feedback(client, db):
    _, offices, inst = city_with_offices(db)
    file(client, institution_id=str(inst.id), category="service_quality",
         description="护理员经常不在岗，老人按铃没人管", complainant_phone="13900001111")
    complaint = db.scalars(select(Complaint)).one()
    token = csrf_token(client, "/complaints/track")
    wrong = client.post("/complaints/track", data={
        "csrf_token": token, "tracking_no": complaint.tracking_no, "secret": "0000"})
    assert wrong.status_code == 400
    right = client.post("/complaints/track", data={
        "csrf_token": token, "tracking_no": complaint.tracking_no, "secret": "1111"},
        follow_redirects=False)
    assert right.status_code == 303
    link = right.headers["location"]
    assert "已派单" in client.get(link).text
    # The complainant cannot rate before an answer exists.
    early = client.post(link + "/feedback", data={"csrf_token": token, "satisfied": "1"})
    assert early.status_code == 400


def test_forged_tracking_link_is_404(client):
    assert client.get("/complaints/t/1.abc.def").status_code == 404


def test_clock_api_counts_working_days_with_offset_conversion(client):
    # 2026-09-30T16:30Z is 2026-10-01 00:30 in Shanghai, a holiday (10-01..07); day 1 is
    # Thu 10-08, and Sat 10-10 is a 调休 workday.
    body = client.get("/api/v1/clock", params={"received_at": "2026-09-30T16:30:00Z"}).json()
    assert body["due_at"] == "2026-10-14T00:00:00+08:00"
    assert body["provisional"] is False
    counted = [d["date"] for d in body["days"] if d["counted"]]
    assert counted == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"]


def test_clock_api_names_the_field_of_a_number_too_long_to_read(client):
    # 5000 digits once reached int() (Python refuses > 4300 digits): a 500, now the API's 400.
    response = client.get("/api/v1/clock", params={
        "received_at": "2026-09-30T16:30:00Z", "working_days": "9" * 5000})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "working_days"


def test_clock_api_marks_unknown_years_provisional(client):
    body = client.get("/api/v1/clock", params={
        "received_at": "2027-03-01T10:00:00+08:00", "working_days": "3"}).json()
    assert body["provisional"] is True
    assert body["due_at"] == "2027-03-05T00:00:00+08:00"


def test_clock_api_rejects_bad_input_with_field_names(client):
    bad = client.get("/api/v1/clock", params={"received_at": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "received_at"
    naive = client.get("/api/v1/clock", params={"received_at": "2026-01-05T10:00:00"})
    assert naive.json()["error"]["field"] == "received_at"
    days = client.get("/api/v1/clock", params={"received_at": "2026-01-05T10:00:00+08:00",
                                               "working_days": "0"})
    assert days.json()["error"]["field"] == "working_days"


def test_tracking_numbers_are_the_day_and_eight_digits_that_do_not_count_up(client, db):
    """Issue 18, item 2: the number no longer ends in the row id, so one complainant's number
    does not lead to the next complaint's."""
    _, _, inst = city_with_offices(db)
    for n in range(3):
        file(client, institution_id=str(inst.id), category="pricing",
             description=f"随意涨价不公示价格（第 {n} 次）")
    complaints = db.scalars(select(Complaint).order_by(Complaint.id)).all()
    local = complaints[0].received_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    for complaint in complaints:
        assert re.fullmatch(local.strftime("%Y%m%d") + r"\d{8}", complaint.tracking_no)
        assert not complaint.tracking_no.endswith(f"{complaint.id:06d}")
        assert complaint.received_at <= datetime.now(UTC)
    suffixes = [int(c.tracking_no[8:]) for c in complaints]
    assert suffixes[1] - suffixes[0] != 1 and suffixes[2] - suffixes[1] != 1


def test_on_postgresql_a_complaint_row_is_written_once(client, db, database_url):
    """The id is taken before the INSERT, so the tracking number needs no UPDATE (SQLite's
    ids come with the INSERT: it updates, in-process and cheap)."""
    _, _, inst = city_with_offices(db)
    with recorded(get_engine(database_url)) as statements:
        for _ in range(2):
            assert file(client, institution_id=str(inst.id), category="pricing",
                        description="随意涨价不公示价格").status_code == 303
    first, second = db.scalars(select(Complaint).order_by(Complaint.id)).all()
    key = number_key(get_settings().secret_key)
    assert second.id > first.id and second.tracking_no.endswith(f"{permute(second.id, key):08d}")
    updates = [s for s in statements if s.startswith("UPDATE complaints")]
    assert len(updates) == (0 if database_url.startswith("postgresql") else 2)


def test_public_filings_are_rate_limited_per_ip_with_a_chinese_message(client, db):
    _, _, inst = city_with_offices(db)
    statuses = [
        file(client, institution_id=str(inst.id), category="other",
             description=f"第 {n} 次反映同一个问题").status_code
        for n in range(11)
    ]
    assert statuses[:10] == [303] * 10
    assert statuses[10] == 429
    assert db.scalars(select(Complaint)).all().__len__() == 10
