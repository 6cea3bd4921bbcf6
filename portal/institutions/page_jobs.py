"""Background jobs that keep institution page documents current (portal/institutions/pagedoc.py).

Kept apart from pagedoc so the write paths (back office, records) can record a job without
importing the page's loaders, which import them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.db import session_scope
from portal.jobs import OutboxJob, record_job, task
from portal.settings import get_settings


@task
def refresh_page(institution_id: int) -> None:
    """Rebuild one institution's document after a change (recorded by `enqueue_refresh`)."""
    from portal.institutions.pagedoc import refresh

    with session_scope(get_settings().database_url) as db:
        refresh(db, institution_id)


@task
def refresh_stale_pages(limit: int = 20_000) -> int:
    """The sweep: documents made stale by writes without a refresh job, renames or a deploy."""
    from portal.institutions.pagedoc import build_stale

    return build_stale(get_settings().database_url, limit=limit)


def enqueue_refresh(session: Session, institution_id: int) -> OutboxJob:
    """Record, in the caller's transaction, that the institution's document must be rebuilt."""
    return record_job(session, refresh_page, institution_id)
