"""The institution registry import (`portal import institutions`, portal/registry/) at 50,000
rows: rows per second and peak memory, on SQLite and optionally PostgreSQL.

    .venv/bin/python -m bench.registry_import                    # SQLite, 50,000 rows, 3 runs
    .venv/bin/python -m bench.registry_import --backend both --runs 5
    .venv/bin/python -m bench.registry_import --csv     # the same rows as a GB18030 CSV

A generated workbook (tests/data/registry_rows.py, every column filled, a quarter of the dates
as Excel date cells) is imported into a freshly migrated database holding only the city's
districts and streets, then imported again (every row unchanged). Each run is a new process:
its peak RSS (getrusage ru_maxrss) after the new import is that of `portal import` of one new
file, and after both imports the process's; the RSS after the portal's imports and before
reading the file is printed beside it. The workbook reader (python-calamine) holds the whole
first sheet in memory while a pass reads it, so memory grows with the file's cells. The target (issue 20): ≥ 2,000 rows/s and
< 300 MB. The machine is shared: quote the medians.

A new import reads the file twice (portal/registry/services/running.py: the whole file is checked
before anything is written, then written in chunks, so memory does not grow with the file);
an unchanged one reads it once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEAD_REDIS = "redis://127.0.0.1:1/0"  # the after-commit push fails fast; the outbox keeps the jobs


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(file: str) -> None:
    """One measured process: import the file twice (new, then unchanged); print JSON."""
    from portal.core.db import session_scope
    from portal.core.settings import get_settings
    from portal.registry.services import import_institutions

    url = get_settings().database_url
    baseline = _rss_mb()
    result = {"baseline_mb": baseline}
    for label in ("first", "again"):
        started = time.perf_counter()
        with session_scope(url) as db:
            outcome, _ = import_institutions(db, Path(file))
        result[f"{label}_s"] = time.perf_counter() - started
        result[f"{label}_rows"] = outcome.checker.total
        summary = outcome.summary
        result[f"{label}_counts"] = [summary.added, summary.updated, summary.unchanged,
                                     summary.bad]
        # The peak so far: after "first", that of a process importing one new file (the CLI).
        result[f"{label}_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["maxrss_mb"] = result["again_maxrss_mb"]
    print(json.dumps(result))


def _env(url: str, var: Path) -> dict[str, str]:
    return os.environ | {"PORTAL_DATABASE_URL": url, "PORTAL_VAR_DIR": str(var),
                         "PORTAL_INDEX_DIR": str(var / "index"), "PORTAL_REDIS_URL": DEAD_REDIS,
                         "PORTAL_SECRET_KEY": "bench-" + "x" * 40}


def _prepare(url: str, var: Path) -> None:
    """Migrate and add the city's districts and streets (in a process of its own)."""
    code = ("from portal.core.migrate import upgrade; from portal.core.db import session_scope;"
            "from portal.orgs.models import District, Street;"
            "from tests.data.registry_rows import city;"
            f"upgrade({url!r})\n"
            f"with session_scope({url!r}) as db:\n"
            "    for n, (name, streets) in enumerate(city(6, 6)):\n"
            "        d = District(code=f'33019{n}', name=name); db.add(d); db.flush()\n"
            "        db.add_all(Street(district_id=d.id, name=s) for s in streets)\n")
    subprocess.run([sys.executable, "-c", code], env=_env(url, var), cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _measure(url: str, var: Path, file: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.registry_import", "--child", str(file)],
                         env=_env(url, var), cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _report(backend: str, results: list[dict], rows: int) -> None:
    for r in results:
        print(f"  {backend}: new {r['first_rows'] / r['first_s']:7.0f} rows/s "
              f"({r['first_s']:.1f} s, {r['first_counts']}), again "
              f"{r['again_rows'] / r['again_s']:7.0f} rows/s ({r['again_s']:.1f} s, "
              f"{r['again_counts']}), peak RSS {r['first_maxrss_mb']:.0f} MB after the new "
              f"import, {r['maxrss_mb']:.0f} MB after both (after imports "
              f"{r['baseline_mb']:.0f} MB)")
    med = statistics.median
    print(f"{backend} median of {len(results)}: {rows:,} rows new "
          f"{med(r['first_rows'] / r['first_s'] for r in results):.0f} rows/s, unchanged "
          f"{med(r['again_rows'] / r['again_s'] for r in results):.0f} rows/s, peak RSS "
          f"{med(r['first_maxrss_mb'] for r in results):.0f} MB (new import alone), "
          f"{med(r['maxrss_mb'] for r in results):.0f} MB (both)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--csv", action="store_true",
                        help="a GB18030 CSV of the same rows instead of the workbook")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    sys.path.insert(0, str(REPO))
    from tests.data.registry_rows import city, rows, write_csv, write_xlsx

    work = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    try:
        started = time.perf_counter()
        write = write_csv if args.csv else write_xlsx
        file = write(work / ("registry.csv" if args.csv else "registry.xlsx"),
                     rows(args.rows, places=city(6, 6)))
        print(f"generated {args.rows:,} rows ({file.stat().st_size / 1e6:.1f} MB "
              f"{file.suffix[1:].upper()}) in "
              f"{time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}",
              flush=True)
        if args.backend in ("sqlite", "both"):
            results = []
            for run in range(args.runs):
                url = f"sqlite:///{work / f'run{run}.sqlite3'}"
                _prepare(url, work / "var")
                results.append(_measure(url, work / "var", file))
            _report("sqlite", results, args.rows)
        if args.backend in ("postgres", "both"):
            from bench.postgres import Postgres

            # Its own folder under /tmp, given to the postgres user (`work` is private to us).
            pg_root = Path(tempfile.mkdtemp(prefix="bench-registry-pg-"))
            pg = Postgres(pg_root)
            pg.start()
            try:
                results = []
                for run in range(args.runs):
                    pg.create_database(f"run{run}")
                    _prepare(pg.url(f"run{run}"), work / "var")
                    results.append(_measure(pg.url(f"run{run}"), work / "var", file))
                _report("postgres", results, args.rows)
            finally:
                pg.stop()
                shutil.rmtree(pg_root, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
