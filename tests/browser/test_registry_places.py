"""The registry's back-office pages on a phone (390×844), in chromium: civil affairs adds an
unregistered place, sees its on-site check deadline, records a referral, and tries a merge the
rules refuse; every page fits the screen's width (measured) and axe finds nothing serious, the
pages with their error messages included."""

from __future__ import annotations

import pytest
from test_accessibility import serious_violations

from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
NAME = "手机新增无证托老点"


def fits(page) -> list[str]:
    """What sticks out of the screen's width: the page itself, or a form control."""
    return page.evaluate(
        """() => {
            const out = [];
            if (document.documentElement.scrollWidth > window.innerWidth)
                out.push('page ' + document.documentElement.scrollWidth);
            for (const el of document.querySelectorAll('main input, main select, main textarea, main button')) {
                const r = el.getBoundingClientRect();
                if (r.width && (r.left < 0 || r.right > window.innerWidth))
                    out.push((el.name || el.textContent.trim()) + ' ' + Math.round(r.right));
            }
            return out;
        }"""
    )


def check(page, found: dict[str, list[str]], label: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"registry-{label}-390.png"), full_page=True)
    problems = fits(page) + serious_violations(page)
    if problems:
        found[label] = problems


def test_places_and_merge_on_a_phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, bypass_csp=True)
    failed: list[str] = []
    found: dict[str, list[str]] = {}
    try:
        page = context.new_page()
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}")
                if r.status >= 500 else None)
        browser_login(page, live_server, "admin")
        page.goto(live_server + "/admin/registry/")
        page.get_by_role("link", name="未登记/未备案场所").click()
        check(page, found, "places")
        page.get_by_role("link", name="新增未登记/未备案场所").click()
        check(page, found, "place-new")

        page.get_by_role("button", name="保存场所").click()  # nothing typed: the errors
        assert page.get_by_role("alert").is_visible()
        assert "请选择发现途径" not in page.locator(".notice.error").inner_text()  # preselected
        assert "请填写发现日期" in page.locator(".notice.error").inner_text()
        check(page, found, "place-new-errors")

        page.get_by_label("发现途径").select_option("inspection")
        page.get_by_label("发现日期").fill("2025-08-08")
        page.get_by_label("发现单位或人员").fill("区民政局养老服务科")
        page.get_by_label("场所名称").fill(NAME)
        page.get_by_label("性质").select_option("private_forprofit")
        page.get_by_label("所在区县").select_option(index=1)
        page.get_by_label("地址", exact=True).fill("老街12号")
        page.get_by_role("button", name="保存场所").click()
        assert page.get_by_role("heading", name=NAME).is_visible()
        deadline = page.locator("#onsite-check")
        # 20 working days after Fri 2025-08-08, no holiday between: Fri 2025-09-05.
        assert "现场检查期限：2025-09-05" in deadline.inner_text()
        box = deadline.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        check(page, found, "place")

        page.get_by_label("跟进结果").select_option("referred")
        page.get_by_role("button", name="保存跟进结果").click()  # no note: refused
        assert "请写明转介给哪个部门" in page.get_by_role("alert").inner_text()
        check(page, found, "place-errors")
        page.get_by_label("说明").first.fill("转区市场监管局查处无照经营")
        page.get_by_role("button", name="保存跟进结果").click()
        assert "已记录跟进结果" in page.get_by_role("status").inner_text()
        assert "已转介" in page.locator("#h-place-history + ol").inner_text()

        page.goto(live_server + "/admin/registry/institutions/1")
        page.get_by_label("重复记录的机构编号").fill("1")
        page.get_by_role("button", name="并入本机构").click()
        alert = page.locator("section[aria-labelledby=h-merge] [role=alert]").inner_text()
        assert "不能与本机构自身合并" in alert and "请填写合并原因" in alert
        check(page, found, "merge-errors")
    finally:
        context.close()
    assert failed == []
    assert found == {}
