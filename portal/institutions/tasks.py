"""Background jobs that keep institution page documents current (portal/institutions/services/pagedoc.py).

The write paths (back-office workflow, records) record `refresh_page` with their change. The page
reads what they wrote through modules of its own (portal/backoffice/services/current.py and public.py),
never the write paths, so nothing here leads back to them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core.db import session_scope
from portal.core.jobs import OutboxJob, record_job, task
from portal.core.settings import get_settings
from portal.institutions.services.pagedoc import build_stale, refresh


@task
def refresh_page(institution_id: int) -> None:
    """Rebuild one institution's document after a change (recorded by `enqueue_refresh`)."""
    with session_scope(get_settings().database_url) as db:
        refresh(db, institution_id)


@task
def refresh_stale_pages(limit: int = 20_000) -> int:
    """The sweep: documents made stale by writes without a refresh job, renames or a deploy."""
    return build_stale(get_settings().database_url, limit=limit)


def enqueue_refresh(session: Session, institution_id: int) -> OutboxJob:
    """Record, in the caller's transaction, that the institution's document must be rebuilt."""
    return record_job(session, refresh_page, institution_id)
