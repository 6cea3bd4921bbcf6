"""Load the real stack with wrk and print requests/s, p50/p95/p99 and the ratio to the ceiling.

Each scenario is measured in rounds: ceiling route, then the scenario, `--rounds` times, both
with the same wrk settings (64 connections, 2 threads, loopback) in the same stack run, so the
ratio of medians survives a noisy machine. Run from the repository root:

    .venv/bin/python -m bench.load --backend sqlite --dataset demo
    .venv/bin/python -m bench.load --backend sqlite --dataset 400k --scenarios page,directory

Scenarios (targets from issue 7, 2 cores, 64 connections):
    page       institution page, random institutions        ≥ 50 % of ceiling rps, p99 ≤ 100 ms
    directory  directory with two filters (district + kind)  p99 ≤ 150 ms
    queue      department queue of the office with the most open complaints (20,000 at 400k),
               signed in                                      p99 ≤ 150 ms
    intake     Open311 POST with an API key, unique idempotency keys, 60 s
               ≥ 200 accepted/s; afterwards every accepted one stored, routed and clocked,
               then deleted again (the 400k set is used in place; --keep-intake keeps them)
    memory     peak RSS of a web worker while the page scenario runs (< 300 MB at 400k)
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.stack import BACKENDS, DATASETS, Stack, rss_mb

LUA = Path(__file__).resolve().parent / "lua"
WRK = "/usr/bin/wrk"
RESULT_RE = re.compile(r"^BENCH (\{.*\})$", re.M)


@dataclass
class Run:
    label: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    non_2xx: int
    errors: int
    created: int = 0


def wrk(url: str, script: str, seconds: int, env: dict[str, str], label: str,
        connections: int = 64, threads: int = 2, headers: list[str] | None = None) -> Run:
    """One wrk run; the Lua script's done() prints a BENCH {...} JSON line."""
    command = [WRK, "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(LUA / script)]
    for header in headers or []:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", **env})
    match = RESULT_RE.search(out.stdout)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    data = json.loads(match.group(1))
    secs = data["duration_us"] / 1e6
    return Run(label=label, requests=data["requests"], seconds=round(secs, 1),
               rps=round(data["requests"] / secs, 1), p50_ms=data["p50"] / 1000,
               p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000,
               non_2xx=data["status_errors"], errors=data["socket_errors"],
               created=data.get("created", 0))


def median_run(runs: list[Run]) -> dict:
    return {
        "label": runs[0].label, "rounds": len(runs),
        "rps": statistics.median(r.rps for r in runs),
        "p50_ms": statistics.median(r.p50_ms for r in runs),
        "p95_ms": statistics.median(r.p95_ms for r in runs),
        "p99_ms": statistics.median(r.p99_ms for r in runs),
        "non_2xx": sum(r.non_2xx for r in runs), "errors": sum(r.errors for r in runs),
        "runs": [asdict(r) for r in runs],
    }


def login_cookie(base: str, username: str, password: str) -> str:
    """Sign in once through the real form; returns a Cookie header value for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/accounts/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not token:
        raise RuntimeError("no CSRF token on the login page")
    body = urllib.parse.urlencode({"username": username, "password": password,
                                   "csrf_token": token.group(1)}).encode()
    opener.open(base + "/accounts/login", data=body)
    cookies = {c.name: c.value for c in jar}
    if "portal_session" not in cookies:
        raise RuntimeError(f"login as {username} failed")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def busiest_office_login(database_url: str) -> tuple[str, int, int]:
    """(username, office id, open complaints) of the department login with most open work."""
    from complaints.models import OPEN_STATUSES, Complaint
    from portal.accounts.models import User

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            open_by_office = (
                select(Complaint.responsible_department_id.label("office"),
                       func.count().label("n"))
                .where(Complaint.status.in_(OPEN_STATUSES))
                .group_by(Complaint.responsible_department_id).subquery())
            row = conn.execute(
                select(User.username, User.department_id, open_by_office.c.n)
                .join(open_by_office, open_by_office.c.office == User.department_id)
                .where(User.role == "department")
                .order_by(open_by_office.c.n.desc(), User.id).limit(1)).one()
    finally:
        engine.dispose()
    return row[0], row[1], row[2]


def institution_ids(database_url: str) -> tuple[int, int, list[int]]:
    from portal.institutions.models import Institution
    from portal.orgs.models import District

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            low, high = conn.execute(select(func.min(Institution.id),
                                            func.max(Institution.id))).one()
            districts = list(conn.scalars(select(District.id).order_by(District.id)))
    finally:
        engine.dispose()
    return low, high, districts


def intake_check(database_url: str, run_tag: str) -> dict:
    """Count the benchmark's complaints: stored, routed (office set, events) and clocked."""
    from complaints.models import Complaint, ComplaintEvent
    from portal.core.notify import Notification

    engine = create_engine(database_url)
    like = f"open311:%:{run_tag}-%"
    try:
        with engine.connect() as conn:
            mine = select(Complaint.id).where(Complaint.idempotency_key.like(like))
            stored = conn.scalar(select(func.count()).select_from(mine.subquery()))
            routed = conn.scalar(select(func.count()).where(
                Complaint.idempotency_key.like(like),
                Complaint.responsible_department_id.is_not(None),
                Complaint.tracking_no.is_not(None)))
            clocked = conn.scalar(select(func.count()).where(
                Complaint.idempotency_key.like(like), Complaint.due_at > Complaint.received_at,
                Complaint.sign_due_at.is_not(None), Complaint.working_days > 0))
            with_events = conn.scalar(
                select(func.count(func.distinct(ComplaintEvent.complaint_id))).where(
                    ComplaintEvent.kind == "assigned", ComplaintEvent.complaint_id.in_(mine)))
            duplicates = conn.scalar(select(func.count()).select_from(
                select(Complaint.idempotency_key).where(Complaint.idempotency_key.like(like))
                .group_by(Complaint.idempotency_key).having(func.count() > 1).subquery()))
            sms = conn.scalar(select(func.count()).where(
                Notification.subject == "投诉已受理", Notification.body.like("%已受理%"),
                Notification.created_at >= select(func.min(Complaint.created_at))
                .where(Complaint.idempotency_key.like(like)).scalar_subquery()))
            sms_sent = conn.scalar(select(func.count()).where(
                Notification.subject == "投诉已受理", Notification.status == "sent",
                Notification.created_at >= select(func.min(Complaint.created_at))
                .where(Complaint.idempotency_key.like(like)).scalar_subquery()))
    finally:
        engine.dispose()
    return {"stored": stored, "routed": routed, "clocked": clocked,
            "with_assigned_event": with_events, "duplicate_keys": duplicates,
            "sms_queued": sms, "sms_sent_by_worker": sms_sent}


def intake_cleanup(database_url: str, run_tag: str) -> int:
    """Delete the run's complaints with their events, co-handling requests, acknowledgement SMS
    and outbox rows, so the 400k data set (used in place, not copied) stays the same from run
    to run. Returns how many complaints went."""
    from sqlalchemy import delete

    from complaints.models import CoHandling, Complaint, ComplaintEvent
    from portal.core.jobs import OutboxJob, task_path
    from portal.core.notify import Notification, send_notification

    engine = create_engine(database_url)
    like = f"open311:%:{run_tag}-%"
    try:
        with engine.begin() as conn:
            since = conn.scalar(select(func.min(Complaint.created_at))
                                .where(Complaint.idempotency_key.like(like)))
            if since is None:
                return 0
            mine = select(Complaint.id).where(Complaint.idempotency_key.like(like))
            conn.execute(delete(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(mine)))
            conn.execute(delete(CoHandling).where(CoHandling.complaint_id.in_(mine)))
            # Nothing but this run files complaints while it runs, so these are its SMS.
            conn.execute(delete(Notification).where(Notification.subject == "投诉已受理",
                                                    Notification.created_at >= since))
            conn.execute(delete(OutboxJob).where(OutboxJob.func == task_path(send_notification),
                                                 OutboxJob.created_at >= since))
            return conn.execute(delete(Complaint).where(
                Complaint.idempotency_key.like(like))).rowcount
    finally:
        engine.dispose()


class RssSampler(threading.Thread):
    """Samples the RSS of every web worker process twice a second; keeps the peak."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.peak = 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            for pid in self.stack.web_worker_pids():
                try:
                    self.peak = max(self.peak, rss_mb(pid))
                except (FileNotFoundError, ProcessLookupError):
                    pass
            self.stopped.wait(0.5)

    def stop(self) -> float:
        self.stopped.set()
        self.join()
        return round(self.peak, 1)


def compared(stack: Stack, label: str, script: str, env: dict[str, str], seconds: int,
             rounds: int, headers: list[str] | None = None) -> dict:
    """Ceiling and scenario alternately, `rounds` times; medians and the rps ratio."""
    ceiling_env = {**env, "BENCH_PATH": "ceiling"}
    ceiling, scenario = [], []
    for _ in range(rounds):
        ceiling.append(wrk(stack.base, "random_page.lua", seconds, ceiling_env, "ceiling"))
        scenario.append(wrk(stack.base, script, seconds, env, label, headers=headers))
    c, s = median_run(ceiling), median_run(scenario)
    return {"scenario": s, "ceiling": c, "ratio": round(s["rps"] / c["rps"], 3)}


def run(args: argparse.Namespace) -> dict:
    results: dict = {"backend": args.backend, "dataset": args.dataset, "workers": args.workers,
                     "http": args.http, "loop": args.loop, "seconds": args.seconds,
                     "rounds": args.rounds, "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                     "web_threads": args.web_threads, "proxy": not args.no_proxy,
                     "page_docs": args.page_docs, "scenarios": {}}
    with Stack(args.backend, args.dataset, args.workers, args.http, args.loop,
               web_threads=args.web_threads, proxy=not args.no_proxy,
               page_docs=args.page_docs) as stack:
        low, high, districts = institution_ids(stack.database_url)
        if args.id_max:
            high = min(high, args.id_max)
            results["id_max"] = high
        base_env = {"BENCH_ID_MIN": str(low), "BENCH_ID_MAX": str(high)}
        # Warm-up: imports, templates and connection pools in both web workers.
        wrk(stack.base, "random_page.lua", 3, {**base_env, "BENCH_PATH": "ceiling"}, "warm")
        wrk(stack.base, "random_page.lua", 3, {**base_env, "BENCH_PATH": "page"}, "warm")
        for name in args.scenarios:
            print(f"-- {name}", file=sys.stderr, flush=True)
            if name in ("page", "memory"):
                sampler = RssSampler(stack)
                sampler.start()
                out = compared(stack, "page", "random_page.lua",
                               {**base_env, "BENCH_PATH": "page"}, args.seconds, args.rounds)
                out["peak_worker_rss_mb"] = sampler.stop()
                results["scenarios"]["page"] = out
            elif name == "directory":
                env = {**base_env, "BENCH_PATH": "directory",
                       "BENCH_DISTRICTS": ",".join(map(str, districts))}
                results["scenarios"]["directory"] = compared(
                    stack, "directory", "random_page.lua", env, args.seconds, args.rounds)
            elif name == "queue":
                username, office, open_count = busiest_office_login(stack.database_url)
                cookie = login_cookie(stack.base, username, "Demo-2026-pass")
                out = compared(stack, "queue", "random_page.lua",
                               {**base_env, "BENCH_PATH": "queue"}, args.seconds, args.rounds,
                               headers=[f"Cookie: {cookie}"])
                out.update(login=username, office_id=office, open_complaints=open_count)
                results["scenarios"]["queue"] = out
            elif name == "intake":
                results["scenarios"]["intake"] = intake(stack, base_env, args)
    return results


def intake(stack: Stack, base_env: dict[str, str], args: argparse.Namespace) -> dict:
    tag = f"bench{int(time.time())}"
    env = {**base_env, "BENCH_TAG": tag, "BENCH_API_KEY": stack.api_key}
    result = wrk(stack.base, "intake.lua", args.intake_seconds, env, "intake")
    # Let in-flight requests finish and the worker drain the notification jobs.
    time.sleep(5)
    check = intake_check(stack.database_url, tag)
    accepted = result.created
    removed = 0
    if not stack.fresh_copy and not args.keep_intake:
        stack.stop_worker()  # its last SMS jobs would otherwise look for deleted rows
        removed = intake_cleanup(stack.database_url, tag)
    return {"run": asdict(result), "accepted_per_s": round(accepted / result.seconds, 1),
            "accepted_2xx": accepted, "check": check, "removed_afterwards": removed,
            "all_accepted_stored": check["stored"] >= accepted
            and check["routed"] == check["stored"] == check["clocked"]
            == check["with_assigned_event"] and check["duplicate_keys"] == 0}


def print_table(results: dict) -> None:
    print(f"\n{results['backend']} / {results['dataset']}: "
          f"{'nginx, ' if results.get('proxy') else ''}{results['workers']} uvicorn workers, "
          f"page documents {results.get('page_docs', 'build')}"
          f"{', ids ≤ ' + str(results['id_max']) if results.get('id_max') else ''}, "
          f"--http {results['http']} --loop {results['loop']}, "
          f"web threads {results.get('web_threads') or 'default'}, wrk -t2 -c64, "
          f"{results['seconds']} s x {results['rounds']} rounds (medians)")
    print(f"{'scenario':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'non2xx':>8}  {'ceiling req/s':>13}{'ratio':>7}")
    for name, out in results["scenarios"].items():
        if name == "intake":
            r = out["run"]
            print(f"{'intake':<12}{r['rps']:>9}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
                  f"{r['p99_ms']:>9.1f}{r['non_2xx']:>8}  accepted/s {out['accepted_per_s']}"
                  f"  check {out['check']}  ok={out['all_accepted_stored']}")
            continue
        s, c = out["scenario"], out["ceiling"]
        print(f"{name:<12}{s['rps']:>9}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}"
              f"{s['non_2xx']:>8}  {c['rps']:>13}{out['ratio']:>7.2f}")
        if "peak_worker_rss_mb" in out:
            print(f"{'':<12}peak web-worker RSS {out['peak_worker_rss_mb']} MB")
        if "open_complaints" in out:
            print(f"{'':<12}as {out['login']}, office {out['office_id']} with "
                  f"{out['open_complaints']} open complaints")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="wrk benchmarks against the real stack")
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="demo")
    parser.add_argument("--keep-intake", action="store_true",
                        help="keep the intake run's complaints in a data set used in place "
                             "(by default they are deleted after the check)")
    parser.add_argument("--scenarios", default="page,directory,queue,intake",
                        type=lambda v: [s for s in v.split(",") if s])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--intake-seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-threads", type=int,
                        help="PORTAL_WEB_THREADS for the web processes (default: the portal's)")
    parser.add_argument("--http", default="httptools", choices=["httptools", "h11"])
    parser.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    parser.add_argument("--no-proxy", action="store_true",
                        help="wrk straight to uvicorn, without nginx in front")
    parser.add_argument("--page-docs", choices=["build", "keep", "drop"], default="build",
                        help="institution page documents: built at start (default), kept as "
                             "they are, or dropped (every page built from the rows per view)")
    parser.add_argument("--id-max", type=int,
                        help="the page scenario draws institutions with ids up to this only")
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    results = run(args)
    print_table(results)
    out = Path(args.out) if args.out else Path(tempfile.gettempdir()) / "bench-last.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
