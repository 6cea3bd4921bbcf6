"""`portal reindex`: rebuild the search index from the database and swap it in."""

from __future__ import annotations

import time
from pathlib import Path

from search.services.index import index_problem, rebuild


def reindex(
    database_url: str, index_dir: Path, *, only_if_broken: bool = False, procs: int = 1
) -> int:
    """Rebuild (or, with only_if_broken, only when missing/corrupt); prints count and time.

    Returns the number of documents written (0 when nothing needed doing).
    """
    if only_if_broken:
        problem = index_problem(index_dir)
        if problem is None:
            print(f"search index at {index_dir} is healthy; nothing to do")
            return 0
        print(f"search index at {index_dir}: {problem}; rebuilding")
    started = time.perf_counter()
    count = rebuild(index_dir, database_url, procs=procs)
    print(f"indexed {count} institutions in {time.perf_counter() - started:.1f} s → {index_dir}")
    return count
