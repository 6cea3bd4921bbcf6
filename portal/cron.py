"""Recurring jobs, all in one list; loaded by `rq cron portal.cron` (see `portal cron`)."""

from rq import cron

from complaints.tasks import sweep_clocks
from portal.jobs import sweep_outbox

# (function, queue, schedule): interval in seconds or a cron expression.
RECURRING = [
    (sweep_outbox, "default", {"interval": 60}),
    (sweep_clocks, "default", {"cron": "*/5 * * * *"}),
]

for func, queue, schedule in RECURRING:
    cron.register(func, queue, **schedule)
