"""In chromium: inst-1 changes a price, the civil-affairs admin approves it, and the public page
shows the new price with the old one kept in the price history and the change history."""

from __future__ import annotations

import pytest

from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser
NEW_PRICE = "8888.50"


def test_fee_change_is_public_after_approval(browser, live_server, live_db_url):
    errors: list[str] = []
    office = browser.new_context(locale="zh-CN")
    page = office.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    browser_login(page, live_server, "inst-1")
    page.get_by_role("link", name="本机构公开信息").click()
    page.get_by_role("link", name="修改服务项目和收费标准").click()
    price = page.get_by_label("第 1 行价格（元）")
    old_price = price.input_value()
    item = page.get_by_label("第 1 行项目").input_value()
    price.fill(NEW_PRICE)
    page.get_by_role("button", name="保存草稿并查看改动").click()
    diff = page.locator("table.diff").inner_text()
    assert old_price in diff and NEW_PRICE in diff
    page.get_by_role("button", name="提交审核").click()
    assert page.get_by_text("已提交审核").first.is_visible()
    office.close()

    gov = browser.new_context(locale="zh-CN")
    review = gov.new_page()
    review.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    browser_login(review, live_server, "admin")
    review.get_by_role("link", name="公开信息审核").click()
    review.get_by_role("link", name="的服务项目和收费标准").first.click()
    assert NEW_PRICE in review.locator("table.diff").inner_text()
    review.get_by_role("button", name="审核通过并公开").click()
    assert review.get_by_text("已审核通过并公开").is_visible()
    gov.close()

    public = browser.new_context(locale="zh-CN")
    visitor = public.new_page()
    visitor.on("response", lambda r: errors.append(r.url) if r.status >= 400 else None)
    visitor.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.core.db import session_scope

    with session_scope(live_db_url) as db:
        inst_id = db.scalar(select(User.institution_id).where(User.username == "inst-1"))
    visitor.goto(f"{live_server}/institutions/{inst_id}")
    # The public tables group thousands (8,888.50).
    current = visitor.locator("section[aria-labelledby=h-fees] table.data").first.inner_text()
    assert NEW_PRICE in current.replace(",", "")
    assert old_price in visitor.locator("table.fee-history").inner_text().replace(",", "")
    history = visitor.locator("section[aria-labelledby=h-history]").inner_text()
    assert item in history and NEW_PRICE in history
    visitor.screenshot(path=str(ARTIFACTS / "backoffice-published.png"), full_page=True)
    public.close()
    assert errors == []
