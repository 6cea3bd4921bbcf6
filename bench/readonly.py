"""What a GET request's read-only transaction costs on PostgreSQL (portal/core/db.py: read_only).

GET requests ran in autocommit (no BEGIN, no ROLLBACK) guarded by a check of each statement's
first word; they now run on a second pool of autocommit connections opened with
`default_transaction_read_only=on`, on which PostgreSQL refuses writes itself. This serves the
institution page in-process (Starlette's TestClient, one thread: the database's share of each
request is what differs) on the demo data set on PostgreSQL, in alternating rounds of:

    ro-pool      the portal as it is (portal/core/db.py: read_only)
    readonly     the first form tried: BEGIN READ ONLY … ROLLBACK (`postgresql_readonly`),
                 two round trips more per request; the 400k bench behind nginx found the
                 ceiling page at 510 req/s with them and ≈ 900 without (bench/RESULTS.md)
    autocommit   as before issue 19: the session in autocommit (the prefix check left out)

and prints each mode's median req/s over the rounds and the ratio. The machine is shared and
noisy: compare the ratio, not the figures, and run it more than once.

    .venv/bin/python -m bench.readonly [--rounds 30] [--requests 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.postgres import Postgres
from bench.stack import dataset_dir, prepare


def autocommit(session) -> None:
    """The GET session of before this change (portal/core/db.py: reading, without its check)."""
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def read_only_transaction(session) -> None:
    """`readonly`: the session in a READ ONLY transaction on the portal's writing pool."""
    from portal.core.db import READ_ONLY

    session.connection(execution_options={READ_ONLY: True, "postgresql_readonly": True})


def measure(rounds: int, requests: int) -> dict[str, list[float]]:
    from sqlalchemy import select
    from starlette.testclient import TestClient

    import portal.core.endpoints
    from portal.app import create_app
    from portal.core.db import read_only, session_factory
    from portal.core.settings import get_settings
    from portal.institutions.models import Institution

    with session_factory(get_settings().database_url)() as db:
        ids = db.scalars(select(Institution.id).order_by(Institution.id).limit(50)).all()
    modes = {"ro-pool": read_only, "readonly": read_only_transaction, "autocommit": autocommit}
    rates: dict[str, list[float]] = {mode: [] for mode in modes}
    with TestClient(create_app()) as client:
        for path in (f"/institutions/{i}" for i in ids):  # warm: page documents, templates
            assert client.get(path).status_code == 200, path
        names = list(modes)
        for r in range(rounds):
            for mode in names[r % len(names):] + names[:r % len(names)]:  # each goes first
                begin = modes[mode]
                portal.core.endpoints.read_only = begin
                started = time.perf_counter()
                for n in range(requests):
                    response = client.get(f"/institutions/{ids[n % len(ids)]}")
                    assert response.status_code == 200
                rates[mode].append(requests / (time.perf_counter() - started))
    portal.core.endpoints.read_only = read_only
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--requests", type=int, default=60, help="per round and mode")
    args = parser.parse_args(argv)
    prepare("postgres", "demo")
    pg = Postgres(dataset_dir("postgres", "demo"))
    pg.start()
    try:
        with tempfile.TemporaryDirectory() as var:
            os.environ.update(
                PORTAL_DATABASE_URL=pg.url(), PORTAL_VAR_DIR=var,
                PORTAL_INDEX_DIR=str(Path(var) / "index"),
                PORTAL_SECRET_KEY=os.environ.get("PORTAL_SECRET_KEY", "bench-" + "x" * 40),
                PORTAL_ALLOWED_HOSTS="testserver",
            )
            rates = measure(args.rounds, args.requests)
    finally:
        pg.stop()
    medians = {mode: statistics.median(r) for mode, r in rates.items()}
    for mode, r in rates.items():
        print(f"{mode:<11} median {medians[mode]:7.1f} req/s  "
              f"(rounds: {', '.join(f'{x:.0f}' for x in r)})")
    # The machine's speed changes between rounds: each round's modes ran back to back, so the
    # median of the rounds' ratios is steadier than the ratio of the medians.
    for mode in ("readonly", "ro-pool"):
        ratios = [a / b for a, b in zip(rates[mode], rates["autocommit"], strict=True)]
        print(f"{mode} / autocommit: median of rounds {statistics.median(ratios):.3f}, "
              f"of medians {medians[mode] / medians['autocommit']:.3f}")
    print(f"(institution page, in-process, PostgreSQL, {args.rounds} rounds × "
          f"{args.requests} requests per mode)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
