"""Background tasks of the statistics package."""

from __future__ import annotations

import logging

from complaints.services.calendar_store import load_calendar
from portal.core.db import session_scope, utcnow
from portal.core.jobs import task
from portal.core.settings import get_settings
from portal.stats.rules.periods import previous_month
from portal.stats.services.snapshots import store_month

log = logging.getLogger(__name__)


@task
def snapshot_previous_month() -> bool:
    """Store last month's statistics once (recurring nightly; later runs change nothing)."""
    settings = get_settings()
    now = utcnow()
    key = previous_month(now.astimezone(settings.timezone).date())
    with session_scope(settings.database_url) as session:
        stored = store_month(session, key, tz=settings.timezone,
                             calendar=load_calendar(session), now=now)
    log.info("stats snapshot %s: %s", key, "stored" if stored else "already present")
    return stored
