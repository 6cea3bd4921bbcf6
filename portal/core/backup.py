"""Database backups: consistent online copies, retention, and restore into an empty database.

SQLite is copied with `VACUUM INTO`, which reads one snapshot while the app keeps writing (the
database runs in WAL mode, so writers are not blocked). PostgreSQL is dumped with `pg_dump -Fc`,
which also reads one snapshot. A backup is written under a temporary name and renamed when
complete, so a file named like a backup is always a whole one. `portal backup` runs nightly from
`portal cron` (portal/cron.py); `portal restore FILE` refuses a database that already holds tables
unless told `--force`.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, make_url

from portal.core.db import get_engine, private_sqlite_file, utcnow
from portal.core.settings import get_settings

log = logging.getLogger(__name__)

PREFIX = "portal-"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
PG_TIMEOUT = 3600


class BackupError(Exception):
    """A backup or restore could not be done; the message says why (shown to the operator)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: tuple[Path, ...]


def backend(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in SUFFIX:
        raise BackupError(f"unsupported database backend: {name}")
    return name


def backup_name(kind: str, now: datetime) -> str:
    """`portal-20261125T023000Z.sqlite3`: UTC, sortable, the kind visible in the suffix."""
    return f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIX[kind]}"


def backups_in(directory: Path) -> list[Path]:
    """The finished backups in a directory, oldest first."""
    found = [p for s in SUFFIX.values() for p in directory.glob(f"{PREFIX}*{s}") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def to_remove(backups: list[Path], keep: int) -> list[Path]:
    """Which of these backups (oldest first) fall outside the newest `keep` (pure)."""
    if keep < 1:
        raise BackupError("at least one backup must be kept")
    return backups[: max(0, len(backups) - keep)]


def _unused_path(directory: Path, kind: str, now: datetime) -> Path:
    path = directory / backup_name(kind, now)
    n = 1
    while path.exists():
        n += 1
        path = directory / backup_name(kind, now).replace(SUFFIX[kind], f"-{n}{SUFFIX[kind]}")
    return path


def pg_binary(name: str) -> str:
    """pg_dump/pg_restore: on PATH, else the newest Debian build under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not candidates:
        raise BackupError(f"{name} not found: install Debian's postgresql-client")
    return candidates[-1]


def _pg_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True,
                                timeout=PG_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{Path(command[0]).name} timed out after {PG_TIMEOUT}s") from exc
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _backup_sqlite(url: URL, target: Path) -> None:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    conn = sqlite3.connect(source, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()
    check = sqlite3.connect(target)
    try:
        status = check.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        check.close()
    if status != "ok":
        raise BackupError(f"the copy failed its integrity check: {status}")


def _backup_postgres(url: URL, target: Path) -> None:
    args, env = _pg_args(url)
    _run([pg_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(target), *args], env)


def create_backup(database_url: str, directory: Path, keep: int,
                  now: datetime | None = None) -> BackupResult:
    """Write one consistent backup to `directory`, then delete all but the newest `keep`."""
    kind = backend(database_url)
    url = make_url(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    final = _unused_path(directory, kind, now or utcnow())
    partial = final.with_name(final.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            _backup_sqlite(url, partial)
        else:
            _backup_postgres(url, partial)
        os.chmod(partial, 0o600)  # it holds complainants' personal data
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    removed = to_remove(backups_in(directory), keep)
    for old in removed:
        old.unlink(missing_ok=True)
    log.info("backup written: %s (%d bytes), %d old removed", final.name, final.stat().st_size,
             len(removed))
    return BackupResult(final, final.stat().st_size, tuple(removed))


def table_names(database_url: str) -> list[str]:
    return inspect(get_engine(database_url)).get_table_names()


def _file_kind(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path.name} is neither a SQLite backup nor a pg_dump custom archive")


def _unusable(source: Path, why: str) -> BackupError:
    """One line naming the file: what the operator sees on stderr."""
    return BackupError(f"{source}: not a usable backup, the file is damaged or truncated "
                       f"({why.strip().splitlines()[-1] if why.strip() else 'unreadable'}); "
                       "the database was not changed")


def _check_sqlite_backup(source: Path) -> None:
    """Read the whole backup before anything is written (a truncated file raises, a damaged
    one fails its check)."""
    try:
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            status = src.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            src.close()
    except sqlite3.DatabaseError as exc:
        raise _unusable(source, f"SQLite: {exc}") from None
    if status != "ok":
        raise _unusable(source, f"SQLite quick_check: {status}")


def _restore_sqlite(url: URL, source: Path) -> None:
    _check_sqlite_backup(source)
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A new database is built beside the target and renamed into place when whole; an
    # existing one (--force) is replaced by the backup API, in one transaction.
    fresh = not target.exists()
    into = target.with_name(target.name + ".restoring") if fresh else target
    if fresh:
        into.unlink(missing_ok=True)
        private_sqlite_file(into)
    try:
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
        dst = sqlite3.connect(into, timeout=30)
        try:
            src.backup(dst)  # replaces every page of the target in one step
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            src.close()
            dst.close()
        if fresh:
            for side in ("-wal", "-shm"):
                into.with_name(into.name + side).unlink(missing_ok=True)
            os.replace(into, target)
    except sqlite3.DatabaseError as exc:
        raise _unusable(source, f"SQLite: {exc}") from None
    finally:
        if fresh:
            for leftover in (into, *(into.with_name(into.name + s) for s in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)


def _check_pg_archive(source: Path) -> None:
    """pg_restore reads the whole archive into nothing: a truncated one fails here, before the
    database (or with --force its schema) is touched."""
    try:
        result = subprocess.run([pg_binary("pg_restore"), "--file", os.devnull, str(source)],
                                capture_output=True, text=True, timeout=PG_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise _unusable(source, f"pg_restore could not read it in {PG_TIMEOUT}s") from None
    if result.returncode != 0:
        raise _unusable(source, result.stderr)


def _restore_postgres(database_url: str, url: URL, source: Path, force: bool) -> None:
    _check_pg_archive(source)
    if force:
        from sqlalchemy import text

        with get_engine(database_url).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    args, env = _pg_args(url)
    _run([pg_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", *args, str(source)], env)


def restore_backup(path: Path, database_url: str, force: bool = False) -> str:
    """Load a backup into the database at `database_url`; returns the backend name."""
    from portal.core.db import dispose_engines

    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    kind = backend(database_url)
    file_kind = _file_kind(path)
    if file_kind != kind:
        raise BackupError(f"{path.name} is a {file_kind} backup; the database is {kind}")
    url = make_url(database_url)
    if kind == "sqlite" and not _sqlite_path(url).exists():
        existing: list[str] = []
    else:
        existing = table_names(database_url)
    if existing and not force:
        raise BackupError(
            f"the database already has {len(existing)} tables; restore only into an empty "
            "database, or pass --force to replace everything in it")
    dispose_engines()  # no pooled connection may survive the swap
    if kind == "sqlite":
        _restore_sqlite(url, path)
    else:
        _restore_postgres(database_url, url, path, force)
    dispose_engines()
    return kind


def nightly_backup() -> str:
    """Recurring job (portal/cron.py): back up with the configured directory and retention."""
    settings = get_settings()
    directory = settings.backup_dir or settings.var_dir / "backups"
    result = create_backup(settings.database_url, directory, settings.backup_keep)
    return str(result.path)
