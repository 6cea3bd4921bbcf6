"""The `portal` command: database, demo data, workers, accounts, and `portal dev` (everything for
a local demo). The web server is uvicorn's own command (portal/core/devstack.py: web_command)."""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import os
import shutil
import signal
import sys
import time
from datetime import date
from pathlib import Path
from types import ModuleType

from portal.core.settings import PROJECT_ROOT, SettingError, get_settings


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return number


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from portal.core.migrate import upgrade

    upgrade(get_settings().database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _demo(module: str) -> ModuleType:
    """A module of the demo data generators: `demo/` beside the packages in a source checkout
    (the editable install runs from one), never in the installed wheel. Without it, one line."""
    checkout = PROJECT_ROOT
    if not (checkout / "demo" / "seed.py").is_file():
        raise SystemExit(f"portal: no demo data generators: they come with the source checkout "
                         f"(demo/ beside portal/), not with the installed package ({checkout})")
    if str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    return importlib.import_module(f"demo.{module}")


def cmd_seed_demo(args: argparse.Namespace) -> int:
    seed = _demo("seed")
    from portal.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    try:
        summary = seed.seed_demo(
            settings.database_url,
            institutions=args.institutions,
            seed=args.seed,
            today=date.today(),
            progress=lambda line: print(line, flush=True),
        )
    except seed.SeedError as exc:
        print(f"seed-demo: {exc}", file=sys.stderr)
        return 2
    print(summary)
    if args.complaints:
        from datetime import UTC, datetime

        complaints = _demo("complaints")
        filed = complaints.seed_demo_complaints(settings.database_url, args.complaints, args.seed,
                                                datetime.now(UTC))
        print(f"demo complaints filed: {filed}")
    print("demo logins (password Demo-2026-pass):")
    for username, role, what in seed.demo_logins():
        print(f"  {username:32} {role:8} {what}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from rq import Queue, SimpleWorker

    from portal.core.jobs import redis_connection

    settings = get_settings()
    conn = redis_connection(settings.redis_url)
    queues = [Queue(name, connection=conn) for name in (args.queues or settings.queues)]
    if "index" in [q.name for q in queues]:
        # A missing or corrupt index is detected at start and rebuilt (never data loss).
        from search.services.index import check_or_rebuild

        check_or_rebuild(settings.index_dir, settings.database_url)
    # Jobs run in the worker process itself: RQ's default Worker forks a work horse per job,
    # ≈ 50 ms of CPU for each of our jobs (most take a few ms), so the acknowledgement SMS fell
    # behind intake by 8 to 1. Time limits still hold (SIGALRM); a job that crashes the process
    # is given back by the outbox sweeper, as when a worker is killed.
    worker = SimpleWorker(queues, connection=conn)
    worker.work(with_scheduler=True, burst=args.burst, logging_level="INFO")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from search.commands import reindex

    settings = get_settings()
    reindex(settings.database_url, settings.index_dir, only_if_broken=args.check, procs=args.procs)
    return 0


def cmd_build_pages(args: argparse.Namespace) -> int:
    from portal.institutions.services.pagedoc import build_stale_parallel

    started = time.monotonic()
    done = build_stale_parallel(get_settings().database_url, procs=args.procs,
                                progress=lambda n: print(f"{n} page documents built", flush=True))
    print(f"built {done} page documents in {time.monotonic() - started:.0f} s")
    return 0


def cmd_cron(args: argparse.Namespace) -> int:
    from portal.core.scheduler import run_cron

    return run_cron()


def cmd_create_user(args: argparse.Namespace) -> int:
    from portal.accounts.exceptions import AccountError
    from portal.accounts.rules.roles import Role
    from portal.accounts.services import AccountService
    from portal.core.db import session_scope

    password = args.password or getpass.getpass("password: ")
    with session_scope(get_settings().database_url) as session:
        try:
            user = AccountService(session).create_user(
                username=args.username,
                display_name=args.display_name or args.username,
                password=password,
                role=Role(args.role),
                department_id=args.department_id,
                institution_id=args.institution_id,
                email=args.email or "",
            )
        except AccountError as exc:
            print(f"create-user: {exc.message}", file=sys.stderr)
            return 2
        print(f"created user {user.username} (id {user.id}, role {user.role})")
    return 0


def cmd_create_api_key(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.accounts.services import AccountService
    from portal.core.db import session_scope

    with session_scope(get_settings().database_url) as session:
        user = session.scalars(select(User).where(User.username == args.username)).first()
        if user is None:
            print(f"create-api-key: no user named {args.username!r}", file=sys.stderr)
            return 2
        new = AccountService(session).create_api_key(user, args.name)
        print(new.secret)
        print("(shown once; only its hash is stored)", file=sys.stderr)
    return 0


def _redis_reachable(url: str) -> bool:
    from redis.exceptions import RedisError

    from portal.core.jobs import redis_connection

    try:
        return bool(redis_connection(url).ping())
    except RedisError:
        return False


def _exit_on_sigterm(_signum, _frame) -> None:
    raise SystemExit(0)


def cmd_dev(args: argparse.Namespace) -> int:
    """Everything for a local demo: migrations, demo data if empty, Redis, worker, cron, web."""
    from sqlalchemy import func, select

    from portal.core.db import session_scope
    from portal.core.migrate import upgrade
    from portal.institutions.models import Institution

    settings = get_settings()
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        empty = not session.scalar(select(func.count(Institution.id)))
    if empty:
        cmd_seed_demo(argparse.Namespace(institutions=args.institutions, seed=0, complaints=80))
    from portal.core.devstack import Supervisor, web_command

    stack = Supervisor()
    # A plain `kill` (SIGTERM) unwinds through the `finally` as Ctrl-C does: with the default
    # handler this process ended at once and left Redis, the worker, cron and the web running.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if not _redis_reachable(settings.redis_url):
            redis_server = shutil.which("redis-server")
            if not redis_server:
                print("dev: Redis is not reachable and redis-server is not installed",
                      file=sys.stderr)
                return 2
            port = str(settings.redis_url.rsplit(":", 1)[-1].split("/")[0] or "6379")
            redis_dir = settings.var_dir / "redis"
            redis_dir.mkdir(parents=True, exist_ok=True)
            stack.start(
                "redis-server",
                [redis_server, "--bind", "127.0.0.1", "--port", port, "--dir", str(redis_dir),
                 "--appendonly", "yes", "--save", "60 1"],
                # Its own session: a Ctrl-C in the terminal reaches the worker, cron and the
                # web, and Redis is stopped after them (below).
                start_new_session=True,
            )
            for _ in range(50):
                if _redis_reachable(settings.redis_url):
                    break
                time.sleep(0.1)
        portal_cmd = [sys.executable, "-m", "portal.cli"]
        stack.start("worker", [*portal_cmd, "worker"])
        stack.start("cron", [*portal_cmd, "cron"])
        # The web server as production runs it (deploy/systemd/portal-web.service), one process.
        stack.start("web", web_command(os.environ, args.host, args.port))
        # A child that dies is started again, with backoff, and the log says so.
        stack.watch()
        print(f"portal: http://{args.host}:{args.port}/  (Ctrl-C stops everything)", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        return 0
    finally:
        # In the reverse order of their start, each waited for: the worker and cron release
        # their locks in Redis on the way out, so Redis goes last.
        stack.stop()


def cmd_backup(args: argparse.Namespace) -> int:
    from portal.core.backup import BackupError, create_backup

    settings = get_settings()
    directory = Path(args.dir) if args.dir else settings.backup_dir or settings.var_dir / "backups"
    try:
        result = create_backup(settings.database_url, directory, args.keep or settings.backup_keep)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 2
    print(f"backup written: {result.path} ({result.size} bytes)")
    for old in result.removed:
        print(f"removed old backup: {old.name}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from portal.core.backup import BackupError, restore_backup

    try:
        kind = restore_backup(Path(args.file), get_settings().database_url, force=args.force)
    except BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.file} into the {kind} database")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="养老服务监督公开平台")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="upgrade the schema (default: to head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed-demo", help="fill an empty database with a demo city")
    seed.add_argument("--institutions", type=_positive_int, default=200)
    seed.add_argument("--seed", type=_positive_int, default=0)
    seed.add_argument("--complaints", type=_positive_int, default=80,
                      help="demo complaints to file through the real services (default 80)")
    seed.set_defaults(func=cmd_seed_demo)

    worker = sub.add_parser("worker", help="run an RQ worker with the scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    worker.add_argument("queues", nargs="*")
    worker.set_defaults(func=cmd_worker)

    cron = sub.add_parser("cron", help="run the recurring-job scheduler (portal/cron.py)")
    cron.set_defaults(func=cmd_cron)

    dev = sub.add_parser("dev", help="local demo: migrations, demo data, Redis, worker, cron, web")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=_positive_int, default=8000)
    dev.add_argument("--institutions", type=_positive_int, default=200)
    dev.set_defaults(func=cmd_dev)

    ri = sub.add_parser("reindex", help="rebuild the search index from the database and swap it in")
    ri.add_argument("--check", action="store_true", help="only if missing, corrupt or outdated")
    ri.add_argument("--procs", type=_positive_int, default=1)
    ri.set_defaults(func=cmd_reindex)

    bp = sub.add_parser("build-pages", help="build the institution page documents that are "
                        "missing or stale (after a bulk load or a deploy)")
    bp.add_argument("--procs", type=_positive_int, default=1)
    bp.set_defaults(func=cmd_build_pages)

    cu = sub.add_parser("create-user", help="create a staff account")
    cu.add_argument("username")
    cu.add_argument(
        "--role",
        required=True,
        choices=["operator", "department", "supervisor", "institution", "admin"],
    )
    cu.add_argument("--display-name")
    cu.add_argument("--email")
    cu.add_argument("--password", help="prompted for when omitted")
    cu.add_argument("--department-id", type=_positive_int)
    cu.add_argument("--institution-id", type=_positive_int)
    cu.set_defaults(func=cmd_create_user)

    ak = sub.add_parser("create-api-key", help="create an API key for a machine client")
    ak.add_argument("username", help="the account the key acts as (e.g. an operator)")
    ak.add_argument("--name", required=True, help="what the key is for, e.g. 12345 hand-over")
    ak.set_defaults(func=cmd_create_api_key)

    bk = sub.add_parser("backup", help="consistent online backup of the database (nightly)")
    bk.add_argument("--dir", help="where to write (default PORTAL_BACKUP_DIR or var/backups)")
    bk.add_argument("--keep", type=_positive_int, help="newest backups kept (PORTAL_BACKUP_KEEP)")
    bk.set_defaults(func=cmd_backup)

    rs = sub.add_parser("restore", help="load a backup into an empty database")
    rs.add_argument("file")
    rs.add_argument("--force", action="store_true", help="replace a database that has tables")
    rs.set_defaults(func=cmd_restore)

    from portal.registry.commands import add_parser as add_import_parser

    add_import_parser(sub)  # `portal import …` (portal/registry/commands.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except SettingError as exc:  # a bad PORTAL_* value: one line naming it, not a traceback
        print(f"portal: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
