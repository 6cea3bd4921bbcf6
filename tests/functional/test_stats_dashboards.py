"""Internal dashboards: an office's queue health, the supervisors' ranking, an institution."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.accounts.rules.roles import Role
from portal.core.db import utcnow

from factories import PASSWORD, department, district, institution, user
from factories.complaints import complaint_row as add
from support import login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def offices_with_queues(db):
    """A: 1 overdue + 1 due in a week; B: 2 overdue; C: nothing open."""
    now = utcnow()
    d = district(db)
    a = department(db, "civil_affairs", d)
    b = department(db, "market_regulation", d)
    add(db, a, now - timedelta(days=10), due=now - timedelta(hours=1), status="signed")
    add(db, a, now - timedelta(hours=1), due=now + timedelta(days=7))
    for _ in range(2):
        add(db, b, now - timedelta(days=10), due=now - timedelta(days=2))
    db.commit()
    return a, b


@sqlite_only
def test_office_dashboard_shows_its_own_queue_only(client, db):
    a, b = offices_with_queues(db)
    staff = user(db, Role.DEPARTMENT, department_id=a.id)
    db.commit()
    login(client, staff.username, PASSWORD)
    response = client.get("/dashboard/", follow_redirects=True)
    assert response.status_code == 200
    html = response.text
    assert f"{a.name}工作看板" in html
    queue = html[html.index("当前在办投诉"):html.index("近12个月")]
    assert "<dt>在办</dt><dd>2 件</dd>" in queue
    assert "<dd>1 件</dd>" in queue.split("已超期")[1]
    # Another office's number in the query string is ignored for department staff.
    assert f"{a.name}工作看板" in client.get(f"/dashboard/office?office={b.id}").text
    assert '<svg class="chart-svg chart-wide"' in html


@sqlite_only
def test_supervisor_ranking_puts_the_most_overdue_office_first(client, db):
    a, b = offices_with_queues(db)
    boss = user(db, Role.SUPERVISOR)
    db.commit()
    login(client, boss.username, PASSWORD)
    html = client.get("/dashboard/", follow_redirects=True).text
    assert "各部门办理看板" in html
    assert html.index(b.name) < html.index(a.name)
    assert f"{b.name}工作看板" in client.get(f"/dashboard/office?office={b.id}").text
    assert client.get("/dashboard/office?office=999999").status_code == 404


@sqlite_only
def test_institution_sees_its_own_board_and_civil_affairs_any(client, db):
    d = district(db)
    own = institution(db, d)
    other = institution(db, d)
    account = user(db, Role.INSTITUTION, institution_id=own.id)
    civil = user(db, Role.DEPARTMENT, department_id=department(db, "civil_affairs", d).id)
    police = user(db, Role.DEPARTMENT, department_id=department(db, "public_security", d).id)
    db.commit()
    login(client, account.username, PASSWORD)
    html = client.get("/dashboard/", follow_redirects=True).text
    assert f"{own.name}看板" in html and "信息公开完整度" in html
    assert client.get(f"/dashboard/institutions/{other.id}").status_code == 403
    login(client, civil.username, PASSWORD)
    assert f"{other.name}看板" in client.get(f"/dashboard/institutions/{other.id}").text
    login(client, police.username, PASSWORD)
    assert client.get(f"/dashboard/institutions/{other.id}").status_code == 404
