"""`portal import institutions` end to end on SQLite and PostgreSQL: a generated 2,000-row
registry with 4 % bad rows of every kind is reported row by row and writes nothing; fixed, it
imports whole, once audited, with the page and search jobs and the directory counts right;
imported again, nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
from data.registry_rows import HEADERS, make_city, rows, spoil, write_csv, write_xls, write_xlsx
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.accounts.rules.roles import Role
from portal.cli import main
from portal.core.audit import AuditEvent
from portal.core.jobs import OutboxJob
from portal.institutions.models import Institution
from portal.institutions.rules.directory_query import DirectoryQuery
from portal.institutions.services.directory import Directory
from portal.registry.models import Import
from portal.registry.rules.imports import COLUMNS
from search.rules.pinyin import sort_key

from factories import user

TODAY = date(2026, 12, 7)
COLUMN_FIELDS = {c.header: c.field for c in COLUMNS}


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(["import", "institutions", *map(str, args)])
    return code, capsys.readouterr().out


def imported_id(db) -> int:
    """The latest import's number in the imports table."""
    return db.scalar(select(func.max(Import.id)))


def counts(db) -> tuple[int, int, int]:
    db.rollback()
    return (db.scalar(select(func.count(Institution.id))),
            db.scalar(select(func.count(AuditEvent.id))
                      .where(AuditEvent.action == "registry.imported")),
            db.scalar(select(func.count(OutboxJob.id))))


def test_a_registry_with_bad_rows_is_reported_whole_then_imported_once(db, tmp_path, capsys):
    districts = make_city(db)
    good = rows(2000)
    bad = [list(row) for row in good]
    spoiled = spoil(bad)
    assert len(spoiled) == 80 and len({s.kind for s in spoiled}) == 7

    code, out = run(capsys, write_xlsx(tmp_path / "机构.xlsx", bad), "--report",
                    tmp_path / "report.xlsx")
    assert code == 1
    for s in spoiled:
        assert f"行 {s.row}，{s.column}：" in out, s
    reported = {int(line.split("，")[0].removeprefix("行 ")) for line in out.splitlines()
                if line.startswith("行 ")}
    assert reported == {s.row for s in spoiled}
    assert "数据行 2000，有错误 80，有效 1920" in out and "未保存的列：登记机关、备案机关" in out
    assert counts(db) == (0, 0, 0)
    sheet = load_workbook(tmp_path / "report.xlsx").active
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == {s.row for s in spoiled}

    code, csv_out = run(capsys, write_csv(tmp_path / "机构.csv", bad), "--dry-run")
    assert code == 1 and "（GB18030）" in csv_out
    assert [line for line in csv_out.splitlines() if line.startswith("行 ")] == \
        [line for line in out.splitlines() if line.startswith("行 ")]
    assert counts(db) == (0, 0, 0)

    code, out = run(capsys, write_xlsx(tmp_path / "机构.xlsx", good))
    assert code == 0, out
    assert "已写入：新增 2000，更新 0，无变化 0" in out
    assert counts(db)[:2] == (2000, 1)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "registry.imported")).one()
    assert event.actor_id is None
    assert event.object_type == "institutions" and event.object_id == str(imported_id(db))
    assert event.detail | {} == {"file": "机构.xlsx", "encoding": "XLSX", "rows": 2000,
                                 "bad_rows": 0, "added": 2000, "updated": 0, "unchanged": 0,
                                 "by": "命令行"}
    # Past BULK changes: one index rebuild and one page sweep, not 4,000 jobs.
    assert sorted(db.scalars(select(OutboxJob.func))) == [
        "portal.institutions.tasks:refresh_stale_pages", "search.tasks:rebuild_index"]
    first = db.scalars(select(Institution).where(Institution.credit_code == good[0][1])).one()
    assert (first.name, first.district_id, first.beds_total) == (good[0][0], districts["南湖区"],
                                                                 good[0][HEADERS.index("床位数")])
    check_directory(db, districts)
    versions = dict(db.execute(select(Institution.id, Institution.records_version)).all())

    code, out = run(capsys, tmp_path / "机构.xlsx")
    assert code == 0 and "无变化 2000" in out and "未写入任何数据" in out
    assert counts(db) == (2000, 1, 2)
    assert dict(db.execute(select(Institution.id, Institution.records_version)).all()) == versions

    # Three rows changed: updated, each with its own page and index job, audited by its user.
    at = {h: i for i, h in enumerate(HEADERS)}
    good[5][at["床位数"]] = good[5][at["床位数"]] + 10
    good[6][at["所在区县"]], good[6][at["乡镇（街道）"]] = "北山区", "北山二街道"
    good[7][at["机构名称"]] = "新名称颐养院"
    admin_id = user(db, Role.ADMIN, username="minzheng").id
    db.commit()
    code, out = run(capsys, write_xlsx(tmp_path / "机构.xlsx", good), "--user", "minzheng")
    assert code == 0 and "已写入：新增 0，更新 3，无变化 1997" in out
    assert counts(db) == (2000, 2, 2 + 6)
    last = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.actor_id, last.detail["by"], last.detail["updated"]) == (admin_id, "minzheng", 3)
    changed = {i for i, v in db.execute(select(Institution.id, Institution.records_version))
               if v != versions[i]}
    codes = {good[n][at["统一社会信用代码"]] for n in (5, 6, 7)}
    assert changed == set(db.scalars(select(Institution.id)
                                     .where(Institution.credit_code.in_(codes))))
    moved = db.scalars(select(Institution).where(Institution.credit_code == good[6][1])).one()
    assert moved.district.name == "北山区" and moved.street.name == "北山二街道"
    renamed = db.scalars(select(Institution).where(Institution.name == "新名称颐养院")).one()
    assert renamed.name_initials == "xmcyyy"
    assert renamed.name_pinyin == sort_key("新名称颐养院")
    # Added and renamed rows alike carry their pinyin order key (issue 21 item 12).
    assert all(key == sort_key(name) for name, key in
               db.execute(select(Institution.name, Institution.name_pinyin)))
    check_directory(db, districts)


def check_directory(db, districts: dict[str, int]) -> None:
    db.rollback()
    directory = Directory(db)
    for district_id in [None, *districts.values()]:
        for kind in [None, "residential", "community"]:
            query = DirectoryQuery(district=district_id, kind=kind)
            counted = db.scalar(select(func.count(Institution.id)).where(
                *([Institution.district_id == district_id] if district_id else []),
                *([Institution.kind == kind] if kind else [])))
            assert directory.search(query, 1, TODAY).total == counted > 0, query


def test_valid_only_writes_the_good_rows_and_reports_the_rest(db, tmp_path, capsys):
    make_city(db)
    data = rows(120, seed=5)
    spoiled = spoil(data, every=20)
    code, out = run(capsys, write_xlsx(tmp_path / "a.xlsx", data), "--valid-only")
    assert code == 0
    assert counts(db)[:2] == (120 - len(spoiled), 1)
    # Under BULK changes: a page job and an index job per institution.
    assert counts(db)[2] == 2 * (120 - len(spoiled))
    for s in spoiled:
        assert f"行 {s.row}，{s.column}：" in out


@pytest.mark.parametrize("encoding, label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）")])
def test_utf8_csv_with_or_without_bom(db, tmp_path, capsys, encoding, label):
    make_city(db)
    code, out = run(capsys, write_csv(tmp_path / "a.csv", rows(30), encoding=encoding))
    assert code == 0 and f"（{label}）" in out
    assert counts(db)[0] == 30


def test_an_excel_97_2003_workbook_imports_as_an_xlsx_does(db, tmp_path, capsys):
    """Older office systems still export .xls: read by the same reader, date cells included."""
    from datetime import datetime

    make_city(db)
    data = rows(40, seed=9)
    dated = [(i, c) for i, row in enumerate(data) for c, cell in enumerate(row)
             if isinstance(cell, datetime)]
    assert dated  # some rows carry their dates as date cells
    code, out = run(capsys, write_xls(tmp_path / "旧系统导出.xls", data))
    assert code == 0, out
    assert "旧系统导出.xls（XLS）" in out and "已写入：新增 40" in out
    assert counts(db)[0] == 40
    i, c = dated[0]
    stored = db.scalars(select(Institution).where(
        Institution.credit_code == data[i][HEADERS.index("统一社会信用代码")])).one()
    assert getattr(stored, COLUMN_FIELDS[HEADERS[c]]) == data[i][c].date()
    code, out = run(capsys, write_xls(tmp_path / "again.xls", data))
    assert code == 0 and "无变化 40" in out


def test_unreadable_files_and_unknown_users_write_nothing(db, tmp_path, capsys):
    make_city(db)
    (tmp_path / "a.txt").write_text("x")
    assert main(["import", "institutions", str(tmp_path / "a.txt")]) == 2
    assert main(["import", "institutions", str(tmp_path / "none.xlsx")]) == 2
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")
    assert main(["import", "institutions", str(tmp_path / "broken.xlsx")]) == 2
    (tmp_path / "few.csv").write_bytes("机构名称,地址\n福寿院,路\n".encode())
    assert main(["import", "institutions", str(tmp_path / "few.csv"), "--valid-only"]) == 1
    assert "表头，统一社会信用代码：缺少必填列" in capsys.readouterr().out
    path = write_xlsx(tmp_path / "a.xlsx", rows(3))
    assert main(["import", "institutions", str(path), "--user", "nobody"]) == 2
    assert "没有该用户" in capsys.readouterr().err
    assert counts(db) == (0, 0, 0)


def test_the_template_has_every_column_and_a_data_dictionary(db, tmp_path, capsys):
    make_city(db)
    out = tmp_path / "模板.xlsx"
    assert main(["import", "template", "institutions", str(out)]) == 0
    book = load_workbook(out)
    header = [c.value for c in book.worksheets[0][1]]
    assert header[:3] == ["机构名称", "统一社会信用代码", "登记证号"] and "乡镇（街道）" in header
    guide = {r[0]: r for r in book["数据字典"].iter_rows(min_row=2, values_only=True)}
    assert guide["统一社会信用代码"][1] == "必填" and guide["床位数"][1] == "选填"
    assert "公建民营" in guide["机构性质"][3]
    # The template's header row, filled in, imports.
    from data.registry_rows import HEADERS as FULL
    assert FULL[:len(header)] == header


def test_a_file_made_invalid_between_the_check_and_the_write_writes_nothing(
        db, tmp_path, capsys, monkeypatch):
    """The writing pass checks every row again against the city as it is then (here a street
    removed meanwhile): a row gone bad stops the import, in its one transaction."""
    from portal.registry.services import institutions as services

    make_city(db)
    calls = []
    real = services.places

    def places_then_one_street_fewer(session):
        found = real(session)
        calls.append(1)
        if len(calls) > 1:
            for _, streets in found.districts.values():
                streets.pop("南湖一街道", None)
        return found

    monkeypatch.setattr(services, "places", places_then_one_street_fewer)
    data = rows(40)
    for row in data:
        row[HEADERS.index("乡镇（街道）")] = "南湖一街道" if row[HEADERS.index("所在区县")] == "南湖区" \
            else ""
    code, out = run(capsys, write_xlsx(tmp_path / "a.xlsx", data))
    assert len(calls) == 2 and code == 1
    assert "南湖区没有该乡镇（街道）：南湖一街道" in out and "未写入任何数据" in out
    assert counts(db) == (0, 0, 0)


def test_both_passes_plan_their_lookups_for_their_own_parameters(db, tmp_path, capsys,
                                                                 monkeypatch):
    """psycopg prepares a statement run five times, and PostgreSQL may then keep a generic plan
    made before this transaction's rows existed (a chunk's lookup of 1,000 codes became a
    sequential scan: bench/registry_import.py). Each pass plans every statement for its own
    parameters (portal/core/db.py: plan_each_statement), and only inside its transaction."""
    from sqlalchemy import text

    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.services import institutions as services

    make_city(db)
    postgres = db.get_bind().dialect.name == "postgresql"
    seen = []
    real = services.places

    def places_noting_the_plan_mode(session):
        seen.append(session.execute(text("SHOW plan_cache_mode")).scalar() if postgres
                    else "sqlite")
        return real(session)

    monkeypatch.setattr(services, "places", places_noting_the_plan_mode)
    code, out = run(capsys, write_xlsx(tmp_path / "a.xlsx", rows(30)))
    assert code == 0, out
    assert seen == ["force_custom_plan" if postgres else "sqlite"] * 2
    if postgres:
        with session_scope(get_settings().database_url) as other:
            assert other.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
