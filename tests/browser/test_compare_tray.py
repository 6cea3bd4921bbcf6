"""The compare tray in chromium at phone and desktop sizes, with and without JavaScript: the
selection survives filters and pages, sits in view, is removable, and the institution page adds
to it (issue 21, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import ARTIFACTS, open_filters

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
PICKS = "#results input[data-compare-pick]"


def serious_violations(page) -> list[str]:
    page.evaluate(AXE)
    return list(page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
            return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
                .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
        }"""))


def tray_ids(page) -> list[str]:
    return (page.locator("#compare-tray").get_attribute("data-ids") or "").split()


def wait_for_tray(page, count: int) -> None:
    page.wait_for_function(
        "n => (document.getElementById('compare-tray').dataset.ids || '')"
        ".split(' ').filter(Boolean).length === n", arg=count)


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] + 1 \
        and box["x"] >= 0 and box["x"] + box["width"] <= size["width"] + 1


@pytest.mark.parametrize("size", list(SIZES))
def test_the_selection_survives_filters_and_pages_in_a_tray_in_view(browser, live_server, size):
    context = browser.new_context(locale="zh-CN", viewport=SIZES[size], bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live_server + "/institutions/")
        assert page.locator("#compare-tray").is_hidden()
        boxes = page.locator(PICKS)
        first, second = boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")
        boxes.nth(0).check()
        wait_for_tray(page, 1)
        boxes.nth(1).check()
        wait_for_tray(page, 2)
        assert tray_ids(page) == [first, second]
        # In view at the top of a long page: the tray keeps to the bottom of the window.
        page.evaluate("window.scrollTo(0, 0)")
        assert in_view(page, "#compare-tray") and in_view(page, "#compare-go")

        # A filter change swaps the results (htmx); the selection and its ticks stay. On a
        # phone the filters fold behind 筛选 (issue 21 item 2): unfold them first, as a user would.
        open_filters(page)
        with page.expect_response(lambda r: "/institutions/?" in r.url):
            page.locator("#f-sort").select_option(index=1)
        page.wait_for_load_state("networkidle")
        assert tray_ids(page) == [first, second]
        for value in (first, second):
            box = page.locator(f"{PICKS}[value='{value}']")
            assert box.count() == 0 or box.is_checked()

        # The next page: a third, then a fourth is refused and stays unticked.
        page.locator(".pager a", has_text="下一页").click()
        page.wait_for_url("**page=2**")
        page.wait_for_load_state("networkidle")
        others = page.locator(f"{PICKS}:not(:checked)")
        third = others.nth(0).get_attribute("value")
        others.nth(0).check()
        wait_for_tray(page, 3)
        fourth = page.locator(f"{PICKS}[value='{others.nth(1).get_attribute('value')}']")
        fourth.check()
        page.locator("#compare-tray .compare-notice").wait_for()
        assert tray_ids(page) == [first, second, third]
        # The tray is swapped before htmx settles and compare-tray.js unticks the refused box:
        # wait for that (a box left ticked fails here by the timeout).
        page.wait_for_function("v => !document.querySelector(`#results input[data-compare-pick]"
                               "[value='${v}']`).checked", arg=fourth.get_attribute("value"))
        assert not fourth.is_checked()
        page.locator("#compare-status", has_text="最多放 3 家").wait_for(state="attached")
        assert in_view(page, "#compare-tray")
        page.screenshot(path=str(ARTIFACTS / f"compare-tray-{size}.png"))
        assert serious_violations(page) == []

        # An entry is removed from the tray; the focus goes to the tray, its box is unticked.
        page.get_by_role("button", name="从对比栏移除").first.click()
        wait_for_tray(page, 2)
        page.wait_for_function("document.activeElement.id === 'compare-tray-title'")
        assert tray_ids(page) == [second, third]
        assert not page.locator(f"{PICKS}[value='{third}']").count() or \
            page.locator(f"{PICKS}[value='{third}']").is_checked()
        page.locator("#compare-go").click()
        page.wait_for_url("**/institutions/compare?**")
        header = page.locator("table.compare-table thead").inner_text()
        assert len(page.locator("table.compare-table thead th").all()) == 3  # 项目 + two
        assert header
        assert serious_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_institution_pages_button_adds_to_the_tray(browser, live_server, javascript):
    context = browser.new_context(locale="zh-CN", viewport=SIZES["phone"],
                                  java_script_enabled=javascript)
    page = context.new_page()
    try:
        page.goto(live_server + "/institutions/")
        links = page.locator("#results .result h2 a")
        names = links.all_inner_texts()[:2]
        for n in range(2):
            page.goto(live_server + "/institutions/")
            page.locator("#results .result h2 a").nth(n).click()
            page.wait_for_url("**/institutions/*")
            here = page.url
            button = page.get_by_role("button", name="加入对比")
            if javascript:
                button.click()
                wait_for_tray(page, n + 1)
            else:
                with page.expect_navigation():
                    button.click()
            assert page.url == here  # the page it was on, not a one-institution compare
            # compare-tray.js renames the button once htmx has settled the tray: wait for it.
            page.get_by_role("button", name="移出对比").wait_for()
            assert names[n] in page.locator("#compare-tray").inner_text()
        page.goto(live_server + "/institutions/?page=2")
        assert [n for n in names if n in page.locator("#compare-tray").inner_text()] == names
        page.locator("#compare-go").click()
        page.wait_for_url("**/institutions/compare?**")
        header = page.locator("table.compare-table thead").inner_text()
        assert all(name in header for name in names)
    finally:
        context.close()
