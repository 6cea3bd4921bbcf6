"""The portal on a phone (390 × 844, issue 21): layout measured in chromium, not only rendered.

Tables become labelled cards, nothing is stacked one character per line, nothing overflows the
screen sideways, standalone links are 44 px targets, and axe finds no serious violation in any
of these page states. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from test_accessibility import serious_violations

from support import ARTIFACTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LISTS = ["red", "black", "penalties", "inspections", "unregistered"]

# For every visible table cell, link and calendar entry with at least three characters: stacked
# means narrower than two characters and taller than three lines (what a squeezed column does).
STACKED = """() => {
  const out = [];
  for (const el of document.querySelectorAll('main td, main th, main caption, main a, main .calendar-event')) {
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
            phone.screenshot(path=str(ARTIFACTS / "phone-penalties.png"), full_page=False)
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


# Every visible chart's text at its drawn size in CSS pixels (font size × the picture's scale),
# and whether any text was cut ("…") or runs past the picture's right edge.
CHART_TEXT = """() => [...document.querySelectorAll('svg.chart-svg')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const texts = [...svg.querySelectorAll('text')];
    return {
      cls: svg.getAttribute('class'),
      smallest: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
      cut: texts.filter(t => t.textContent.includes('…')).length,
      outside: texts.filter(t => t.getBoundingClientRect().right > box.right + 1).length,
    };
  })"""


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_charts_on_a_phone_have_readable_whole_labels(browser, live_server, large_text):
    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport=PHONE,
                                  device_scale_factor=1, is_mobile=True)
    if large_text:
        context.add_cookies([{"name": "portal_large_text", "value": "1", "url": live_server}])
    phone = context.new_page()
    phone.goto(live_server + "/stats/?period=12m")
    check_layout(phone)
    charts = phone.evaluate(CHART_TEXT)
    context.close()
    assert len(charts) >= 6
    for chart in charts:
        # The phone drawing is shown, the 720-unit one (text ≈ 7 px here) is not.
        assert "chart-narrow" in chart["cls"], chart
        assert chart["smallest"] >= 12, chart
        assert chart["cut"] == 0 and chart["outside"] == 0, chart


def test_open_day_calendar_is_a_list_on_a_phone_and_the_event_shows_its_address(phone,
                                                                                 live_server):
    entries = None
    for month in ["2026-11", "2026-12", "2026-10", "2027-01"]:
        phone.goto(f"{live_server}/opendays/calendar?month={month}")
        entries = phone.locator("a.calendar-event")
        if entries.count():
            break
    assert entries is not None and entries.count() > 0, "the demo city has open days"
    check_layout(phone)
    # Each day with events is a labelled row ("11月28日 周六"), its events full width.
    day = entries.first.locator("xpath=ancestor::td[1]")
    label = day.evaluate("e => getComputedStyle(e, '::before').content")
    assert re.fullmatch(r'"\d{1,2}月\d{1,2}日 周[一二三四五六日]"', label), label
    box = entries.first.bounding_box()
    assert box is not None and box["width"] >= 300 and box["height"] >= 44
    # The caption ("2026 年 11 月开放日") on one or two lines, not a digit group per line.
    caption = phone.locator("table.calendar caption")
    line = float(caption.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    cap = caption.bounding_box()
    assert cap is not None and cap["height"] <= 2 * line + 1 and cap["width"] >= 300, cap
    entries.first.scroll_into_view_if_needed()
    phone.screenshot(path=str(ARTIFACTS / "phone-open-days.png"), full_page=False)
    entries.first.click()
    phone.wait_for_load_state()
    address = phone.locator("dl.facts dt", has_text="地址")
    assert address.count() == 1
    shown = address.locator("xpath=following-sibling::dd[1]").inner_text()
    assert len(shown) >= 6
    check_layout(phone)
