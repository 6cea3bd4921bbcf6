"""Index jobs through the outbox, run by a real `portal worker --burst index` process."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from portal.core.jobs import OutboxJob
from portal.core.settings import get_settings
from search.services.index import SearchQuery, document_count, rebuild, search
from search.tasks import enqueue_index_update, enqueue_rebuild

from factories import institution


def run_index_worker() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portal.cli", "worker", "--burst", "index"],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def found(q: str) -> list[str]:
    return [hit.name for hit in search(get_settings().index_dir, SearchQuery(q=q)).hits]


def test_a_committed_change_reaches_the_index_through_the_index_queue(db, env):
    rebuild(get_settings().index_dir, env)
    inst = institution(db, name="队列更新养老院")
    enqueue_index_update(db, inst.id)
    db.commit()  # dispatched to the "index" queue after the commit
    job = db.scalars(select(OutboxJob)).one()
    assert job.queue == "index" and job.func == "search.tasks:index_institution"
    assert found("队列更新") == []
    run_index_worker()
    db.expire_all()
    assert db.get(OutboxJob, job.id).status == "done"
    assert found("队列更新") == ["队列更新养老院"]


def test_a_rebuild_job_creates_the_index_from_the_database(db, env):
    institution(db, name="整体重建养老院")
    enqueue_rebuild(db)
    db.commit()
    run_index_worker()
    assert document_count(get_settings().index_dir) == 1
    assert found("整体重建") == ["整体重建养老院"]


def test_an_update_job_on_a_missing_index_rebuilds_it_whole(db, env):
    institution(db, name="先前存在养老院")
    changed = institution(db, name="刚刚修改养老院")
    enqueue_index_update(db, changed.id)
    db.commit()
    run_index_worker()
    assert document_count(get_settings().index_dir) == 2
    assert found("先前存在") == ["先前存在养老院"]
