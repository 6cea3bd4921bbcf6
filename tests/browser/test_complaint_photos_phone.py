"""In chromium on a phone (390 × 844): a complaint filed with two photos through the file input
(issue 21, "photos with a complaint"), seen by the district office on the complaint's page and by
no one without a sign-in; a file that is no photo gives the form back with the text. axe finds
nothing serious in any of these states."""

from __future__ import annotations

import re

import pytest
from test_accessibility import serious_violations

from factories.photos import phone_jpeg
from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser

PHONE_VIEW = {"width": 390, "height": 844}
DESCRIPTION = "护工推搡老人，老人手臂有淤青，附上探望时拍的照片。"
PHOTOS = [
    {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": phone_jpeg((1200, 900))},
    {"name": "IMG_0002.jpg", "mimeType": "image/jpeg",
     "buffer": phone_jpeg((1200, 900), orientation=6)},  # upright it is 900 × 1200
]


def fill_complaint(page, base: str) -> None:
    page.goto(base + "/complaints/new")
    page.get_by_label("机构名称（输入名称中的字或拼音首字母）").fill("康乐老年")
    page.get_by_role("radio", name=re.compile("康乐老年公寓")).check()
    page.get_by_label("问题类别").select_option("service_quality")
    page.get_by_label("具体情况（时间、地点、经过）").fill(DESCRIPTION)
    page.get_by_label("手机号码").fill("13566665555")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_a_complaint_with_two_photos_is_seen_by_the_office_only(browser, live_server):
    public = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, bypass_csp=True)
    page = public.new_page()
    fill_complaint(page, live_server)
    chooser = page.get_by_label("选择照片")
    chooser.set_input_files(PHOTOS)
    assert chooser.evaluate("input => input.files.length") == 2
    box = chooser.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_load_state()
    assert page.get_by_text("投诉已受理").is_visible()
    number = page.locator(".readback .big-number").first.inner_text().strip()
    # The complainant's own page never shows the photos.
    assert page.locator("img[src*='/photos/']").count() == 0

    office = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, bypass_csp=True)
    staff = office.new_page()
    browser_login(staff, live_server, "dept-civil_affairs-dcq")
    staff.get_by_role("link", name=number).click()
    staff.wait_for_load_state()
    assert staff.get_by_text("投诉人上传的照片（2 张，仅工作人员可见）").is_visible()
    images = staff.locator(".photo-list img")
    assert images.count() == 2
    for n in range(2):
        image = images.nth(n)
        image.scroll_into_view_if_needed()
        image.evaluate("img => img.decode()")  # loaded through the authorised view
        natural = image.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        box = image.bounding_box()
        assert box["width"] >= 100 and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # Shown in the photo's own proportions, turned upright (the second was EXIF-rotated).
        assert abs(box["height"] / box["width"] - natural[1] / natural[0]) < 0.02
    assert [images.nth(n).evaluate("i => i.naturalWidth > i.naturalHeight") for n in range(2)] \
        == [True, False]  # the second turned upright by its EXIF orientation
    assert no_sideways_scroll(staff)
    assert serious_violations(staff) == []
    staff.screenshot(path=str(ARTIFACTS / "complaint-photos-staff.png"), full_page=True)
    photo_url = images.first.get_attribute("src")
    response = staff.request.get(photo_url)
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.headers["cache-control"] == "private, no-store"
    office.close()

    # Without a sign-in the photo's address leads to the login page, not to the photo.
    stranger = public.request.get(photo_url, max_redirects=0)
    assert stranger.status == 303 and "/accounts/login" in stranger.headers["location"]
    public.close()


def test_a_file_that_is_no_photo_gives_the_form_back_with_the_text(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE_VIEW, bypass_csp=True)
    page = context.new_page()
    fill_complaint(page, live_server)
    page.get_by_label("选择照片").set_input_files([
        PHOTOS[0], {"name": "合同.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}])
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_load_state()
    summary = page.locator("#form-errors")
    assert "文件“合同.pdf”不是可识别的照片" in summary.inner_text()
    assert page.evaluate("document.activeElement.id") == "form-errors"
    assert page.get_by_label("具体情况（时间、地点、经过）").input_value() == DESCRIPTION
    assert page.get_by_label("手机号码").input_value() == "13566665555"
    assert page.get_by_label("选择照片").evaluate("input => input.files.length") == 0
    assert "请重新选择" in page.locator("#e-photos").inner_text()
    summary.get_by_role("link").first.click()
    assert no_sideways_scroll(page)
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "complaint-photo-refused.png"), full_page=True)
    context.close()
