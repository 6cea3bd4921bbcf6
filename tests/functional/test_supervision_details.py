"""The supervisor's and the office's small things (issue 21 item 13): days overdue on the lists,
late signing (签收) flagged, a confirmation after 督办 and 改派, the offices to reassign to
grouped by level and district."""

from __future__ import annotations

import re
from datetime import date, timedelta

from test_complaint_handling import file_complaint, setup_city

from complaints.models import Complaint

from factories import PASSWORD, department, district
from support import login
from support import post_form as post


def row_of(html: str, text: str) -> str:
    """The table row that holds `text`."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*?{re.escape(text)}.*?</tr>", html, re.S)
    assert match, text
    return match.group()


def test_supervision_list_shows_days_overdue(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    # As if its last working day had been ten calendar days ago.
    c.due_at = c.received_at - timedelta(hours=1)
    c.due_last_day = date.today() - timedelta(days=10)
    db.commit()
    login(client, staff["sup"].username, PASSWORD)
    page = client.get("/staff/supervision").text
    row = row_of(page, c.tracking_no)
    assert re.search(r"超期 (9|10|11) 天", row), row  # the local date may differ by one


def test_late_signing_is_flagged_on_the_queue_and_the_complaint(client, db):
    offices, inst, staff = setup_city(db)
    unsigned = file_complaint(db, inst)
    late = file_complaint(db, inst, phone="13712345679")
    on_time = file_complaint(db, inst, phone="13712345670")
    for c in (unsigned, late):
        c.sign_due_at = c.received_at - timedelta(minutes=1)
    db.commit()
    login(client, staff["ca"].username, PASSWORD)
    for c in (late, on_time):
        assert post(client, f"/staff/complaints/{c.id}/sign").status_code == 303
    queue = client.get("/staff/queue", params={"tab": "assigned"}).text
    assert "超时未签收" in row_of(queue, unsigned.tracking_no)
    signed = client.get("/staff/queue", params={"tab": "signed"}).text
    assert "逾期签收" in row_of(signed, late.tracking_no)
    assert "逾期签收" not in row_of(signed, on_time.tracking_no)
    detail = client.get(f"/staff/complaints/{late.id}").text
    assert '<span class="badge overdue">逾期签收</span>' in detail


def test_supervising_and_reassigning_are_confirmed(client, db):
    offices, inst, staff = setup_city(db)
    c = file_complaint(db, inst)
    login(client, staff["sup"].username, PASSWORD)
    done = post(client, f"/staff/complaints/{c.id}/supervise", note="请尽快核实并答复投诉人")
    assert done.status_code == 303 and done.headers["location"].endswith("?done=supervised")
    page = client.get(done.headers["location"]).text
    assert 'role="status"' in page and "督办已发出" in page
    moved = post(client, f"/staff/complaints/{c.id}/reassign",
                 department_id=str(offices["mr"].id), reason="属于市场监管职责")
    assert "已改派" in client.get(moved.headers["location"]).text
    db.expire_all()
    assert db.get(Complaint, c.id).responsible_department_id == offices["mr"].id
    # A plain visit shows no confirmation.
    assert "督办已发出" not in client.get(f"/staff/complaints/{c.id}").text


def test_reassign_offices_are_grouped_by_level_and_district(client, db):
    offices, inst, staff = setup_city(db)
    north = district(db, name="北山区")
    department(db, "civil_affairs", north)
    db.commit()
    c = file_complaint(db, inst)
    login(client, staff["sup"].username, PASSWORD)
    page = client.get(f"/staff/complaints/{c.id}").text
    select = page[page.index('id="t-dept"'):].split("</select>")[0]
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S)
    labels = [label for label, _ in groups]
    assert labels[0] == "市级部门" and {"南湖区", "北山区"} <= set(labels)
    by_label = dict(groups)
    assert offices["ps"].name in by_label["市级部门"]
    assert offices["mr"].name in by_label["南湖区"] and offices["mr"].name not in by_label["北山区"]
