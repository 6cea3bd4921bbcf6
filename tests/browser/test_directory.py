"""The directory, an institution page and compare in chromium, with and without JavaScript."""

from __future__ import annotations

import pytest

from support import ARTIFACTS

pytestmark = pytest.mark.browser

RESULT_LINKS = "#results .result h2 a"


def choose_filters(page) -> None:
    page.locator("#f-kind").select_option("residential")
    page.locator("#f-district").select_option(index=1)


def test_filtering_gives_the_same_results_with_htmx_and_without_javascript(
    page, browser, live_server
):
    page.goto(live_server + "/institutions/")
    choose_filters(page)
    page.wait_for_url("**district=**")
    page.wait_for_load_state("networkidle")
    assert "kind=residential" in page.url
    with_htmx = page.locator(RESULT_LINKS).all_inner_texts()
    assert with_htmx

    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        plain = context.new_page()
        plain.goto(live_server + "/institutions/")
        choose_filters(plain)
        plain.get_by_role("button", name="筛选").click()
        plain.wait_for_url("**district=**")
        assert plain.locator(RESULT_LINKS).all_inner_texts() == with_htmx
    finally:
        context.close()


def test_institution_page_shows_fees_and_flags(page, live_server):
    page.goto(live_server + "/institutions/?kind=residential")
    page.locator(RESULT_LINKS).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="收费标准").is_visible()
    assert page.get_by_role("heading", name="监管提示").is_visible()
    assert page.get_by_role("heading", name="等级评定").is_visible()
    assert page.get_by_role("heading", name="行政处罚").is_visible()
    page.screenshot(path=str(ARTIFACTS / "institution.png"), full_page=True)


def test_compare_two_institutions(page, live_server):
    page.goto(live_server + "/institutions/?kind=residential")
    names = page.locator(RESULT_LINKS).all_inner_texts()[:2]
    boxes = page.get_by_role("checkbox", name="加入对比")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="对比所选机构").click()
    page.wait_for_url("**/institutions/compare?**")
    table = page.locator("table.compare-table")
    header = table.locator("thead").inner_text()
    assert all(name in header for name in names)
    assert "每月费用" in table.inner_text()
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
