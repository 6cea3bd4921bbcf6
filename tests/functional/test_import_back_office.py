"""The back office's imports (/admin/imports) on SQLite and PostgreSQL: an upload is queued as
a background job (run here in the test's process, as the RQ worker would), its dry run reports
by row and column, "import the valid rows only" writes them, the report downloads as XLSX, the
list shows every import (the CLI's too), and a rollback restores the directory; limits and
refusals answer in Chinese."""

from __future__ import annotations

import io

import pytest
from data.registry_rows import make_city, rows, spoil, write_csv, write_xlsx
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.accounts.rules.roles import Role
from portal.cli import main
from portal.core.audit import AuditEvent
from portal.core.jobs import OutboxJob, task_path
from portal.institutions.models import Institution
from portal.institutions.rules.directory_query import DirectoryQuery
from portal.institutions.services.directory import Directory
from portal.registry.models import Import, ImportChange
from portal.registry.services.jobs import progress_of, set_progress
from portal.registry.tasks import run_import

from support import csrf_token, index_jobs, sign_in


def upload(client, path, kind="institutions", mode="dry_run"):
    with open(path, "rb") as fh:
        return client.post("/admin/imports/", data={
            "csrf_token": csrf_token(client, "/admin/imports/"), "kind": kind, "mode": mode},
            files={"file": (path.name, fh.read())}, follow_redirects=False)


def latest(db) -> Import:
    db.expire_all()
    return db.scalars(select(Import).order_by(Import.id.desc()).limit(1)).one()


def institutions(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Institution.id)))


def test_upload_dry_run_valid_rows_report_and_rollback(client, db, tmp_path, monkeypatch):
    from portal.registry.services import history

    monkeypatch.setattr(history, "CHUNK", 7)  # the rollback's statements, a few rows each
    make_city(db)
    supervisor = sign_in(client, db, Role.SUPERVISOR)
    data = rows(60, seed=3)
    spoiled = spoil(data, every=10)
    assert "数据导入" in client.get("/").text

    answer = upload(client, write_csv(tmp_path / "机构.csv", data))
    assert answer.status_code == 303
    record = latest(db)
    assert (record.status, record.mode, record.actor, record.kind) == (
        "queued", "dry_run", supervisor.username, "institutions")
    # The job was recorded with the upload, for the worker.
    assert db.scalar(select(OutboxJob.args).where(OutboxJob.func == task_path(run_import))) \
        == [record.id]
    page = client.get(answer.headers["location"])
    assert "等待后台任务开始" in page.text and "刷新查看进度" in page.text
    assert 'hx-trigger="every 1s"' in page.text

    assert run_import(record.id) == "done"
    assert run_import(record.id) == "skipped"  # pushed twice: runs once
    record = latest(db)
    assert (record.status, record.rows_total, record.rows_bad) == ("checked", 60, len(spoiled))
    assert institutions(db) == 0
    page = client.get(f"/admin/imports/{record.id}").text
    for s in spoiled:
        assert f"<td class=\"num\">{s.row}</td><td>{s.column}</td>" in page, s
    assert "仅导入有效行" in page and "撤销本次导入" not in page
    # Progress reached the end of the file, for the page that polled it.
    assert progress_of(record.id) == {"phase": "检查", "checked": 60, "written": 0, "total": 60}
    fragment = client.get(f"/admin/imports/{record.id}/progress", headers={"HX-Request": "true"})
    assert fragment.headers["hx-redirect"] == f"/admin/imports/{record.id}"

    report = client.get(f"/admin/imports/{record.id}/report.xlsx")
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {s.row for s in spoiled}

    answer = client.post(f"/admin/imports/{record.id}/again", data={
        "csrf_token": csrf_token(client, "/admin/imports/"), "mode": "valid_only"},
        follow_redirects=False)
    follow = latest(db)
    assert answer.headers["location"] == f"/admin/imports/{follow.id}"
    assert (follow.parent_id, follow.mode, follow.sha256) == (record.id, "valid_only",
                                                              record.sha256)
    run_import(follow.id)
    follow = latest(db)
    good = 60 - len(spoiled)
    assert (follow.status, follow.added, follow.updated) == ("done", good, 0)
    assert institutions(db) == good
    assert db.scalar(select(func.count(ImportChange.id))
                     .where(ImportChange.import_id == follow.id)) == good
    page = client.get(f"/admin/imports/{follow.id}").text
    # The page links to the rollback page, which decides (reading every row written) when asked.
    assert f'/admin/imports/{follow.id}/rollback"' in page and "撤销本次导入</button>" not in page
    confirm = client.get(f"/admin/imports/{follow.id}/rollback").text
    assert f"并删除本次导入新增的 {good} 行" in confirm and "撤销本次导入</button>" in confirm
    assert Directory(db).search(DirectoryQuery(), 1, None).total == good

    listing = client.get("/admin/imports/").text
    assert f"#{record.id}" in listing and f"#{follow.id}" in listing and "仅导入有效行" in listing

    created = list(db.scalars(select(Institution.id)))
    answer = client.post(f"/admin/imports/{follow.id}/rollback", data={
        "csrf_token": csrf_token(client, "/admin/imports/")}, follow_redirects=False)
    assert answer.status_code == 303
    assert institutions(db) == 0
    db.rollback()
    assert Directory(db).search(DirectoryQuery(), 1, None).total == 0
    assert latest(db).status == "rolled_back"
    # Each institution's search document and page were redone after the import and again
    # after the rollback (its document deleted with the row).
    assert {index_jobs(db, i) for i in created} == {2}
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.rolled_back")).one()
    assert (event.actor_id, event.object_id, event.detail["rows"]) == (supervisor.id,
                                                                       str(follow.id), good)
    page = client.get(answer.headers["location"]).text
    assert "已撤销" in page and "撤销本次导入" not in page
    blocked = client.get(f"/admin/imports/{follow.id}/rollback").text
    assert 'id="rollback-blocked"' in blocked and "该次导入已撤销" in blocked
    assert "撤销本次导入</button>" not in blocked
    # A second rollback is refused with the reason, not a 500.
    again = client.post(f"/admin/imports/{follow.id}/rollback", data={
        "csrf_token": csrf_token(client, "/admin/imports/")}, follow_redirects=False)
    assert again.status_code == 400 and "该次导入已撤销" in again.text


def test_the_cli_records_its_imports_in_the_same_table(client, db, tmp_path, capsys):
    make_city(db)
    path = write_xlsx(tmp_path / "a.xlsx", rows(5))
    assert main(["import", "institutions", str(path)]) == 0
    record = latest(db)
    assert (record.actor, record.status, record.added, record.content) == ("命令行", "done", 5,
                                                                           None)
    sign_in(client, db, Role.ADMIN)
    assert "a.xlsx" in client.get("/admin/imports/").text
    assert main(["import", "list"]) == 0
    assert f"#{record.id}\tinstitutions" in capsys.readouterr().out


def test_templates_for_each_kind(client, db):
    sign_in(client, db, Role.SUPERVISOR)
    for kind, first in [("institutions", "机构名称"), ("penalties", "统一社会信用代码")]:
        answer = client.get(f"/admin/imports/templates/{kind}.xlsx")
        book = load_workbook(io.BytesIO(answer.content))
        assert book.worksheets[0]["A1"].value == first and "数据字典" in book.sheetnames
    assert client.get("/admin/imports/templates/nothing.xlsx").status_code == 404


def test_uploads_refused_with_a_reason(client, db, tmp_path):
    sign_in(client, db, Role.SUPERVISOR)
    (tmp_path / "a.txt").write_text("x")
    answer = upload(client, tmp_path / "a.txt")
    assert answer.status_code == 400 and "不支持的文件类型" in answer.text
    (tmp_path / "empty.csv").write_bytes(b"")
    assert "文件是空的" in upload(client, tmp_path / "empty.csv").text
    # Department staff may not import.
    sign_in(client, db, Role.DEPARTMENT)
    assert client.get("/admin/imports/").status_code == 403
    assert db.scalar(select(func.count(Import.id))) == 0


@pytest.fixture
def one_mb_uploads(monkeypatch):
    monkeypatch.setenv("PORTAL_IMPORT_MAX_MB", "1")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_files_over_the_limit_are_refused_with_a_friendly_message(one_mb_uploads, client, db,
                                                                   tmp_path):
    sign_in(client, db, Role.SUPERVISOR)
    just_over = tmp_path / "just.csv"
    just_over.write_bytes(b"a" * (1024 * 1024 + 10))
    answer = upload(client, just_over)
    assert answer.status_code == 400 and "文件超过 1 MB，请拆分成几个文件分批导入" in answer.text
    far_over = tmp_path / "far.csv"
    far_over.write_bytes(b"a" * (3 * 1024 * 1024))
    answer = upload(client, far_over)
    # Within the largest upload body the site takes (the complaint photos'), the form checks
    # the file itself; beyond it the body comes cut and the form says the same.
    assert answer.status_code == 400 and "文件超过 1 MB，请拆分成几个文件分批导入" in answer.text
    assert db.scalar(select(func.count(Import.id))) == 0


@pytest.fixture
def one_mb_photos(monkeypatch):
    monkeypatch.setenv("PORTAL_PHOTO_MAX_MB", "1")
    monkeypatch.setenv("PORTAL_PHOTO_TOTAL_MB", "1")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_over_every_upload_limit_comes_cut_and_is_refused_on_the_form(
        one_mb_uploads, one_mb_photos, client, db, tmp_path):
    # The largest upload body the site takes is then ≈ 5 MB (the photos'): an 8 MB file is cut
    # away by the middleware (portal/core/security.py: BODY_CUT), and the form says why.
    sign_in(client, db, Role.SUPERVISOR)
    big = tmp_path / "big.csv"
    big.write_bytes(b"a" * (8 * 1024 * 1024))
    answer = upload(client, big)
    assert answer.status_code == 400 and "文件超过 1 MB，请拆分成几个文件分批导入" in answer.text
    assert db.scalar(select(func.count(Import.id))) == 0


def test_a_file_that_cannot_be_read_fails_with_its_reason(client, db, tmp_path):
    sign_in(client, db, Role.SUPERVISOR)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    upload(client, tmp_path / "broken.xlsx", mode="import")
    record = latest(db)
    assert run_import(record.id) == "failed"
    record = latest(db)
    assert record.status == "failed" and "不是有效的 Excel" in record.error
    assert "不是有效的 Excel" in client.get(f"/admin/imports/{record.id}").text


def test_progress_is_shown_while_running(client, db):
    sign_in(client, db, Role.SUPERVISOR)
    record = Import(kind="institutions", mode="import", status="running", file_name="a.csv",
                    sha256="0" * 64, size=1, actor="x", report={}, error="", rows_total=0,
                    rows_bad=0, added=0, updated=0, unchanged=0)
    db.add(record)
    db.commit()
    set_progress(record.id, "写入", 400, 150, 2000)
    fragment = client.get(f"/admin/imports/{record.id}/progress",
                          headers={"HX-Request": "true"})
    assert "hx-redirect" not in fragment.headers
    assert 'id="rows-checked">400<' in fragment.text and 'id="rows-written">150<' in fragment.text
    assert "共 <strong>2000</strong> 行" in fragment.text


def test_government_records_uploaded_are_stamped_with_the_importer(client, db, tmp_path):
    import random

    from portal.institutions.models import Penalty
    from portal.institutions.rules import creditcode

    from factories import department, institution

    code = creditcode.generate(random.Random(2), registration_dept="5", org_type="1",
                               region_code="330102")
    home = institution(db, credit_code=code)
    market = department(db, "market_regulation")
    supervisor = sign_in(client, db, Role.SUPERVISOR)
    path = tmp_path / "处罚.csv"
    path.write_text("统一社会信用代码,处罚决定书文号,处罚部门,决定日期,违法行为,处罚依据,处罚内容,罚款金额（元）\n"
                    f"{code},罚-1,{market.name},2026-03-02,未明码标价,价格法,罚款,2000\n",
                    encoding="utf-8-sig")
    upload(client, path, kind="penalties", mode="import")
    assert run_import(latest(db).id) == "done"
    fine = db.scalars(select(Penalty)).one()
    assert (fine.institution_id, fine.recorded_by_id, fine.decision_no) == (home.id,
                                                                            supervisor.id, "罚-1")
    assert "行政处罚" in client.get(f"/admin/imports/{latest(db).id}").text


def test_a_whole_file_kind_runs_as_a_job_and_its_page_says_it_cannot_be_rolled_back(
        client, db, tmp_path):
    """Districts (portal/registry/kinds.py: WholeKind) upload and run as a job like the other
    kinds; the page refuses a rollback with the reason. Staff accounts are not offered: their
    initial passwords are shown once, on the command line."""
    from data.city_files import FILES
    from data.city_files import write_xlsx as city_xlsx

    from portal.orgs.models import District, Street
    from portal.registry.rules.rollback import NOT_UNDOABLE

    sign_in(client, db, Role.ADMIN)
    page = client.get("/admin/imports/").text
    assert 'value="districts"' in page and 'value="places"' in page
    assert 'value="staff"' not in page and "templates/staff.xlsx" in page
    headers, data = FILES["districts"]
    answer = upload(client, city_xlsx(tmp_path / "区县.xlsx", headers, data), kind="districts",
                    mode="import")
    assert answer.status_code == 303
    record = latest(db)
    assert run_import(record.id) == "done"
    record = latest(db)
    assert (record.kind, record.status, record.added) == ("districts", "done", 5)
    db.expire_all()
    assert (db.scalar(select(func.count(District.id))), db.scalar(select(func.count(Street.id)))) \
        == (2, 5)
    page = client.get(f"/admin/imports/{record.id}").text
    assert NOT_UNDOABLE in page and "撤销本次导入</button>" not in page
    staff_headers, staff_rows = FILES["staff"]
    refused = upload(client, city_xlsx(tmp_path / "人员.xlsx", staff_headers, staff_rows),
                     kind="staff", mode="import")
    assert refused.status_code == 400 and latest(db).id == record.id
