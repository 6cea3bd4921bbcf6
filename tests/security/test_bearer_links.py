"""Bearer links: a complaint's tracking link expires once the complaint no longer needs it,
and tracking by number + secret still works afterwards (issue 18, item 9)."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner

from complaints.services.tokens import tracking_tokens
from portal.core.settings import get_settings, load_settings

from security_world import COMPLAINANT_A, build_world
from support import csrf_token

DAY = 24 * 3600


def _link_issued_days_ago(monkeypatch, complaint_id: int, days: float) -> str:
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time() - days * DAY))
        return "/complaints/t/" + tracking_tokens(get_settings()).dumps(str(complaint_id))


def test_an_old_tracking_link_expires_and_the_lookup_issues_a_fresh_one(client, db, monkeypatch):
    world = build_world(db)
    complaint = world.a.complaint
    lifetime = get_settings().tracking_link_days
    assert lifetime == 15 + 30  # the feedback window plus the margin
    recent = client.get(_link_issued_days_ago(monkeypatch, complaint.id, lifetime - 1))
    assert recent.status_code == 200 and complaint.tracking_no in recent.text
    old = client.get(_link_issued_days_ago(monkeypatch, complaint.id, lifetime + 1))
    assert old.status_code == 404
    assert "查询链接已过期" in old.text and complaint.tracking_no not in old.text

    lookup = client.post("/complaints/track", data={
        "csrf_token": csrf_token(client, "/complaints/track"),
        "tracking_no": complaint.tracking_no, "secret": COMPLAINANT_A[1][-4:]},
        follow_redirects=False)
    assert lookup.status_code == 303
    fresh = client.get(lookup.headers["location"])
    assert fresh.status_code == 200 and complaint.tracking_no in fresh.text


def test_the_link_lifetime_follows_the_feedback_window_unless_set(monkeypatch):
    monkeypatch.setenv("PORTAL_FEEDBACK_WINDOW_DAYS", "20")
    monkeypatch.delenv("PORTAL_TRACKING_LINK_DAYS", raising=False)
    assert load_settings().tracking_link_days == 50
    monkeypatch.setenv("PORTAL_TRACKING_LINK_DAYS", "90")
    assert load_settings().tracking_link_days == 90
