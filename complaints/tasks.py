"""Background tasks of the complaints package."""

from __future__ import annotations

import logging

from complaints.services.calendar_store import load_calendar
from complaints.services.handling import HandlingService
from complaints.services.photos import PhotoService
from complaints.services.sweeps import close_unrated, sweep
from portal.core.db import session_scope, utcnow
from portal.core.jobs import task
from portal.core.settings import get_settings

log = logging.getLogger(__name__)


@task
def sweep_clocks() -> dict[str, int]:
    """Mark due-soon and overdue complaints (recurring; safe to run any number of times)."""
    settings = get_settings()
    now = utcnow()
    with session_scope(settings.database_url) as session:
        calendar = load_calendar(session)
        result = sweep(session, calendar, now, settings.timezone)
        closed = close_unrated(session, HandlingService(session, calendar, settings.timezone),
                               now, settings.feedback_window_days)
    log.info("clock sweep: %d due soon, %d overdue, %d auto-closed",
             result.due_soon, result.overdue, closed)
    return {"due_soon": result.due_soon, "overdue": result.overdue, "auto_closed": closed}


@task
def delete_expired_photos() -> int:
    """Delete complaint photos past PORTAL_PHOTO_RETENTION_DAYS after closing (recurring)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        deleted = PhotoService(session).delete_expired(utcnow(), settings.photo_retention_days)
    log.info("photo retention: %d photos deleted", deleted)
    return deleted
