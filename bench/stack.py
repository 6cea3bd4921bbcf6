"""Start the real stack for a benchmark: database, Redis, an RQ worker, uvicorn and nginx.

The web server is started with production's command line (deploy/systemd/portal-web.service,
portal.core.devstack.web_command) and these uvicorn options (documented in bench/RESULTS.md):

    --workers 2 --no-access-log --http httptools --loop uvloop

i.e. one uvicorn worker process per core (2 here) under uvicorn's own process manager, no
access log (it costs ≈11 %; the reverse proxy keeps it), the C HTTP parser and uvloop from
uvicorn[standard]. `--http h11` and `--loop asyncio` are the pure-Python alternatives
(--http/--loop on bench/load.py).

In front of it, as in production, Debian's nginx with deploy/nginx/portal.conf
(portal/core/nginxconf.py: two worker processes, its access log on); `proxy=False` measures
uvicorn alone, as every figure before 2026-12-07 did. `page_docs`: "build" (the stale
institution page documents built at start, as a deploy runs `portal build-pages`), "keep" (the
documents as they are: a page without a current one is built from the rows), "drop" (the table
emptied: every page from the rows, what the page costs without that mechanism).

Data sets are built once and cached under BENCH_WORK (default /work/bench-data, outside the repo):

    sqlite-demo/portal.sqlite3      `portal seed-demo` (200 institutions, 80 complaints)
    sqlite-400k/portal.sqlite3      seed-demo --institutions 400000 + bench/bigdata.py (2,000,000)
    postgres-<set>/data             a PostgreSQL 15 cluster holding the same, database "portal"

Usage:
    python -m bench.stack prepare --backend sqlite --dataset demo
    python -m bench.stack up --backend sqlite --dataset demo     # serve until Ctrl-C
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path

from bench.postgres import Postgres, free_port
from portal.core import nginxconf
from portal.core.devstack import web_command

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
WORK = Path(os.environ.get("BENCH_WORK", "/work/bench-data"))
DATASETS = {"demo": {"institutions": 200, "complaints": 0, "hot_open": 0},
            "400k": {"institutions": 400_000, "complaints": 2_000_000, "hot_open": 20_000}}
BACKENDS = ("sqlite", "postgres")


def wait_for_http(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def rss_mb(pid: int) -> float:
    """Resident set size of one process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for path in glob.glob(f"/proc/{pid}/task/*/children"):
        found += [int(p) for p in Path(path).read_text().split()]
    return found


def _portal(env: dict[str, str], *args: str, log: Path | None = None) -> None:
    out = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        subprocess.run([str(VENV_BIN / "portal"), *args], env=env, cwd=REPO, check=True,
                       stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()


def warm_page_cache(folder: Path) -> int:
    """Read every file under `folder` once (into the OS page cache); the bytes read."""
    read = 0
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    read += len(chunk)
    return read


def dataset_dir(backend: str, dataset: str) -> Path:
    return WORK / f"{backend}-{dataset}"


def _env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATABASE_URL=database_url, PORTAL_VAR_DIR=str(var_dir), **extra)
    return env


def vacuum_analyze(url: str) -> None:
    """What autovacuum would do in time: bulk-loaded (and intake-grown) tables have no
    visibility map and stale statistics, so PostgreSQL's index-only counts fetched every heap
    row (the queue's count of 16,500 open complaints: 12.4 ms before, 1.6 ms after)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


def drop_page_docs(url: str) -> int:
    """Empty the institution page documents (pages are then built from the rows per view)."""
    from sqlalchemy import create_engine, delete

    from portal.institutions.models import InstitutionPageDoc

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(delete(InstitutionPageDoc)).rowcount
    finally:
        engine.dispose()


def prepare(backend: str, dataset: str) -> dict:
    """Build the data set once; later calls return its summary (ready.json) at once."""
    root = dataset_dir(backend, dataset)
    ready = root / "ready.json"
    if ready.exists():
        return json.loads(ready.read_text())
    spec = DATASETS[dataset]
    root.mkdir(parents=True, exist_ok=True)
    log = root / "prepare.log"
    pg = None
    if backend == "sqlite":
        building = root / "building.sqlite3"
        url = f"sqlite:///{building}"
    else:
        pg = Postgres(root)
        fresh = not pg.data.exists()
        pg.start(loading=True)
        if fresh:
            pg.create_database()
        url = pg.url()
    try:
        env = _env(url, root)
        started = time.monotonic()
        _portal(env, "seed-demo", "--institutions", str(spec["institutions"]), log=log)
        summary: dict = {"institutions": spec["institutions"]}
        if spec["complaints"]:
            out = subprocess.run(
                [sys.executable, "-m", "bench.bigdata", url, "--complaints",
                 str(spec["complaints"]), "--hot-open", str(spec["hot_open"])],
                env=env, cwd=REPO, check=True, capture_output=True, text=True)
            with open(log, "a") as fh:
                fh.write(out.stdout)
            summary.update(json.loads(out.stdout.strip().splitlines()[-1]))
        summary["build_seconds"] = round(time.monotonic() - started, 1)
    finally:
        if pg:
            pg.stop()
    if backend == "sqlite":
        import sqlite3  # the standard library's: no sqlite3 command on a fresh machine

        with closing(sqlite3.connect(building)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        building.rename(root / "portal.sqlite3")
    ready.write_text(json.dumps(summary))
    return summary


class Stack:
    """Redis + database + RQ worker + uvicorn on loopback; use as a context manager."""

    def __init__(self, backend: str, dataset: str, workers: int = 2, http: str = "httptools",
                 loop: str = "uvloop", fresh_copy: bool | None = None,
                 web_threads: int | None = None, proxy: bool = True,
                 page_docs: str = "build") -> None:
        self.backend, self.dataset = backend, dataset
        self.workers, self.http, self.loop = workers, http, loop
        self.proxy, self.page_docs = proxy, page_docs
        self.web_threads = web_threads  # PORTAL_WEB_THREADS; None: the portal's default
        # The demo database is copied per run so intake runs do not pile up in it.
        self.fresh_copy = dataset == "demo" if fresh_copy is None else fresh_copy
        self.root = dataset_dir(backend, dataset)
        self.run_dir = WORK / "runs" / f"{backend}-{dataset}-{os.getpid()}"
        self.procs: list[subprocess.Popen] = []
        self.pg: Postgres | None = None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.info: dict = {}

    def __enter__(self) -> Stack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, name: str, command: list[str], env: dict[str, str] | None = None):
        log = open(self.run_dir / f"{name}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        self.info = prepare(self.backend, self.dataset)
        if self.run_dir.exists():
            shutil.rmtree(self.run_dir)
        self.run_dir.mkdir(parents=True)
        redis_port = free_port()
        self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port),
                              "--save", "", "--appendonly", "no", "--dir", str(self.run_dir)])
        if self.backend == "sqlite":
            db = self.root / "portal.sqlite3"
            if self.fresh_copy:
                shutil.copy(db, self.run_dir / "portal.sqlite3")
                db = self.run_dir / "portal.sqlite3"
            url = f"sqlite:///{db}"
            data_files = db.parent
        else:
            self.pg = Postgres(self.root)
            self.pg.start()
            url = self.pg.url()
            data_files = self.pg.data / "base"
        index_dir = self.run_dir / "index"
        self.env = _env(url, self.run_dir, PORTAL_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                        PORTAL_INDEX_DIR=str(index_dir), PORTAL_BENCH_ROUTES="1",
                        # The client address from nginx's X-Forwarded-For (deploy/portal.env).
                        PORTAL_TRUSTED_PROXIES="127.0.0.1" if self.proxy else "",
                        PORTAL_SECRET_KEY="bench-" + os.urandom(16).hex(),
                        **({"PORTAL_WEB_THREADS": str(self.web_threads)}
                           if self.web_threads else {}))
        self.database_url = url
        # Other work may have added migrations since the data set was built.
        _portal(self.env, "db", "upgrade", log=self.run_dir / "upgrade.log")
        # Institution page documents missing or stale (a data set built before them, or a
        # template change since): built here, as a deploy runs `portal build-pages`.
        if self.page_docs == "build":
            _portal(self.env, "build-pages", "--procs", "2",
                    log=self.run_dir / "build-pages.log")
        elif self.page_docs == "drop":
            drop_page_docs(url)
        # The signed counts that `rq cron` folds every minute in a deployment (the stack runs
        # no cron): each intake run left two rows per complaint, and a queue view summed 13,000
        # of them for the busiest office (243,821 in all, found in the sixth pass).
        subprocess.run([str(VENV_BIN / "python"), "-c", "from portal.core.signed_counts import "
                        "fold_signed_counts; print(fold_signed_counts())"],
                       env=self.env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        if self.backend == "postgres":
            vacuum_analyze(url)
        # The database's files read once: straight after a run on the other backend (6 GB at
        # 400k) the first scenario found its data pushed out of the page cache and paid for
        # it (the page at 0.45 of the ceiling instead of 0.57, bench/RESULTS.md, eighth pass).
        warm_page_cache(data_files)
        self.api_key = subprocess.run(
            [str(VENV_BIN / "portal"), "create-api-key", "operator1", "--name",
             f"bench {time.strftime('%H:%M:%S')}"],
            env=self.env, cwd=REPO, check=True, capture_output=True, text=True,
        ).stdout.split()[0]
        # The 400k set has no search index: rebuilding it at start would take many minutes and
        # no benchmark scenario searches; the intake's jobs (notifications) go to "default".
        queues = ["default", "index"] if self.dataset == "demo" else ["default"]
        self.worker = self._spawn("worker", [str(VENV_BIN / "portal"), "worker", *queues],
                                  self.env)
        # The web server as a deployment runs it (uvicorn's own --workers manager).
        web_port = free_port() if self.proxy else self.port
        self.web = self._spawn("web", web_command(
            self.env, port=web_port, workers=self.workers,
            extra=["--no-access-log", "--http", self.http, "--loop", self.loop]), self.env)
        if self.proxy:
            prefix = self.run_dir / "nginx"
            prefix.mkdir()
            conf = nginxconf.config(prefix, self.port, web_port)
            self._spawn("nginx", nginxconf.command(prefix, conf))
        wait_for_http(self.base + "/healthz")

    def web_worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.web.pid]
        # uvicorn's workers (multiprocessing spawn children), not its resource tracker.
        return [pid for pid in children(self.web.pid)
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def stop_worker(self) -> None:
        """Stop the RQ worker (a warm shutdown: it finishes the job in hand)."""
        if self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            self.worker.wait(timeout=60)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()
        if self.pg:
            self.pg.stop()
            self.pg = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark stack")
    parser.add_argument("action", choices=["prepare", "up"])
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="demo")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-proxy", action="store_true", help="uvicorn without nginx")
    args = parser.parse_args(argv)
    if args.action == "prepare":
        print(json.dumps(prepare(args.backend, args.dataset)))
        return 0
    def interrupted(signum, frame):
        raise KeyboardInterrupt

    # `kill PID` (SIGTERM) stops the whole stack as Ctrl-C does.
    signal.signal(signal.SIGTERM, interrupted)
    with Stack(args.backend, args.dataset, args.workers, proxy=not args.no_proxy) as stack:
        print(json.dumps({"base": stack.base, "database_url": stack.database_url,
                          "api_key": stack.api_key, **stack.info}), flush=True)
        try:
            while stack.web.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
