"""The web server as production runs it: uvicorn's own command line with `--workers 2`
(deploy/systemd/portal-web.service, portal.devstack.web_command). Both worker processes answer;
a worker that dies is replaced by uvicorn's manager; SIGTERM stops them all; a bad PORTAL_*
value stops start-up with one line naming it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from portal.devstack import web_command

from servers import free_port, portal_env, start_portal, stop_process, uvicorn_workers

SECRET = "serve-test-" + "x" * 40


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


def _wait(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def _started(log: Path, workers: set[int]) -> bool:
    """Every one of `workers` has loaded the app and serves (uvicorn's log: a process names
    itself, then says its start-up is complete)."""
    text = log.read_text()
    marks = [text.find(f"Started server process [{pid}]") for pid in workers]
    return min(marks) >= 0 and text[min(marks):].count("Application startup complete.") >= len(
        workers)


@pytest.fixture
def server(sqlite_url, redis_server, tmp_path):
    env = portal_env(sqlite_url, redis_server.url, SECRET, tmp_path / "var")
    port = free_port()
    proc, _ = start_portal(env, port=port, workers=2, log=tmp_path / "web.log")
    try:
        workers = _wait(lambda: len(w := uvicorn_workers(proc.pid)) == 2 and w)
        _wait(lambda: _started(tmp_path / "web.log", workers) and _healthy(port))
        yield proc, port, tmp_path / "web.log"
    finally:
        stop_process(proc)


def _answers_alone(proc: subprocess.Popen, port: int, worker: int) -> bool:
    """A request on a new connection is answered while every other worker is stopped
    (SIGSTOP: it accepts nothing), so `worker` answered it."""
    others = uvicorn_workers(proc.pid) - {worker}
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        answered = _healthy(port)
    finally:
        for pid in others:
            with contextlib.suppress(ProcessLookupError):  # replaced meanwhile: False below
                os.kill(pid, signal.SIGCONT)
    # Still the same workers (uvicorn's manager did not replace a stopped one meanwhile).
    return answered and uvicorn_workers(proc.pid) == others | {worker}


def test_both_workers_answer(server):
    proc, port, _ = server
    workers = uvicorn_workers(proc.pid)
    assert len(workers) == 2
    for worker in workers:
        assert _answers_alone(proc, port, worker), worker


def test_a_killed_worker_is_replaced_and_sigterm_stops_all(server):
    proc, port, log = server
    before = uvicorn_workers(proc.pid)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    after = _wait(lambda: (now := uvicorn_workers(proc.pid)) and len(now) == 2 and victim not in now
                  and now)
    (replacement,) = after - before
    # Started (its app loaded) before the other is stopped: uvicorn's manager replaces a
    # worker that does not answer its health check for 5 s.
    _wait(lambda: _started(log, {replacement}))
    assert _answers_alone(proc, port, replacement)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=40) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in after)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(sqlite_url, redis_server,
                                                              tmp_path, workers):
    """uvicorn calls the app factory in each worker: a value the portal refuses is one line
    naming the variable (no traceback), and uvicorn's start-up failure code, on which its
    manager stops instead of starting workers again and again. One process exits with that code
    (3); uvicorn's `--workers` manager stops but exits 0 (uvicorn's own behaviour)."""
    env = portal_env(sqlite_url, redis_server.url, SECRET, tmp_path / "var")
    env["PORTAL_WEB_THREADS"] = "none"
    proc = subprocess.run(web_command(env, port=free_port(), workers=workers), env=env,
                          capture_output=True, text=True, timeout=120)
    code, output = proc.returncode, proc.stdout + proc.stderr
    assert "portal: PORTAL_WEB_THREADS must be a whole number" in output, output
    assert "Traceback" not in output, output
    if workers == 1:
        assert code == 3
    else:
        assert "failed to start, stopping the parent process" in output, output
