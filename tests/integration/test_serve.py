"""`portal serve --workers N` (portal/serve.py): the parent accepts and hands the connections to
the workers in turn, so connections opened at once are shared evenly; a worker that dies is
replaced; SIGTERM stops them all; a worker that cannot start stops the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from servers import free_port, portal_env, wait_for_port

SECRET = "serve-test-" + "x" * 40


def _inodes_of(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def _sockets_on(port: int) -> dict[str, str]:
    """inode → TCP state ("0A" listening, "01" established) of this machine's sockets whose
    local port is `port`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                found[fields[9]] = fields[3]
    return found


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def _workers(server: int) -> list[int]:
    """The server's worker processes (spawned by multiprocessing)."""
    found = []
    for child in _children(server):
        try:
            if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text():
                found.append(child)
        except FileNotFoundError:
            continue
    return found


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _wait(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def server(sqlite_url, redis_server, tmp_path):
    port = free_port()
    env = portal_env(sqlite_url, redis_server.url, SECRET, tmp_path / "var")
    proc = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", "--workers", "2",
                             "--port", str(port), "--no-access-log"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, timeout=30)
        _wait(lambda: len(_workers(proc.pid)) == 2 and _healthy(port))
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_connections_are_handed_to_the_workers_in_turn(server):
    proc, port = server
    workers = _workers(proc.pid)
    listening = {i for i, state in _sockets_on(port).items() if state == "0A"}
    assert len(listening) == 1 and listening <= _inodes_of(proc.pid)
    assert not any(_inodes_of(pid) & listening for pid in workers)
    # 64 connections opened at once and kept, as a load test or a proxy's pool does.
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    try:
        for conn in conns:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        for conn in conns:
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        established = {i for i, state in _sockets_on(port).items() if state == "01"}
        per_worker = Counter({pid: len(_inodes_of(pid) & established) for pid in workers})
        # In turn: 32 each (one listening socket per worker, shared by the kernel's hash of
        # the client's ports, gave 36 / 28 as often as 32 / 32; one shared socket 50 / 14).
        assert sorted(per_worker.values()) == [32, 32], per_worker
        assert not _inodes_of(proc.pid) & established  # the parent keeps none
    finally:
        for conn in conns:
            conn.close()


def test_a_dead_worker_is_replaced_and_sigterm_stops_all(server):
    proc, port = server
    before = _workers(proc.pid)
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    _wait(lambda: victim not in (now := _workers(proc.pid)) and len(now) == 2)
    after = _workers(proc.pid)
    # Every connection is served, by the new worker too (each takes its turn).
    assert all(_healthy(port) for _ in range(10))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=40) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in after)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_workers_do_not_outlive_a_killed_server(server):
    proc, port = server
    workers = _workers(proc.pid)
    proc.kill()  # SIGKILL: the server cannot stop them itself
    proc.wait()
    _wait(lambda: not any(Path(f"/proc/{pid}").exists()
                          and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
                          for pid in workers), timeout=20)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_a_bad_setting_stops_the_server_before_any_worker_starts(sqlite_url, redis_server,
                                                                 tmp_path):
    """The parent reads the settings (the trusted proxies it passes to uvicorn), so a value the
    app would refuse stops `portal serve` at once: one line naming the variable, no workers."""
    env = portal_env(sqlite_url, redis_server.url, SECRET, tmp_path / "var")
    env["PORTAL_WEB_THREADS"] = "none"
    proc = subprocess.run([sys.executable, "-m", "portal.cli", "serve", "--workers", "2",
                           "--port", str(free_port())], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "portal: PORTAL_WEB_THREADS must be a whole number" in proc.stderr
    assert "Traceback" not in proc.stderr and "workers on http" not in proc.stderr
