"""Open-day background jobs: the reminder, and the periodic sweeps listed in portal/cron.py."""

from __future__ import annotations

import logging

from portal.core.db import session_scope, utcnow
from portal.core.jobs import task
from portal.core.settings import get_settings
from portal.institutions.rules.thresholds import configured_thresholds
from portal.opendays.services.events import OpenDayService, institutions_without_open_day

# The reminder lives beside the sign-up that schedules it (no import cycle); reminders
# recorded under this module's name still find it here.
from portal.opendays.services.signups import send_reminder  # noqa: F401

log = logging.getLogger(__name__)


@task
def close_signups_due() -> int:
    """Close sign-up of events whose deadline has passed, and release the seats of sign-ups
    whose SMS code lapsed unconfirmed (recurring, every five minutes; idempotent). Returns
    how many events were closed."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        service = OpenDayService(session, settings.secret_key, settings.base_url)
        released = service.release_unconfirmed(utcnow())
        if released:
            log.info("open days: released %d unconfirmed sign-up(s)", released)
        return service.close_signups_due(utcnow())


@task
def mark_held() -> list[int]:
    """Mark ended events held and ask their attendees for feedback (recurring; idempotent)."""
    settings = get_settings()
    with session_scope(settings.database_url) as session:
        return OpenDayService(session, settings.secret_key, settings.base_url).mark_held(utcnow())


@task
def flag_institutions_without_open_day(period_days: int | None = None) -> list[int]:
    """Log the residential institutions with no open day held in the period; returns their ids."""
    settings = get_settings()
    if period_days is None:  # PORTAL_CHECK_OPEN_DAY_PERIOD_DAYS, as on the institution page
        period_days = configured_thresholds(settings.check_thresholds).open_day_period_days
    with session_scope(settings.database_url) as session:
        ids = institutions_without_open_day(session, utcnow(), period_days)
    log.info("open days: %d residential institution(s) held none in %d days", len(ids),
             period_days)
    return ids
