"""In chromium, with a real RQ worker: civil affairs upload a registry with bad rows for a dry
run, watch the job's progress (htmx polling) reach its end, read the report by row and column,
download it, import the valid rows only, see them in the public directory, then roll the import
back and see the directory empty again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from data.registry_rows import make_city, rows, spoil, write_xlsx
from openpyxl import load_workbook

from servers import RedisServer, portal_env, serve_app, start_portal, stop_process
from support import ARTIFACTS, browser_login

pytestmark = pytest.mark.browser
SECRET = "imports-" + "z" * 40
# A bound for a hang, not a speed: the job takes a second or two.
DONE_MS = 120_000
PHONE_VIEW = {"width": 390, "height": 844}


@pytest.fixture
def stack(tmp_path, sqlite_template):
    """Web server, its own Redis, and a supervisor; the worker is started by the test."""
    from portal.accounts.rules.roles import Role
    from portal.core.db import dispose_engines, session_scope

    from factories import user

    shutil.copy(sqlite_template, tmp_path / "portal.sqlite3")
    url = f"sqlite:///{tmp_path / 'portal.sqlite3'}"
    with session_scope(url) as db:
        make_city(db)
        user(db, Role.SUPERVISOR, username="minzheng")
    dispose_engines()
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        with serve_app(url, redis.url, SECRET) as base:
            yield base, url, portal_env(url, redis.url, SECRET, tmp_path)
    finally:
        redis.stop()


def count_institutions(url: str) -> int:
    from sqlalchemy import func, select

    from portal.core.db import dispose_engines, session_scope
    from portal.institutions.models import Institution

    with session_scope(url, reading=True) as db:
        n = db.scalar(select(func.count(Institution.id)))
    dispose_engines()
    return n


def test_upload_watch_progress_report_import_valid_rows_and_roll_back(browser, stack, tmp_path):
    from factories import PASSWORD

    base, url, env = stack
    data = rows(400, seed=11)
    spoiled = spoil(data, every=25)
    good = 400 - len(spoiled)
    path = write_xlsx(tmp_path / "养老机构名录.xlsx", data)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    browser_login(page, base, "minzheng", PASSWORD)
    page.get_by_role("link", name="数据导入").click()
    page.get_by_label("导入类型").select_option(label="养老机构名录")
    page.get_by_label("文件（.xlsx、.xls 或 .csv").set_input_files(str(path))
    page.get_by_label("只检查（不写入，先看检查结果）").check()
    button = page.get_by_role("button", name="上传")
    assert button.bounding_box()["height"] >= 44
    button.click()

    # No worker yet: the import waits, and the page polls for it (or is refreshed by the link).
    progress = page.locator("#import-progress")
    assert "等待后台任务开始" in progress.inner_text()
    assert page.get_by_role("link", name="刷新查看进度").is_visible()
    worker, _ = start_portal(env, "worker", log=tmp_path / "worker.log")
    try:
        status = page.locator("#import-status")
        status.wait_for(timeout=DONE_MS)  # htmx polled the job to its end and loaded the report
        assert status.inner_text() == "检查完成（未写入）"
        result = page.locator("#import-result").inner_text()
        assert f"数据行 400，有错误 {len(spoiled)}，有效 {good}" in result
        assert "文件：养老机构名录.xlsx（XLSX）" in result
        cells = page.locator("#import-problems tbody tr").all_inner_texts()
        assert {int(c.split("\t")[0]) for c in cells} == {s.row for s in spoiled}
        for s in spoiled[:5]:
            assert page.locator("#import-problems tbody tr", has_text=s.column).count() >= 1
        with page.expect_download() as download:
            page.get_by_role("link", name="下载检查结果（.xlsx）").click()
        saved = tmp_path / "report.xlsx"
        download.value.save_as(saved)
        sheet = load_workbook(saved).active
        assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {
            s.row for s in spoiled}
        page.screenshot(path=str(ARTIFACTS / "import-report.png"), full_page=True)
        assert count_institutions(url) == 0

        page.get_by_role("button", name="仅导入有效行").click()
        page.locator("#import-status").wait_for(timeout=DONE_MS)
        assert page.locator("#import-status").inner_text() == "已导入"
        assert f"已写入：新增 {good}，更新 0，无变化 0" in page.locator("#import-result").inner_text()
        assert count_institutions(url) == good

        directory = context.new_page()
        directory.goto(base + "/institutions/")
        assert f"{good}" in directory.locator("main").inner_text()
        directory.close()

        page.get_by_role("link", name="撤销本次导入…").click()
        page.get_by_role("button", name="撤销本次导入").click()
        assert page.get_by_text("已撤销：导入更新的数据已恢复为导入前的值").is_visible()
        assert page.locator("#import-status").inner_text() == "已撤销"
        assert count_institutions(url) == 0
        page.screenshot(path=str(ARTIFACTS / "import-rolled-back.png"), full_page=True)

        page.get_by_role("link", name="← 全部导入记录").click()
        listing = page.locator("#imports tbody").inner_text()
        assert "已撤销" in listing and "检查完成（未写入）" in listing

        # On a phone the pages do not scroll sideways (the wide tables scroll in their box)
        # and the buttons stay 44 px tall.
        page.set_viewport_size(PHONE_VIEW)
        for path in ("/admin/imports/", "/admin/imports/1"):  # the list, the dry run's report
            page.goto(base + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEW["width"]
        assert page.get_by_role("button", name="仅导入有效行").bounding_box()["height"] >= 44
        page.screenshot(path=str(ARTIFACTS / "import-report-phone.png"), full_page=True)
    finally:
        stop_process(worker)
        context.close()
    assert errors == []
    assert Path(tmp_path / "worker.log").exists()
