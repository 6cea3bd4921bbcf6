"""Background jobs that keep the search index in step with the database (queue "index")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core.db import session_scope
from portal.core.jobs import OutboxJob, record_job, task
from portal.core.settings import get_settings
from search.services.index import check_or_rebuild, rebuild, update_institution

# One worker listens on this queue, so index writes never compete (whoosh's lock is the backstop).
INDEX_QUEUE = "index"


@task
def index_institution(institution_id: int) -> None:
    """Bring one institution's search document up to date (deleted when the row is gone)."""
    settings = get_settings()
    # A missing or corrupt index is rebuilt whole (which includes this change), never
    # restarted from this one document.
    if check_or_rebuild(settings.index_dir, settings.database_url) is not None:
        return
    # Read-only: on SQLite a writing session would hold the write lock while the index is written.
    with session_scope(settings.database_url, reading=True) as session:
        update_institution(settings.index_dir, session, institution_id)


@task
def rebuild_index() -> int:
    """Rebuild the whole index from the database into a new directory and swap it in."""
    settings = get_settings()
    return rebuild(settings.index_dir, settings.database_url)


def enqueue_index_update(session: Session, institution_id: int) -> OutboxJob:
    """Record, in the caller's transaction, that this institution's document must be redone."""
    return record_job(session, index_institution, institution_id, queue=INDEX_QUEUE)


def enqueue_rebuild(session: Session) -> OutboxJob:
    """Record a full rebuild on the index queue (runs after the caller commits)."""
    return record_job(session, rebuild_index, queue=INDEX_QUEUE)
