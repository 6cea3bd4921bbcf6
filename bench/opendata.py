"""Open-data downloads and efficiency indicators against a filled database: time and memory.

Each download is pulled through the real ASGI app (TestClient, streamed) and its time, size and
the process's peak RSS growth are printed; then the indicators of the whole city and every
district are computed once. Memory that stays flat while the row count grows is the point:
downloads are generators, so a 400k-row table should not cost 400k rows of memory.

Usage: PORTAL_DATABASE_URL=... python -m bench.opendata [--formats csv,json,xlsx]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import datetime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="csv,json,xlsx")
    args = parser.parse_args()

    from starlette.testclient import TestClient

    from portal.app import create_app
    from portal.core.db import session_factory
    from portal.core.settings import get_settings
    from portal.opendata.services.datasets import DATASETS
    from portal.opendata.services.indicators import IndicatorService

    settings = get_settings()
    with TestClient(create_app()) as client:
        for code in DATASETS:
            for fmt in args.formats.split(","):
                before, start = peak_mb(), time.perf_counter()
                size = rows = 0
                with client.stream("GET", f"/opendata/{code}.{fmt}") as response:
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        rows += chunk.count(b"\n")
                took = time.perf_counter() - start
                print(f"{code:16} {fmt:5} {took:7.2f} s {size / 1e6:8.2f} MB"
                      f"{' ~' + str(rows) + ' lines' if fmt != 'xlsx' else '':>16}"
                      f"  peak RSS +{peak_mb() - before:.0f} MB (now {peak_mb():.0f} MB)")

    with session_factory(settings.database_url)() as db:
        service = IndicatorService(db, settings.timezone)
        start = time.perf_counter()
        period = service.period(datetime.now(settings.timezone).year,
                                datetime.now(settings.timezone).date())
        inputs = service.inputs
        loaded = time.perf_counter() - start
        reports = service.all_reports(period)
        total = time.perf_counter() - start
        print(f"indicators: {len(inputs.subjects)} institutions loaded in {loaded:.2f} s, "
              f"{len(reports)} scopes computed in {total - loaded:.2f} s, "
              f"peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
