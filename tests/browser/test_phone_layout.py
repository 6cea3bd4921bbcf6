"""The portal on a phone (390 × 844, issue 21): layout measured in chromium, not only rendered.

Tables become labelled cards, nothing is stacked one character per line, nothing overflows the
screen sideways, standalone links are 44 px targets, and axe finds no serious violation in any
of these page states. A few screenshots land in docs/screenshots/ for the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_accessibility import serious_violations

from support import ARTIFACTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LISTS = ["red", "black", "penalties", "inspections", "unregistered"]

# For every visible table cell, link and calendar entry with at least three characters: stacked
# means narrower than two characters and taller than three lines (what a squeezed column does).
STACKED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main td, main th, main a, main .calendar-event')) {
    const text = el.innerText.trim();
    if (text.length < 3) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const cs = getComputedStyle(el);
    const font = parseFloat(cs.fontSize);
    const line = parseFloat(cs.lineHeight) || font * 1.7;
    if (r.width < 2 * font && r.height > 3 * line) out.push(text.slice(0, 20) + ' ' + Math.round(r.width) + '×' + Math.round(r.height));
  }
  return out;
}"""


@pytest.fixture
def phone(browser, live_server) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport=PHONE,
                                  device_scale_factor=1, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def overflow(page) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def check_layout(page) -> None:
    """No sideways scrolling of the page, nothing one character per line, axe clean."""
    assert overflow(page) <= PHONE["width"], page.url
    assert page.evaluate(STACKED) == [], page.url
    assert serious_violations(page) == [], page.url


def test_lists_become_labelled_cards_on_a_phone(phone, live_server):
    measured = 0
    for name in LISTS:
        response = phone.goto(f"{live_server}/institutions/lists/{name}")
        assert response is not None and response.status == 200
        check_layout(phone)
        links = phone.locator("table.data tbody a")
        if links.count() == 0:
            continue
        measured += 1
        link = links.first
        cell = link.locator("xpath=ancestor::td[1]")
        cell_box, box = cell.bounding_box(), link.bounding_box()
        line = float(link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
        # The institution's name gets the card's width (links were 16 px wide before), and it
        # takes at most three lines.
        assert cell_box is not None and cell_box["width"] >= 200, (name, cell_box)
        assert box is not None and box["height"] <= 3 * line + 1, (name, box)
        # Each cell says which column it is: the label is drawn before the value.
        label = phone.locator("table.data tbody td").first.evaluate(
            "e => getComputedStyle(e, '::before').content")
        assert label.strip('"') != "none" and len(label.strip('"')) >= 2, name
        if name == "penalties":
            phone.evaluate("document.querySelector('main h1').scrollIntoView()")
            phone.screenshot(path=str(SCREENSHOTS / "phone-penalties.png"), full_page=False)
    assert measured >= 2  # the demo city has penalties and inspections at least


def test_institution_fee_table_and_records_read_as_cards(phone, live_server):
    phone.goto(f"{live_server}/institutions/1")
    check_layout(phone)
    pricing = phone.locator("table.data td[data-label='定价方式']").first
    assert pricing.count() == 1
    box = pricing.bounding_box()
    # "政府定价" on one line: wider than its four characters, at most two lines tall.
    font = float(pricing.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    line = float(pricing.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert box is not None and box["width"] >= 4 * font and box["height"] <= 2 * line + 1
    pricing.scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "phone-fees.png"), full_page=False)


def test_lists_and_online_filing_are_in_the_navigation_and_on_the_home_page(phone, live_server):
    phone.goto(live_server + "/")
    check_layout(phone)
    nav = phone.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="红黑名单·处罚·检查").count() == 1
    for label in ["红名单", "失信联合惩戒对象名单（黑名单）", "近期行政处罚", "近期检查结果"]:
        assert phone.locator("main").get_by_role("link", name=label, exact=True).count() == 1, label
    card = phone.locator(".card", has=phone.get_by_role("heading", name="投诉举报"))
    online, call = card.get_by_role("link", name="在线投诉"), card.locator(".home-actions a[href^='tel:']")
    # Online filing sits beside the phone in the same card, both full-size targets.
    for link in (online, call):
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44
    online.click()
    phone.wait_for_load_state()
    assert phone.url.endswith("/complaints/new")
    phone.goto(live_server + "/")
    nav = phone.get_by_role("navigation", name="主导航")
    nav.get_by_role("link", name="红黑名单·处罚·检查").click()
    phone.wait_for_load_state()
    assert phone.url.endswith("/institutions/lists/")
    check_layout(phone)
