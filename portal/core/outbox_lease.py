"""The outbox rows this process has claimed, kept alive by a heartbeat thread.

A claimed outbox row is 'running' with `started_at` as its lease: while the process that
claimed it lives, a daemon thread renews `started_at` every quarter of the lease
(PORTAL_OUTBOX_LEASE_SECONDS), so `sweep_outbox` gives a row back only when its claimant
stopped renewing — a worker killed mid-job — and not while a live worker is still sending it.

RQ's own liveness check could not do this: a `SimpleWorker` running a job sets its heartbeat to
the job's timeout + 60 s (11 minutes here), so a killed worker's claims waited 12 minutes.
This module knows nothing of the table: `portal.core.jobs` gives it the function that renews.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


class Lease:
    """Ids held by this process; `renew(ids)` is called every `every` seconds while any are."""

    def __init__(self, renew: Callable[[list[int]], None], every: Callable[[], float]) -> None:
        self._renew = renew
        self._every = every
        self._held: dict[int, int] = {}  # id → how many claims of this process hold it
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, ids: Iterable[int]) -> None:
        with self._lock:
            for outbox_id in ids:
                self._held[outbox_id] = self._held.get(outbox_id, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="outbox-lease",
                                                daemon=True)
                self._thread.start()

    def release(self, ids: Iterable[int]) -> None:
        with self._lock:
            for outbox_id in ids:
                left = self._held.get(outbox_id, 0) - 1
                if left > 0:
                    self._held[outbox_id] = left
                else:
                    self._held.pop(outbox_id, None)

    def held(self) -> list[int]:
        with self._lock:
            return sorted(self._held)

    def _loop(self) -> None:
        stop = threading.Event()  # never set: the thread lives as long as the process
        while not stop.wait(self._every()):
            ids = self.held()
            if not ids:
                continue
            try:
                self._renew(ids)
            except Exception:  # the database is away: try again at the next beat
                log.warning("outbox: could not renew the lease of %d claimed job(s)", len(ids),
                            exc_info=True)
