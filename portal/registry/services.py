"""Importing the institution registry from a city's spreadsheets: read the file, check every
row (portal/registry/rules.py), and — only when the whole file is valid, or valid rows only are
asked for — upsert by credit code in one transaction, audited as one change.

The written institutions reach the rest of the portal as other changes do: database triggers
raise their `records_version` (migration 0009) and keep the directory counts (0011); a job per
changed institution rebuilds its page document and its search document (the outbox,
`portal.jobs.record_job`), or, past BULK changes, one index rebuild and one sweep of stale
page documents instead of a job each.
"""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError  # noqa: S405 (the exception only)

from openpyxl import Workbook
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.accounts.models import User
from portal.db import utcnow
from portal.institutions.models import Institution
from portal.institutions.page_jobs import enqueue_refresh, refresh_stale_pages
from portal.jobs import record_job
from portal.orgs.models import District, Street
from portal.registry import rules, xlsx
from search.pinyin import initials
from search.tasks import enqueue_index_update, enqueue_rebuild

log = logging.getLogger(__name__)

# More changed institutions than this: one index rebuild and one page sweep, not a job each.
BULK = 500
_CHUNK = 500
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


def _guarded(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """A damaged file found part-way through is an error of the file, not a crash."""
    try:
        yield from rows
    except xlsx.WorkbookError as exc:
        raise ImportFileError(str(exc)) from None
    except csv.Error as exc:
        raise ImportFileError(f"CSV 文件无法读取：{exc}") from None
    except (ParseError, KeyError, IndexError, ValueError, zipfile.BadZipFile) as exc:
        raise ImportFileError(f"Excel 文件已损坏：{exc}") from None


def read_table(path: Path) -> Table:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, encoding = decode(path.read_bytes())
        rows = _guarded(tuple(r) for r in csv.reader(io.StringIO(text, newline="")))
        return Table(next(rows, ()), enumerate(rows, start=2), encoding)
    if suffix in (".xlsx", ".xlsm"):
        rows = _guarded(xlsx.read_rows(path))
        return Table(next(rows, ()), enumerate(rows, start=2), "XLSX")
    raise ImportFileError(f"不支持的文件类型：{path.suffix or '无扩展名'}（请用 .xlsx 或 .csv）")


def places(db: Session) -> rules.Places:
    districts: dict[str, tuple[int, dict[str, int]]] = {
        name: (district_id, {}) for district_id, name in db.execute(
            select(District.id, District.name))}
    by_id = {district_id: streets for district_id, streets in districts.values()}
    for district_id, street_id, name in db.execute(
            select(Street.district_id, Street.id, Street.name)):
        by_id[district_id][name] = street_id
    return rules.Places(districts)


def _stored(db: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    columns = [getattr(Institution, name) for name in rules.STORED_FIELDS]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), _CHUNK):
        chunk = codes[start:start + _CHUNK]
        for row in db.execute(select(Institution.id, *columns)
                              .where(Institution.credit_code.in_(chunk))):
            values = row._asdict()
            found[values["credit_code"]] = values
    return found


@dataclass
class Plan:
    """What an import of a file would do, worked out in the session that would write it."""

    file: str
    encoding: str
    checked: rules.Checked
    ignored: list[str]
    added: list[dict[str, Any]]
    updated: list[dict[str, Any]]
    unchanged: int

    @property
    def valid(self) -> bool:
        return not self.checked.problems

    def summary(self, written: bool) -> rules.Summary:
        return rules.Summary(self.file, self.encoding, self.checked.total,
                             len(self.checked.bad_rows), len(self.added), len(self.updated),
                             self.unchanged, self.ignored, written)


def plan(db: Session, path: Path) -> Plan:
    """The dry run: every row checked, and each valid row compared with what is stored."""
    table = read_table(path)
    headers = rules.map_headers(table.headers)
    checked = rules.check_rows(headers, table.rows if not headers.problems else iter(()),
                               places(db))
    stored = _stored(db, [row.code for row in checked.rows])
    added, updated, unchanged = [], [], 0
    for row in checked.rows:
        old = stored.get(row.code)
        if old is None:
            values = rules.new_values(row)
            values["name_initials"] = initials(values["name"])[:60]
            added.append(values)
            continue
        changes = rules.changed_values(row, old)
        if not changes:
            unchanged += 1
            continue
        if "name" in changes:
            changes["name_initials"] = initials(changes["name"])[:60]
        changes["id"] = old["id"]
        updated.append(changes)
    return Plan(path.name, table.encoding, checked, [*headers.ignored], added, updated, unchanged)


def _actor(db: Session, username: str | None) -> tuple[int | None, str]:
    if not username:
        return None, CLI_ACTOR
    user_id = db.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise ImportFileError(f"没有该用户：{username}")
    return user_id, username


def write(db: Session, the_plan: Plan, actor_id: int | None, actor: str) -> None:
    """Upsert the planned rows, audit the import, and record the page and index jobs."""
    now = utcnow()
    for start in range(0, len(the_plan.added), 2_000):
        # No RETURNING: SQLAlchemy splices each batch's returned rows onto the earlier ones,
        # quadratic in the rows (a 5,000-row import spent most of its time there).
        db.execute(insert(Institution.__table__), [dict(values, created_at=now, updated_at=now)
                                         for values in the_plan.added[start:start + 2_000]])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for changes in the_plan.updated:
        groups.setdefault(tuple(sorted(changes)), []).append(dict(changes, updated_at=now))
    for batch in groups.values():
        db.execute(update(Institution), batch)
    changed = len(the_plan.added) + len(the_plan.updated)
    audit.record(db, actor_id, "registry.imported", "institutions", "",
                 file=the_plan.file, encoding=the_plan.encoding, rows=the_plan.checked.total,
                 bad_rows=len(the_plan.checked.bad_rows), added=len(the_plan.added),
                 updated=len(the_plan.updated), unchanged=the_plan.unchanged, by=actor)
    if changed > BULK:
        enqueue_rebuild(db)
        record_job(db, refresh_stale_pages)
    else:
        codes = [values["credit_code"] for values in the_plan.added]
        added_ids = [found["id"] for found in _stored(db, codes).values()]
        for institution_id in added_ids + [changes["id"] for changes in the_plan.updated]:
            enqueue_index_update(db, institution_id)
            enqueue_refresh(db, institution_id)
    log.info("registry import %s by %s: %d added, %d updated, %d unchanged, %d bad rows",
             the_plan.file, actor, len(the_plan.added), len(the_plan.updated),
             the_plan.unchanged, len(the_plan.checked.bad_rows))


@dataclass
class Outcome:
    plan: Plan
    written: bool

    @property
    def summary(self) -> rules.Summary:
        return self.plan.summary(self.written)


def import_institutions(db: Session, path: Path, *, dry_run: bool = False,
                        valid_only: bool = False, username: str | None = None) -> Outcome:
    """Check the file and, unless a dry run, write it if it is all valid (or `valid_only`).
    The caller commits (one transaction)."""
    actor_id, actor = _actor(db, username)
    the_plan = plan(db, path)
    blocked = the_plan.checked.problems and not valid_only
    header_broken = any(p.row <= 1 for p in the_plan.checked.problems)
    if dry_run or blocked or header_broken or not (the_plan.added or the_plan.updated):
        return Outcome(the_plan, written=False)
    write(db, the_plan, actor_id, actor)
    return Outcome(the_plan, written=True)


def write_report(problems: list[rules.Problem], out: Path) -> None:
    """The per-row report as XLSX or CSV (UTF-8 with BOM, which Excel opens correctly)."""
    rows = rules.report_rows(problems)
    if out.suffix.lower() == ".csv":
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(rules.REPORT_HEADER)
            writer.writerows(rows)
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet("检查结果")
    sheet.append(rules.REPORT_HEADER)
    for row in rows:
        sheet.append(row)
    book.save(out)


def write_template(out: Path) -> None:
    """The institutions template: a header row of the columns and a 数据字典 sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "养老机构"
    sheet.append([column.header for column in rules.COLUMNS])
    for cell in sheet[1]:
        cell.number_format = "@"
    guide = book.create_sheet("数据字典")
    guide.append(["列名", "是否必填", "格式", "允许的值", "也接受的列名"])
    for column in rules.COLUMNS:
        guide.append([column.header, "必填" if column.required else "选填", column.fmt,
                      column.allowed, "、".join(column.aliases)])
    for name in rules.NOT_KEPT:
        guide.append([name, "选填", "文本", "", "可保留在文件中，本平台不保存"])
    book.save(out)
