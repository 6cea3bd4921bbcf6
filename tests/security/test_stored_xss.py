"""Stored XSS and template injection: payloads typed into every free-text field, through the
real forms, render inert on every public and staff page that shows them, and the CSV export
neutralises formula cells.

Escaping is done by Jinja2 and the search highlighter, the same on both engines: SQLite only.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from complaints.models import Complaint
from portal.core.db import utcnow
from portal.core.settings import get_settings
from portal.opendays.models import OpenDay
from portal.reviews.models import Review

from factories import PASSWORD
from security_world import build_world
from support import csrf_token, login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
TEMPLATE = "T{{7*7}}T"


def payload(label: str, lead: str = "") -> str:
    """A labelled payload; `lead` puts a spreadsheet formula first."""
    return f"{lead}{label}{TEMPLATE}{SCRIPT}{IMG}{JS_URL}"


# What must never appear in a rendered page (tags and attributes that would run).
LIVE = [re.compile(p, re.I) for p in (
    r"<script>alert", r"<img src=x", r"<[^>]*\son\w+\s*=\s*alert", r"href\s*=\s*[\"']?\s*javascript:",
    r"src\s*=\s*[\"']?\s*javascript:", r"T49T",
)]
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_inert(label: str, html: str, *markers: str) -> None:
    for pattern in LIVE:
        assert not pattern.search(html), (label, pattern.pattern)
    for marker in markers:
        # The payload got through and was shown escaped (so the check above means something).
        assert marker in html, (label, marker)
        at = html.index(marker)
        assert ESCAPED_SCRIPT in html[at:at + 200], (label, marker, html[at:at + 200])
        assert TEMPLATE in html[at:at + 400], (label, marker)


def post(client, path: str, form_page: str | None = None, **data):
    token = csrf_token(client, form_page or "/")
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def local(dt) -> str:
    return dt.astimezone(get_settings().timezone).strftime("%Y-%m-%dT%H:%M")


@sqlite_only
def test_payloads_in_every_free_text_field_render_inert_everywhere(client, db):
    world = build_world(db)
    inst = world.a.institution

    # --- the public files a complaint about an unregistered place, and one about inst A -----
    filed = post(client, "/complaints/new", "/complaints/new", unregistered="1",
                 place_name=payload("PLACE"), place_address=payload("ADDR"),
                 district_id=str(inst.district_id), category="service_quality",
                 description=payload("DESC", lead="=HYPERLINK(\"http://x\")"),
                 complainant_name="测试人", complainant_phone="13900001111")
    assert filed.status_code == 303, filed.text[:2000]
    tracking_url = filed.headers["location"]
    complaint = db.scalars(select(Complaint).order_by(Complaint.id.desc())).first()
    assert complaint.responsible_department_id == world.a.office_id

    # --- reviews: text by the public, the institution's reply ------------------------------
    assert post(client, f"/reviews/new/{inst.id}", f"/reviews/new/{inst.id}",
                text=payload("REVIEW"), reviewer_name="REVNAME<b>x</b>", phone="13900002222",
                rating_attitude="5", rating_hygiene="4", rating_meals="3", rating_care="4",
                rating_fees="5").status_code == 303
    review = db.scalars(select(Review).order_by(Review.id.desc())).first()

    login(client, world.supervisor.username, PASSWORD)
    moderation = client.get("/reviews/moderation").text
    assert_inert("moderation", moderation, "REVIEW")
    assert post(client, f"/reviews/{review.id}/moderate", decision="approve").status_code == 303

    client.cookies.clear()
    login(client, world.a.institution_staff.username, PASSWORD)
    assert post(client, f"/reviews/{review.id}/reply", reply=payload("REPLY")).status_code == 303

    # --- an open day by the institution, a sign-up by the public ----------------------------
    now = utcnow()
    created = post(client, "/opendays/new", "/opendays/new", title=payload("TITLE")[:60],
                   starts_at=local(now + timedelta(days=6)),
                   ends_at=local(now + timedelta(days=6, hours=2)),
                   signup_deadline=local(now + timedelta(days=5)), place=payload("VENUE"),
                   capacity="30", description=payload("ODDESC"), accessibility_notes=payload("ACC"))
    assert created.status_code == 303, created.text[:2000]
    event = db.scalars(select(OpenDay).order_by(OpenDay.id.desc())).first()
    signed = post(client, f"/opendays/{event.id}/signup", f"/opendays/{event.id}",
                  name="SGN<i>x</i>", phone="13900003333", identity="家属", party_size="1")
    assert signed.status_code == 303, signed.text[:2000]
    manage = client.get("/opendays/manage").text
    signups = client.get(f"/opendays/{event.id}/signups").text
    assert_inert("manage", manage, "TITLE")
    assert_inert("signups", signups)
    assert "SGN&lt;i&gt;x&lt;/i&gt;" in signups

    # --- the department: handling notes and government records ------------------------------
    client.cookies.clear()
    login(client, world.a.staff.username, PASSWORD)
    assert post(client, f"/staff/complaints/{complaint.id}/sign").status_code == 303
    answered = post(client, f"/staff/complaints/{complaint.id}/answer",
                    answer=payload("ANSWER") + "经核查已责令整改。", outcome="substantiated")
    assert answered.status_code == 303, answered.text[:500]
    recorded = post(client, f"/gov/institutions/{inst.id}/inspections",
                    inspected_on="2026-03-10", items_checked=payload("ITEMS")[:100],
                    outcome="rectification_required",
                    findings="消防通道堆放杂物" + payload("FINDINGS"),
                    rectification_status="pending", rectification_deadline="2026-04-10")
    assert recorded.status_code == 303, recorded.text[:2000]
    staff_pages = {
        "staff detail": (client.get(f"/staff/complaints/{complaint.id}").text,
                         ("DESC", "PLACE", "ANSWER")),
        "queue": (client.get("/staff/queue?tab=answered").text, ("PLACE",)),
        "gov": (client.get(f"/gov/institutions/{inst.id}").text, ("FINDINGS",)),
    }
    export = client.get("/staff/queue.csv?tab=answered")
    for label, (html, markers) in staff_pages.items():
        assert_inert(label, html, *markers)

    # --- public pages -----------------------------------------------------------------------
    client.cookies.clear()
    from search.services.storage import rebuild

    rebuild(get_settings().index_dir, get_settings().database_url)
    public_pages = {
        "tracking": (tracking_url, ("ANSWER",)),
        "institution": (f"/institutions/{inst.id}", ("FINDINGS",)),
        "print": (f"/institutions/{inst.id}/print", ("FINDINGS",)),
        "reviews": (f"/reviews/institution/{inst.id}", ("REVIEW", "REPLY")),
        "open day": (f"/opendays/{event.id}", ("ODDESC", "VENUE")),
        "open days": ("/opendays/", ("TITLE",)),
        "calendar": (f"/opendays/calendar?month={local(now + timedelta(days=6))[:7]}", ()),
        "search": ("/search?q=消防通道", ("FINDINGS",)),
        "home": ("/", ()),
    }
    for label, (url, markers) in public_pages.items():
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        assert_inert(label, response.text, *markers)
    for url in (f"/api/v1/institutions/{inst.id}", "/api/v1/search?q=消防通道"):
        response = client.get(url)
        assert response.headers["content-type"].startswith("application/json")
        # HTML carried in JSON (highlight snippets) is escaped too.
        for snippet in re.findall(r'"(?:html|name_html)":\s*"((?:[^"\\]|\\.)*)"', response.text):
            assert "<script" not in snippet and "<img" not in snippet

    # --- the export: formula cells neutralised, nothing executable ---------------------------
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert any("DESC" in cell for row in rows for cell in row)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
