"""Running an import of any kind (portal/registry/kinds.py): read the file, check every row (the
dry run), and — only when the whole file is valid, or the valid rows only are asked for — write
it in one transaction, recorded in `imports` with the before-values of every row written
(`import_changes`, for rollback), audited as one change.

The written rows reach the rest of the portal as other changes do: database triggers raise the
institutions' `records_version` (migration 0009) and keep the directory counts (0011); a job per
changed institution rebuilds its page document and its search document (the outbox), or, past
BULK changes, one index rebuild and one sweep of stale page documents instead of a job each.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import audit
from portal.core.db import plan_each_statement, utcnow
from portal.core.jobs import record_job
from portal.institutions.tasks import enqueue_refresh, refresh_stale_pages
from portal.registry.models import Import, ImportChange
from portal.registry.rules import imports, report
from portal.registry.services.files import ImportFileError, read_table
from search.tasks import enqueue_index_update, enqueue_rebuild

log = logging.getLogger(__name__)

# More changed institutions than this: one index rebuild and one page sweep, not a job each.
BULK = 500
CHUNK = 1000
PROGRESS_EVERY = 200
CLI_ACTOR = "命令行"

# (phase, rows checked, rows written, rows in the file): phase 检查 or 写入.
Progress = Callable[[str, int, int, int], None]


@dataclass
class Writing:
    """A pass that writes: when, and the import its changes are recorded under."""

    now: datetime
    import_id: int
    actor_id: int | None = None  # stamped as the records' recorded_by


@dataclass
class Outcome:
    """What an import did (or, not written, would do): counts and the problems by row."""

    file: str
    encoding: str
    checker: imports.RowChecker | imports.Checked  # a whole-file kind's: its plan
    ignored: list[str]
    total: int = 0
    written: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: set[int] = field(default_factory=set)  # institutions whose page/index change
    notes: list[str] = field(default_factory=list)  # shown once after the summary (the CLI's)

    @property
    def problems(self) -> list[imports.Problem]:
        return self.checker.problems

    @property
    def summary(self) -> report.Summary:
        return report.Summary(self.file, self.encoding, self.checker.total,
                               len(self.checker.bad_rows), self.added, self.updated,
                               self.unchanged, self.ignored, self.written)


class Kind(Protocol):
    """An importable kind: its columns, how its rows are checked against the database and
    written (portal/registry/services/institutions.py, records.py)."""

    @property
    def code(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def sheet(self) -> str: ...  # the template's sheet
    @property
    def columns(self) -> tuple[imports.Column, ...]: ...
    @property
    def not_kept(self) -> tuple[str, ...]: ...  # columns offices export that are not kept

    def checker(self, db: Session, headers: imports.Headers,
                today: date) -> imports.RowChecker: ...

    def settle(self, db: Session, rows: list[imports.Row], outcome: Outcome,
               writing: Writing | None) -> None: ...


@dataclass(frozen=True)
class WholeKind:
    """A kind read whole, hundreds of rows (districts, offices, places, staff): its runner,
    named module:function so that the table imports it only when it runs, checks the file and
    writes it (portal/registry/sheets.py, place_import.py). It keeps no before-values: its
    imports are recorded and listed, but cannot be rolled back (rules/rollback.py)."""

    code: str
    label: str
    sheet: str
    columns: tuple[imports.Column, ...]
    not_kept: tuple[str, ...]
    runner: str  # module:function taking (db, path, *, dry_run, valid_only, username)

    def run(self, db: Session, path: Path, **options: Any) -> Outcome:
        module, name = self.runner.split(":")
        run = getattr(importlib.import_module(module), name)
        outcome: Outcome = run(db, path, **options)
        return outcome


AnyKind = Kind | WholeKind


def record_changes(db: Session, writing: Writing, rows: list[dict[str, Any]]) -> None:
    """The rows a chunk wrote (table_name, row_id, action, label, before, after)."""
    if rows:
        db.execute(insert(ImportChange), [{"import_id": writing.import_id, **row} for row in rows])


def _pass(db: Session, kind: Kind, path: Path, today: date, *, writing: Writing | None,
          progress: Progress | None) -> Outcome:
    """One pass over the file: every row checked and each valid one compared with what is
    stored, a chunk at a time (memory stays that of a chunk whatever the file's length);
    when `writing`, the chunk's new and changed rows are written as it goes."""
    plan_each_statement(db)  # the chunks' lookups in a table this transaction grows
    table = read_table(path)
    headers = imports.map_headers(table.headers, kind.columns)
    checker = kind.checker(db, headers, today)
    outcome = Outcome(path.name, table.encoding, checker, [*headers.ignored], table.total,
                      written=writing is not None)
    if headers.problems:
        return outcome
    phase = "写入" if writing else "检查"

    def written() -> int:
        return outcome.added + outcome.updated if writing else 0

    chunk: list[imports.Row] = []
    for seen, (number, cells) in enumerate(table.rows, start=1):
        row = checker.check(number, cells)
        if row is not None:
            chunk.append(row)
            if len(chunk) == CHUNK:
                kind.settle(db, chunk, outcome, writing)
                chunk = []
        if progress and seen % PROGRESS_EVERY == 0:
            progress(phase, seen, written(), table.total)
    if chunk:
        kind.settle(db, chunk, outcome, writing)
    if progress:
        progress(phase, table.total, written(), table.total)
    return outcome


def actor_of(db: Session, username: str | None) -> tuple[int | None, str]:
    if not username:
        return None, CLI_ACTOR
    user_id = db.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise ImportFileError(f"没有该用户：{username}")
    return user_id, username


def _record(db: Session, import_id: int | None, kind: AnyKind, mode: str, path: Path,
            actor: tuple[int | None, str], sha256: str) -> Import:
    """The import's row: the back office's (queued when uploaded), or a new one (the CLI)."""
    record = db.get(Import, import_id) if import_id is not None else None
    if record is None:
        record = Import(kind=kind.code, mode=mode, status="running", file_name=path.name,
                        sha256=sha256, size=path.stat().st_size, user_id=actor[0],
                        actor=actor[1], started_at=utcnow(), report={}, error="",
                        rows_total=0, rows_bad=0, added=0, updated=0, unchanged=0)
        db.add(record)
        db.flush()
    return record


def _finish(record: Import, outcome: Outcome, status: str) -> None:
    record.status = status
    record.finished_at = utcnow()
    record.rows_total, record.rows_bad = outcome.checker.total, len(outcome.checker.bad_rows)
    record.added, record.updated, record.unchanged = (outcome.added, outcome.updated,
                                                      outcome.unchanged)
    record.report = {"summary": outcome.summary.lines(),
                     "problems": [list(p) for p in report.report_rows(outcome.problems)]}


def refresh_institutions(db: Session, ids: set[int]) -> None:
    """Page and search documents of changed institutions: a job each, or past BULK one index
    rebuild and one sweep of stale pages."""
    if len(ids) <= BULK:
        for institution_id in sorted(ids):
            enqueue_index_update(db, institution_id)
            enqueue_refresh(db, institution_id)
    elif ids:
        enqueue_rebuild(db)
        record_job(db, refresh_stale_pages)


def _run_whole(db: Session, kind: WholeKind, path: Path, *, mode: str, sha256: str,
               username: str | None, import_id: int | None,
               progress: Progress | None) -> tuple[Outcome, Import]:
    """A whole-file kind: its runner checks and writes (and audits) in the caller's
    transaction; the import's row records what it did."""
    actor = actor_of(db, username)
    outcome = kind.run(db, path, dry_run=mode == "dry_run", valid_only=mode == "valid_only",
                       username=username)
    record = _record(db, import_id, kind, mode, path, actor, sha256)
    status = ("checked" if mode == "dry_run" else "done" if outcome.written
              else "rejected" if outcome.problems else "done")
    _finish(record, outcome, status)
    if progress:
        total = outcome.checker.total
        progress("写入" if outcome.written else "检查", total,
                 outcome.added + outcome.updated if outcome.written else 0, total)
    return outcome, record


def import_file(db: Session, kind: AnyKind, path: Path, *, mode: str, sha256: str,
                username: str | None = None, import_id: int | None = None,
                today: date | None = None, progress: Progress | None = None) -> tuple[Outcome, Import]:
    """Check the whole file (the dry run) and, unless mode is dry_run, write it when it is all
    valid or mode is valid_only: a second pass, in a transaction of its own, checks every row
    again and writes. The import's row is filled in the same transaction; the caller commits.
    A whole-file kind (WholeKind) is run by its runner, in one pass."""
    if isinstance(kind, WholeKind):
        return _run_whole(db, kind, path, mode=mode, sha256=sha256, username=username,
                          import_id=import_id, progress=progress)
    actor = actor_of(db, username)
    today = today or date.today()
    checked = _pass(db, kind, path, today, writing=None, progress=progress)
    header_broken = any(p.row <= 1 for p in checked.problems)
    nothing = not (checked.added or checked.updated)
    if (mode == "dry_run" or header_broken or (checked.problems and mode != "valid_only")
            or nothing):
        record = _record(db, import_id, kind, mode, path, actor, sha256)
        status = "checked" if mode == "dry_run" else (
            "rejected" if checked.problems and (header_broken or mode != "valid_only") else "done")
        _finish(record, checked, status)
        return checked, record
    # The check read in a transaction of its own: the writing one starts now (on SQLite it takes
    # the write lock at its first insert, not for the whole check). It checks every row again
    # and gives up if the file is no longer valid against what others changed meanwhile.
    db.rollback()
    record = _record(db, import_id, kind, mode, path, actor, sha256)
    done = _pass(db, kind, path, today, writing=Writing(utcnow(), record.id, actor[0]), progress=progress)
    if done.problems and mode != "valid_only":
        db.rollback()
        done.written = False
        record = _record(db, import_id, kind, mode, path, actor, sha256)
        _finish(record, done, "rejected")
        return done, record
    _finish(record, done, "done")
    audit.record(db, actor[0], "registry.imported", kind.code, record.id,
                 file=done.file, encoding=done.encoding, rows=done.checker.total,
                 bad_rows=len(done.checker.bad_rows), added=done.added, updated=done.updated,
                 unchanged=done.unchanged, by=actor[1])
    refresh_institutions(db, done.changed_ids)
    log.info("registry import #%d (%s) %s by %s: %d added, %d updated, %d unchanged, "
             "%d bad rows", record.id, kind.code, done.file, actor[1], done.added, done.updated,
             done.unchanged, len(done.checker.bad_rows))
    return done, record
