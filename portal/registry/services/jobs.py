"""An uploaded import's background run (the job of portal/registry/tasks.py) and its progress,
kept in Redis for the page to poll."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import CursorResult, select, update

from portal.accounts.models import User
from portal.core.db import session_scope, utcnow
from portal.core.jobs import redis_connection
from portal.core.settings import get_settings
from portal.registry.kinds import KINDS
from portal.registry.models import Import
from portal.registry.services.files import ImportFileError
from portal.registry.services.running import import_file

log = logging.getLogger(__name__)

PROGRESS_KEY = "portal:import:progress:"
PROGRESS_TTL = 86400


def set_progress(import_id: int, phase: str, checked: int, written: int, total: int) -> None:
    """Where a running import is, for the page to poll (Redis: the import's own transaction
    holds SQLite's write lock, so a second one could not write it to the database)."""
    try:
        conn = redis_connection()
        key = f"{PROGRESS_KEY}{import_id}"
        conn.hset(key, mapping={"phase": phase, "checked": checked, "written": written,
                                "total": total})
        conn.expire(key, PROGRESS_TTL)
    except RedisError:
        pass  # the page shows the import running without figures


def progress_of(import_id: int) -> dict[str, Any] | None:
    try:
        raw = cast(dict[bytes, bytes], redis_connection().hgetall(f"{PROGRESS_KEY}{import_id}"))
    except RedisError:
        return None
    if not raw:
        return None
    found = {k.decode(): v.decode() for k, v in raw.items()}
    return {"phase": found["phase"], **{k: int(found[k]) for k in ("checked", "written", "total")}}


def run(import_id: int) -> str:
    """Run a queued import (the background job). A run that died (its worker killed) is run
    again by the outbox: its writes were one transaction, so nothing of it remains."""
    url = get_settings().database_url
    with session_scope(url) as db:
        claimed = db.execute(update(Import).where(
            Import.id == import_id, Import.status.in_(("queued", "running")))
            .values(status="running", started_at=utcnow()))
        if not cast(CursorResult[Any], claimed).rowcount:
            return "skipped"
        record = db.get_one(Import, import_id)
        kind, mode, name = KINDS[record.kind], record.mode, record.file_name
        content, sha, user_id = record.content or b"", record.sha256, record.user_id
        username = db.scalar(select(User.username).where(User.id == user_id)) if user_id else None
    with tempfile.TemporaryDirectory(prefix="portal-import-") as folder:
        # The file under its own name: the report names it.
        path = Path(folder) / (Path(name).name or f"upload{Path(name).suffix.lower()}")
        path.write_bytes(content)
        try:
            with session_scope(url) as db:
                import_file(db, kind, path, mode=mode, sha256=sha, username=username,
                            import_id=import_id,
                            progress=lambda *at: set_progress(import_id, *at))
        except ImportFileError as exc:
            _failed(url, import_id, str(exc))
            return "failed"
        except Exception as exc:
            log.exception("registry import #%d failed", import_id)
            _failed(url, import_id, f"导入时出错，未写入任何数据（{type(exc).__name__}）")
            return "failed"
    return "done"


def _failed(url: str, import_id: int, message: str) -> None:
    with session_scope(url) as db:
        db.execute(update(Import).where(Import.id == import_id).values(
            status="failed", error=message[:2000], finished_at=utcnow()))
