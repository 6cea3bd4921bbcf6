"""The shared header on a 390 × 844 phone: the main navigation is one row that scrolls sideways
(static/css/phone.css), not six wrapped rows. The header had grown to 372 px of the 844 with
the elder-mode reading aids (issue 21); every link stays reachable, by swipe and by keyboard."""

from __future__ import annotations

import pytest
from test_accessibility import serious_violations

from support import browser_login

NAV = ".site-nav"


def nav_rows(page) -> int:
    """How many rows the navigation's items stand in."""
    return len(set(page.eval_on_selector_all(
        f"{NAV} li", "items => items.map(li => Math.round(li.getBoundingClientRect().top))")))


@pytest.mark.parametrize("who", ["public", "supervisor"])
def test_the_navigation_is_one_scrolling_row_and_every_link_is_reachable(phone, live_server, who):
    if who == "supervisor":
        browser_login(phone, live_server, "supervisor")
    phone.goto(live_server + "/")
    header = phone.locator(".site-header").bounding_box()
    assert header is not None
    print(f"\nheader {header['height']:.0f} px ({who})")
    assert header["height"] <= 250, header
    assert nav_rows(phone) == 1
    # The page itself does not scroll sideways; the navigation does when it holds more.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    links = phone.locator(f"{NAV} a, {NAV} button")
    last = links.nth(links.count() - 1)
    if who == "supervisor":
        assert phone.eval_on_selector(f"{NAV} ul", "ul => ul.scrollWidth > ul.clientWidth")
    # The last item, off the row's end, comes into view when the keyboard reaches it.
    last.focus()
    box = last.bounding_box()
    assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= 390, box
    assert box["height"] >= 44
    assert serious_violations(phone) == []


def test_large_text_keeps_the_header_under_half_the_screen(phone, live_server):
    phone.context.add_cookies([{"name": "portal_large_text", "value": "1", "url": live_server}])
    phone.goto(live_server + "/")
    header = phone.locator(".site-header").bounding_box()
    assert header is not None
    print(f"\nheader {header['height']:.0f} px (large text)")
    assert header["height"] <= 844 / 2, header
    assert nav_rows(phone) == 1
