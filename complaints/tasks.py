"""Background tasks of the complaints package."""

from __future__ import annotations

import logging

from complaints.calendar_store import load_calendar
from complaints.sweeps import sweep
from portal.db import session_scope, utcnow
from portal.jobs import task
from portal.settings import get_settings

log = logging.getLogger(__name__)


@task
def sweep_clocks() -> dict[str, int]:
    """Mark due-soon and overdue complaints (recurring; safe to run any number of times)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        result = sweep(session, load_calendar(session), utcnow(), settings.timezone)
    log.info("clock sweep: %d due soon, %d overdue", result.due_soon, result.overdue)
    return {"due_soon": result.due_soon, "overdue": result.overdue}
