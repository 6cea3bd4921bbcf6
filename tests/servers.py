"""Throwaway Redis and PostgreSQL servers and the live app for the test suite (real servers,
no mocks)."""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from portal.core.devstack import web_command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (run scripts/setup.sh)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


class PostgresServer:
    def __init__(self) -> None:
        # Not under pytest's tmp dir: that is private to root and the server runs as postgres.
        self.workdir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.port = free_port()
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found (run scripts/setup.sh)")
        self.bin = Path(bins[-1])

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(command)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres")
        data = self.workdir / "data"
        self._run(
            "initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-w",
            "-l",
            str(self.workdir / "log"),
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.workdir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.workdir / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)


def portal_env(db_url: str, redis_url: str, secret: str, var: Path) -> dict[str, str]:
    """The environment of a portal process. Every setting is explicit: a functional test run
    earlier in this process leaves its own PORTAL_* values in os.environ."""
    return os.environ | {
        "PORTAL_VAR_DIR": str(var),
        "PORTAL_DATABASE_URL": db_url,
        "PORTAL_REDIS_URL": redis_url,
        "PORTAL_SECRET_KEY": secret,
        "PORTAL_INDEX_DIR": str(var / "index"),
    }


def start_portal(env: dict[str, str], *args: str, port: int | None = None,
                 log: Path | None = None, workers: int | None = None) -> tuple[subprocess.Popen, str]:
    """The web server — uvicorn's command line as deploy/systemd/portal-web.service runs it
    (portal.core.devstack.web_command), `workers` processes (default 1) — or `portal ARGS` when
    given, in a subprocess; returns the process and, for the web server, its base URL once it
    listens."""
    if args:
        command = [sys.executable, "-m", "portal.cli", *args]
    else:
        port = port or free_port()
        command = web_command(env, port=port, workers=workers)
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    if log:
        out.close()  # the child has its own copy
    if not args:
        wait_for_port(port, timeout=30)
    return proc, f"http://127.0.0.1:{port}" if port else ""


def uvicorn_workers(manager: int) -> set[int]:
    """uvicorn's worker processes (multiprocessing spawn children) of its `--workers` manager."""
    try:
        children = Path(f"/proc/{manager}/task/{manager}/children").read_text().split()
    except FileNotFoundError:
        return set()
    found = set()
    for pid in children:
        try:
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(int(pid))
        except FileNotFoundError:
            continue
    return found


def stop_process(proc: subprocess.Popen, timeout: float = 40) -> None:
    """SIGTERM (uvicorn finishes the requests in hand), SIGKILL if it is not gone in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def nginx_without_upstream(prefix: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """The deployed nginx site (portal/core/nginxconf.py) on a free port, its upstream a port
    nobody listens on (the web processes down, or not needed); yields nginx and its port."""
    import pytest

    from portal.core import nginxconf

    if not Path(nginxconf.NGINX).exists():
        pytest.fail("nginx is missing: run scripts/setup.sh (Debian package nginx)")
    port = free_port()
    conf = nginxconf.config(prefix, port, free_port())
    nginx = subprocess.Popen(nginxconf.command(prefix, conf),
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        yield nginx, port
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)


@contextmanager
def serve_app(db_url: str, redis_url: str, secret: str) -> Iterator[str]:
    """The real app under uvicorn on a SQLite database whose folder is its var dir; yields the
    base URL."""
    var = Path(db_url.removeprefix("sqlite:///")).parent
    proc, base = start_portal(portal_env(db_url, redis_url, secret, var))
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
