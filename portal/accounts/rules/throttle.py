"""How long an account waits after failed logins: a growing delay, never a long hard lock.

The first `FREE_FAILURES` failures in a row cost nothing; each one after them makes the account
wait before the next password is checked: 1, 2, 4, 8 minutes, at most `MAX_DELAY`. Attempts
made while the account waits are refused without checking the password and do not count, so a
stranger who sends five wrong passwords keeps the owner out for one minute, not fifteen, and
cannot try more than a few passwords an hour. A successful login starts the count afresh.
(Project rule, not from a seed: the seeds set no login policy.)
"""

from __future__ import annotations

from datetime import timedelta

FREE_FAILURES = 5
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)


def delay_after(failures: int) -> timedelta | None:
    """The wait before the next check after `failures` failed (or pending) attempts in a row;
    None while the account need not wait."""
    if failures < FREE_FAILURES:
        return None
    steps = failures - FREE_FAILURES
    if steps >= 10:  # 2**10 minutes is far past the cap already
        return MAX_DELAY
    return min(FIRST_DELAY * 2**steps, MAX_DELAY)
