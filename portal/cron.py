"""Recurring jobs, all in one list; loaded by `portal cron` (portal/core/scheduler.py, RQ's cron
scheduler made to survive Redis outages)."""

from rq import cron

from complaints.tasks import delete_expired_photos, sweep_clocks
from portal.core.backup import nightly_backup
from portal.core.jobs import sweep_outbox
from portal.core.settings import get_settings
from portal.core.signed_counts import fold_signed_counts
from portal.institutions.tasks import refresh_stale_pages
from portal.opendays.tasks import close_signups_due, flag_institutions_without_open_day, mark_held
from portal.stats.tasks import snapshot_previous_month

# (function, queue, schedule): interval in seconds or a cron expression.
RECURRING = [
    # Every PORTAL_OUTBOX_SWEEP_SECONDS (20): with the claim lease, a dead worker's jobs run
    # again within a minute.
    (sweep_outbox, "default", {"interval": get_settings().outbox_sweep_seconds}),
    (sweep_clocks, "default", {"cron": "*/5 * * * *"}),
    # The queue badges and directory totals sum trigger-kept rows: keep them few.
    (fold_signed_counts, "default", {"interval": 60}),
    (close_signups_due, "default", {"cron": "*/5 * * * *"}),
    (mark_held, "default", {"cron": "*/15 * * * *"}),
    # Page documents made stale without a refresh job (bulk loads, renames, a deploy).
    (refresh_stale_pages, "default", {"cron": "*/10 * * * *", "job_timeout": 3600}),
    (flag_institutions_without_open_day, "default", {"cron": "0 3 * * *"}),
    # rq cron counts in UTC: 18:30 UTC is 02:30 in Shanghai, the quietest hour.
    (nightly_backup, "default", {"cron": "30 18 * * *", "job_timeout": 3600}),
    # 18:10 UTC is 02:10 in Shanghai: complaint photos past their retention (before the backup).
    (delete_expired_photos, "default", {"cron": "10 18 * * *"}),
    # 17:40 UTC is 01:40 in Shanghai: last month's statistics, stored once (idempotent).
    (snapshot_previous_month, "default", {"cron": "40 17 * * *"}),
]

for func, queue, schedule in RECURRING:
    cron.register(func, queue, **schedule)
