"""The web server's command line, and `portal dev`'s child processes (Redis, the RQ worker, the
scheduler, the web server): started, watched, each started again with backoff when it dies,
and stopped in the reverse order of their start.

The web server is uvicorn's own command with its own process manager (`--workers`): the same
command line in production (deploy/systemd/portal-web.service), `portal dev`, the tests and the
benchmark (`web_command`; tests/unit/portal/test_trusted_proxies.py checks the unit against it).

A scheduler or worker that died used to stay dead until `portal dev` was restarted, and the
outbox sweeper, clock sweeps and backups stopped with it (issue 18 item 4). Production runs
them under systemd (`Restart=always`), which does the same.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.settings import PROJECT_ROOT

log = logging.getLogger("portal.dev")

BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0
STEADY = 60.0  # a child that ran this long before dying starts again after BACKOFF_FIRST
LOG_CONFIG = PROJECT_ROOT / "deploy" / "uvicorn-log.json"  # the access log without query strings


def web_command(env: Mapping[str, str], host: str = "127.0.0.1", port: int = 8000,
                workers: int | None = None, extra: Sequence[str] = ()) -> list[str]:
    """uvicorn serving the app factory, as deploy/systemd/portal-web.service runs it.

    X-Forwarded-For and -Proto are believed only from the addresses in PORTAL_TRUSTED_PROXIES
    (as the unit's `--forwarded-allow-ips=${PORTAL_TRUSTED_PROXIES}`), none when it is empty;
    given explicitly, so uvicorn's own default (127.0.0.1, or FORWARDED_ALLOW_IPS) never
    applies (issue 18, item 2). The app refuses a value that is not a list of addresses at
    start-up (portal/settings.py). Without `workers`, uvicorn reads WEB_CONCURRENCY (else 1)."""
    return [sys.executable, "-m", "uvicorn", "portal.app:create_app", "--factory",
            "--host", host, "--port", str(port), "--proxy-headers",
            f"--forwarded-allow-ips={env.get('PORTAL_TRUSTED_PROXIES', '')}",
            "--log-config", str(LOG_CONFIG), "--timeout-graceful-shutdown", "30",
            *(["--workers", str(workers)] if workers else []), *extra]


@dataclass
class Child:
    name: str
    argv: list[str]
    popen: dict[str, Any]
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0


class Supervisor:
    def __init__(self, check_every: float = 0.5) -> None:
        self.children: list[Child] = []
        self._check_every = check_every
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, name: str, argv: list[str], **popen: Any) -> Child:
        child = Child(name, argv, popen, subprocess.Popen(argv, **popen))
        with self._lock:
            self.children.append(child)
        return child

    def watch(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dev-supervisor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.wait(self._check_every):
            with self._lock:
                if self._stopping.is_set():
                    return
                for child in self.children:
                    self._check(child, time.monotonic())

    def _check(self, child: Child, now: float) -> None:
        code = child.proc.poll()
        if code is None:
            return
        if child.restart_at is None:
            if now - child.started >= STEADY:
                child.backoff = BACKOFF_FIRST
            child.restart_at = now + child.backoff
            log.warning("dev: %s (pid %d) exited with %s; starting it again in %.0f s",
                        child.name, child.proc.pid, code, child.backoff)
            child.backoff = min(child.backoff * 2, BACKOFF_MAX)
        elif now >= child.restart_at:
            try:
                child.proc = subprocess.Popen(child.argv, **child.popen)
            except OSError as exc:
                log.error("dev: could not start %s again: %s", child.name, exc)
                child.restart_at = None
                return
            child.started, child.restart_at = now, None
            child.restarts += 1
            log.warning("dev: %s started again (pid %d, restart %d)", child.name,
                        child.proc.pid, child.restarts)

    def stop(self) -> None:
        """Stop watching, then stop every child in the reverse order of its start, each
        waited for (the worker and the scheduler let go of their locks in Redis first)."""
        self._stopping.set()
        with self._lock:
            children = list(reversed(self.children))
        if self._thread is not None:
            self._thread.join(timeout=10)
        for child in children:
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
            try:
                child.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
