"""`portal backup` / `portal restore` end to end on SQLite and PostgreSQL, with writes going on."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from complaints.models import Complaint
from complaints.services.filing import build_services
from portal.core.backup import (
    BackupError,
    backend,
    backups_in,
    create_backup,
    restore_backup,
    table_names,
    to_remove,
)
from portal.core.db import dispose_engines, session_scope
from portal.core.settings import get_settings, reset_settings

from consistency import (
    complaint_input,
    count,
    fresh_database,
    portal_cli,
    problems,
    seed_city,
    table_rows,
)
from support import csrf_token

# Reference data: must come back exactly.
STATIC_TABLES = ["alembic_version", "districts", "streets", "departments", "institutions",
                 "fee_items", "routing_rules", "holiday_years"]
# Written during the backup: the backup holds a consistent prefix of them.
GROWING_TABLES = ["complaints", "complaint_events", "co_handlings", "notifications"]


def file_complaints(url: str, inst_id: int, first: int, last: int) -> None:
    for n in range(first, last):
        with session_scope(url) as db:
            intake, _ = build_services(db, get_settings())
            intake.submit(complaint_input(inst_id, n))


class Writer(threading.Thread):
    """Files complaints one per transaction until stopped."""

    def __init__(self, url: str, inst_id: int, start_at: int) -> None:
        super().__init__(daemon=True)
        self.url, self.inst_id, self.n = url, inst_id, start_at
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                file_complaints(self.url, self.inst_id, self.n, self.n + 1)
                self.n += 1
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)


def test_backup_under_writes_restores_a_consistent_working_database(env, tmp_path, monkeypatch):
    source = env
    inst_id = seed_city(source)
    file_complaints(source, inst_id, 0, 20)
    seeded = count(source, "complaints")
    backup_dir = tmp_path / "backups"
    cli_env = os.environ | {"PORTAL_BACKUP_DIR": str(backup_dir), "PORTAL_BACKUP_KEEP": "2"}

    writer = Writer(source, inst_id, 1000)
    writer.start()
    try:
        time.sleep(0.3)
        result = portal_cli("backup", env=cli_env, timeout=60)
        time.sleep(0.3)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert not writer.errors, writer.errors
    assert result.returncode == 0, result.stderr[-2000:]
    (backup,) = backups_in(backup_dir)
    assert not list(backup_dir.glob("*.partial"))
    assert oct(backup.stat().st_mode & 0o777) == "0o600"  # personal data inside
    final = count(source, "complaints")

    target = fresh_database(source, tmp_path, "r_" + uuid.uuid4().hex[:10])
    restored = portal_cli("restore", str(backup), env=os.environ | {"PORTAL_DATABASE_URL": target})
    assert restored.returncode == 0, restored.stderr[-2000:]
    if target.startswith("sqlite"):  # owner-only, like every SQLite database of the portal
        assert oct(Path(make_url(target).database).stat().st_mode & 0o777) == "0o600"

    # The backup is one snapshot taken mid-stream: some but not all of the writes, and whole.
    assert seeded < count(target, "complaints") < final
    assert problems(target) == []
    source_rows = table_rows(source, STATIC_TABLES + GROWING_TABLES)
    target_rows = table_rows(target, STATIC_TABLES + GROWING_TABLES)
    for table in STATIC_TABLES:
        assert target_rows[table] == source_rows[table], table
    for table in GROWING_TABLES:
        assert target_rows[table] <= source_rows[table], table

    # A second restore into the now non-empty database is refused, and allowed with force.
    with pytest.raises(BackupError, match="--force"):
        restore_backup(backup, target)
    assert restore_backup(backup, target, force=True) == backend(target)
    assert problems(target) == []
    assert table_rows(target, GROWING_TABLES) == {t: target_rows[t] for t in GROWING_TABLES}

    # The app works on the restored database: a complaint is tracked, a new one is filed.
    monkeypatch.setenv("PORTAL_DATABASE_URL", target)
    reset_settings()
    dispose_engines()
    with session_scope(target) as db:
        old = db.scalars(select(Complaint).order_by(Complaint.id)).first()
        intake, _ = build_services(db, get_settings())
        new, created = intake.submit(complaint_input(inst_id, 99999))
        assert created and new.id > old.id  # the id sequence came back too (PostgreSQL)
        tracking_no, phone = old.tracking_no, old.complainant_phone
    from starlette.testclient import TestClient

    from portal.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        token = csrf_token(client, "/complaints/track")
        page = client.post("/complaints/track", data={
            "csrf_token": token, "tracking_no": tracking_no, "secret": phone[-4:]})
    assert page.status_code == 200, page.text[:500]
    assert tracking_no in page.text
    assert problems(target) == []


def test_retention_keeps_the_newest_and_restore_checks_the_file(env, tmp_path):
    directory = tmp_path / "b"
    env_vars = os.environ | {"PORTAL_BACKUP_DIR": str(directory)}
    result = portal_cli("backup", "--keep", "2", env=env_vars)
    assert result.returncode == 0, result.stderr[-2000:]
    for _ in range(2):
        create_backup(env, directory, keep=2)
    names = [p.name for p in backups_in(directory)]
    assert len(names) == 2 and len(set(names)) == 2
    assert "backup written" in result.stdout

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(BackupError, match="neither"):
        restore_backup(not_a_backup, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    # The wrong kind of backup for the database is refused before anything is touched.
    other = "postgresql+psycopg://postgres@127.0.0.1:1/none" if env.startswith("sqlite") \
        else f"sqlite:///{tmp_path / 'y.sqlite3'}"
    with pytest.raises(BackupError, match="backup; the database is"):
        restore_backup(backups_in(directory)[-1], other)


def test_to_remove_keeps_the_newest():
    files = [Path(f"portal-{i}.sqlite3") for i in range(5)]
    assert to_remove(files, 2) == files[:3]
    assert to_remove(files[:1], 2) == []
    with pytest.raises(BackupError):
        to_remove(files, 0)


def test_nightly_backup_is_scheduled():
    import portal.cron
    from portal.core.backup import nightly_backup

    assert any(func is nightly_backup and "cron" in sched
               for func, _, sched in portal.cron.RECURRING)


def _truncated_backup(env_url: str, tmp_path: Path) -> Path:
    backup = create_backup(env_url, tmp_path / "whole", keep=1).path
    data = backup.read_bytes()
    truncated = tmp_path / backup.name.replace("portal-", "truncated-")
    truncated.write_bytes(data[: len(data) // 2])
    return truncated


def test_restoring_a_truncated_backup_names_the_file_and_leaves_the_target_as_it_was(env,
                                                                                    tmp_path):
    seed_city(env)
    truncated = _truncated_backup(env, tmp_path)

    # Into an empty database: a clear one-line error, and no database (file) made.
    target = fresh_database(env, tmp_path, "t_" + uuid.uuid4().hex[:10])
    result = portal_cli("restore", str(truncated), env=os.environ | {"PORTAL_DATABASE_URL": target})
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert str(truncated) in message and "damaged or truncated" in message, message
    if env.startswith("sqlite"):
        assert not Path(make_url(target).database).exists()
    else:
        assert table_names(target) == []

    # Over a database with data (--force): it keeps every row.
    before = table_rows(env, STATIC_TABLES)
    result = portal_cli("restore", str(truncated), "--force",
                        env=os.environ | {"PORTAL_DATABASE_URL": env})
    assert result.returncode != 0 and str(truncated) in result.stderr
    dispose_engines()
    assert table_rows(env, STATIC_TABLES) == before
