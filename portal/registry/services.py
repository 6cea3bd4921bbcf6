"""Importing the institution registry from a city's spreadsheets: read the file, check every
row (portal/registry/rules/imports.py), and — only when the whole file is valid, or valid rows only are
asked for — upsert by credit code in one transaction, audited as one change.

The written institutions reach the rest of the portal as other changes do: database triggers
raise their `records_version` (migration 0009) and keep the directory counts (0011); a job per
changed institution rebuilds its page document and its search document (the outbox,
`portal.core.jobs.record_job`), or, past BULK changes, one index rebuild and one sweep of stale
page documents instead of a job each.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from python_calamine import CalamineError, CalamineWorkbook
from sqlalchemy import Table as SqlTable
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import utcnow
from portal.core.jobs import record_job
from portal.institutions.models import Institution
from portal.institutions.tasks import enqueue_refresh, refresh_stale_pages
from portal.orgs.models import District, Street
from portal.registry.rules import imports
from search.rules.pinyin import initials, sort_key
from search.tasks import enqueue_index_update, enqueue_rebuild

log = logging.getLogger(__name__)

# More changed institutions than this: one index rebuild and one page sweep, not a job each.
BULK = 500
_CHUNK = 1000
CLI_ACTOR = "命令行"


class ImportFileError(Exception):
    """A file that cannot be read at all (not its rows): the message is for the user."""


@dataclass
class Table:
    headers: tuple[Any, ...]
    rows: Iterator[tuple[int, tuple[Any, ...]]]
    encoding: str


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV export and what it was: UTF-8 (with or without BOM) tried strictly
    first, else GB18030 (which Chinese office software writes as "ANSI")."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "UTF-8（带 BOM）"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030）：{exc}") from None


def _csv_rows(text: str) -> Iterator[tuple[Any, ...]]:
    """A damaged CSV found part-way through is an error of the file, not a crash."""
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield tuple(row)
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件无法读取：{exc}") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """The first sheet's rows (python-calamine: the Rust calamine reader). Row numbers are
    kept (leading blank rows come as blank rows); a blank cell is "", a date cell a date or
    datetime, a number a float, an error cell (#N/A) ""."""
    try:
        with CalamineWorkbook.from_path(path) as book:
            if not book.sheet_names:
                raise ImportFileError("工作簿中没有工作表")
            sheet = book.get_sheet_by_index(0)
    except CalamineError as exc:
        raise ImportFileError(f"不是有效的 Excel（.xlsx）文件，或文件已损坏：{exc}") from None
    return (tuple(row) for row in sheet.iter_rows())


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, encoding = decode(path.read_bytes())
        rows = _csv_rows(text)
        return Table(next(rows, ()), enumerate(rows, start=2), encoding)
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
        return Table(next(rows, ()), enumerate(rows, start=2), "XLSX")
    raise ImportFileError(f"不支持的文件类型：{path.suffix or '无扩展名'}（请用 .xlsx 或 .csv）")


def places(db: Session) -> imports.Places:
    districts: dict[str, tuple[int, dict[str, int]]] = {
        name: (district_id, {}) for district_id, name in db.execute(
            select(District.id, District.name))}
    by_id = {district_id: streets for district_id, streets in districts.values()}
    for district_id, street_id, name in db.execute(
            select(Street.district_id, Street.id, Street.name)):
        by_id[district_id][name] = street_id
    return imports.Places(districts)


def _stored(db: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    columns = [getattr(Institution, name) for name in imports.STORED_FIELDS]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start:start + _CHUNK]
        for row in db.execute(select(Institution.id, *columns)
                              .where(Institution.credit_code.in_(chunk))):
            values = row._asdict()
            found[values["credit_code"]] = values
    return found


@dataclass
class Outcome:
    """What an import did (or, not written, would do): counts and the problems by row."""

    file: str
    encoding: str
    checker: imports.RowChecker | imports.Checked
    ignored: list[str]
    written: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown once after the summary

    @property
    def problems(self) -> list[imports.Problem]:
        return self.checker.problems

    @property
    def summary(self) -> imports.Summary:
        return imports.Summary(self.file, self.encoding, self.checker.total,
                             len(self.checker.bad_rows), self.added, self.updated,
                             self.unchanged, self.ignored, self.written)


def _pass(db: Session, path: Path, city: imports.Places, *, write: bool,
          collect_ids: bool = False) -> Outcome:
    """One pass over the file: every row checked and each valid one compared with what is
    stored, a chunk at a time (memory stays that of a chunk whatever the file's length);
    with `write`, the chunk's new and changed institutions are written as it goes."""
    table = read_table(path)
    headers = imports.map_headers(table.headers)
    checker = imports.RowChecker(headers, city)
    outcome = Outcome(path.name, table.encoding, checker, [*headers.ignored], written=write)
    if headers.problems:
        return outcome
    chunk: list[imports.Row] = []
    now = utcnow()
    for number, cells in table.rows:
        row = checker.check(number, cells)
        if row is not None:
            chunk.append(row)
            if len(chunk) == _CHUNK:
                _settle(db, chunk, outcome, now if write else None, collect_ids)
                chunk = []
    if chunk:
        _settle(db, chunk, outcome, now if write else None, collect_ids)
    return outcome


def _settle(db: Session, rows: list[imports.Row], outcome: Outcome, now: datetime | None,
            collect_ids: bool) -> None:
    """Compare a chunk of valid rows with the stored institutions; write them if `now`."""
    stored = _stored(db, [row.code for row in rows])
    added: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for row in rows:
        old = stored.get(row.code)
        if old is None:
            added.append(imports.new_values(row))
            continue
        changes = imports.changed_values(row, old)
        if changes:
            changes["id"] = old["id"]
            updated.append(changes)
        else:
            outcome.unchanged += 1
    outcome.added += len(added)
    outcome.updated += len(updated)
    if now is None:
        return
    for values in added:
        values.update(name_initials=initials(values["name"])[:60],
                      name_pinyin=sort_key(values["name"]), created_at=now, updated_at=now)
    if added:
        # Core, without RETURNING: the ORM's bulk insert splices each batch's returned rows onto
        # the earlier ones, quadratic in the rows.
        db.execute(insert(cast(SqlTable, Institution.__table__)), added)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for changes in updated:
        if "name" in changes:
            changes["name_initials"] = initials(changes["name"])[:60]
            changes["name_pinyin"] = sort_key(changes["name"])
        changes["updated_at"] = now
        groups.setdefault(tuple(sorted(changes)), []).append(changes)
    for batch in groups.values():
        db.execute(update(Institution), batch)
    if collect_ids:
        added_ids = [old["id"] for old in _stored(db, [v["credit_code"] for v in added]).values()]
        outcome.changed_ids.extend(added_ids + [changes["id"] for changes in updated])


def importer(db: Session, username: str | None) -> tuple[int | None, str]:
    if not username:
        return None, CLI_ACTOR
    user_id = db.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise ImportFileError(f"没有该用户：{username}")
    return user_id, username


def import_institutions(db: Session, path: Path, *, dry_run: bool = False,
                        valid_only: bool = False, username: str | None = None) -> Outcome:
    """Check the whole file (the dry run) and, unless `dry_run`, write it when it is all valid
    or `valid_only` is given: a second pass, in the same transaction, writes what the first
    found. The caller commits: the import is one transaction and one audited change."""
    actor_id, actor = importer(db, username)
    city = places(db)
    checked = _pass(db, path, city, write=False)
    header_broken = any(p.row <= 1 for p in checked.problems)
    if (dry_run or header_broken or (checked.problems and not valid_only)
            or not (checked.added or checked.updated)):
        return checked
    each = checked.added + checked.updated <= BULK
    # The check read in a transaction of its own: the writing one starts now (on SQLite it takes
    # the write lock at its first insert, not for the whole check). It checks every row again
    # and gives up if the file is no longer valid against what others changed meanwhile.
    db.rollback()
    done = _pass(db, path, places(db), write=True, collect_ids=each)
    if done.problems and not valid_only:
        db.rollback()
        done.written = False
        return done
    audit.record(db, actor_id, "registry.imported", "institutions", "",
                 file=done.file, encoding=done.encoding, rows=done.checker.total,
                 bad_rows=len(done.checker.bad_rows), added=done.added, updated=done.updated,
                 unchanged=done.unchanged, by=actor)
    if each:
        for institution_id in done.changed_ids:
            enqueue_index_update(db, institution_id)
            enqueue_refresh(db, institution_id)
    else:  # past BULK changes: one index rebuild and one page sweep, not a job each
        enqueue_rebuild(db)
        record_job(db, refresh_stale_pages)
    log.info("registry import %s by %s: %d added, %d updated, %d unchanged, %d bad rows",
             done.file, actor, done.added, done.updated, done.unchanged,
             len(done.checker.bad_rows))
    return done


def write_report(problems: list[imports.Problem], out: Path) -> None:
    """The per-row report as XLSX or CSV (UTF-8 with BOM, which Excel opens correctly)."""
    rows = imports.report_rows(problems)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(imports.REPORT_HEADER)
            writer.writerows(rows)
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet("检查结果")
    sheet.append(imports.REPORT_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(out)


def write_template(out: Path, title: str = "养老机构",
                   columns: tuple[imports.Column, ...] = imports.COLUMNS,
                   not_kept: tuple[str, ...] = imports.NOT_KEPT) -> None:
    """A kind's template: a header row of its columns and a 数据字典 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.number_format = "@"
    guide = book.create_sheet("数据字典")
    guide.append(["列名", "是否必填", "格式", "允许的值", "也接受的列名"])
    for column in columns:
        guide.append([column.header, "必填" if column.required else "选填", column.fmt,
                      column.allowed, "、".join(column.aliases)])
    for name in not_kept:
        guide.append([name, "选填", "文本", "", "可保留在文件中，本平台不保存"])
    book.save(out)
