"""A suspended institution's status is at the top of its page on a phone (390×844): in the
first screen, right under the name, above the supervision flags (issue 20 acceptance)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from support import ARTIFACTS

pytestmark = pytest.mark.browser


def _suspended_id(url: str) -> int:
    from portal.core.db import session_scope
    from portal.institutions.models import Institution

    with session_scope(url, reading=True) as db:
        return db.scalars(select(Institution.id).where(
            Institution.operating_status == "suspended").order_by(Institution.id)).first()


def test_the_status_shows_at_the_top_of_the_page_on_a_phone(browser, live_server, live_db_url):
    inst_id = _suspended_id(live_db_url)  # the demo's (demo/lifecycle.py)
    assert inst_id is not None
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server}/institutions/{inst_id}")
        page.screenshot(path=str(ARTIFACTS / "institution-suspended-390.png"))
        status = page.locator("#operating-status")
        assert "暂停服务" in status.inner_text() and "老人安置" in status.inner_text()
        box = status.bounding_box()
        line = status.locator(".op-status-line").bounding_box()
        resettlement = status.locator(".resettlement").bounding_box()
        heading = page.locator("main h1").bounding_box()
        flags = page.locator("#h-flags").bounding_box()
        assert None not in (box, line, resettlement, heading, flags)
        # Below the name, above the flags.
        assert heading["y"] + heading["height"] <= box["y"] < flags["y"]
        assert line["y"] < resettlement["y"]
        # The status is on the first screen as the headline box's first signal (the headline box,
        # merged with issue 21, now sits between the name and this box, which moved to y≈1127);
        # one tap on it brings the status and its 安置 line into view.
        signal = page.locator(".headline .signal").first
        assert "暂停服务" in signal.inner_text()
        assert signal.locator("a").get_attribute("href") == "#operating-status"
        first = signal.bounding_box()
        assert first is not None and first["y"] + first["height"] <= 844, first
        signal.locator("a").click()
        page.wait_for_url("**#operating-status")
        line = status.locator(".op-status-line").bounding_box()
        resettlement = status.locator(".resettlement").bounding_box()
        assert line is not None and resettlement is not None
        assert 0 <= line["y"] < 60, line
        assert resettlement["y"] + resettlement["height"] <= 844, (line, resettlement)
    finally:
        context.close()
