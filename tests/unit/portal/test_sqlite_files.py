"""The SQLite database and its WAL and shared-memory files are readable by the owner only."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text

from portal.core.db import make_engine


def _mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def _write(path: Path) -> None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS t (phone TEXT)"))
            conn.execute(text("INSERT INTO t VALUES ('13912345678')"))
        with engine.connect() as conn:  # open: the -wal and -shm files exist meanwhile
            conn.execute(text("SELECT count(*) FROM t")).scalar_one()
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert {f.name: _mode(f) for f in files} == {f.name: "0o600" for f in files}
    finally:
        engine.dispose()


def test_a_new_database_and_its_wal_files_are_owner_only(tmp_path):
    old = os.umask(0o022)  # the usual umask: files would be 0644
    try:
        _write(tmp_path / "sub" / "portal.sqlite3")
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path):
    path = tmp_path / "portal.sqlite3"
    for name in (path, path.with_name(path.name + "-wal")):
        name.write_bytes(b"")
        os.chmod(name, 0o644)
    _write(path)
