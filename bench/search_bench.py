"""Search benchmark: index N demo institutions, then time searches and the type-ahead.

    .venv/bin/python bench/search_bench.py [--institutions 10000] [--queries 200] [--procs 1]
                                           [--workdir DIR]  (reuses DIR's database if seeded)

Builds a seeded SQLite database (portal.demo.seed), rebuilds the whole-text index from it, and
prints build time, index size, and median/p95 latency of one-word and two-word searches (page 1
with facets and highlights, as the page shows it) and of the database type-ahead. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ONE_WORD = [
    "消防", "护理费", "养老院", "整改", "失能", "医养结合", "床位费", "罚款", "餐费", "红名单",
    "灭火器", "健康证明", "评估", "收费标准", "日间照料", "助餐", "护理员", "失信", "颐养", "敬老院",
]  # fmt: skip
TWO_WORDS = [
    "消防 整改", "护理费 失能", "养老院 床位费", "餐费 收费标准", "失能 护理", "消防 隐患",
    "医养结合 养老院", "罚款 消防", "日间照料 助餐", "红名单 养老院", "灭火器 压力", "评估 复评",
]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(label: str, run: Callable[[str], object], queries: list[str]) -> None:
    for q in queries[:5]:
        run(q)  # warm caches, as a long-running server would be
    times = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"{label:<30} n={len(times):<4} median {statistics.median(times):7.2f} ms"
        f"   p95 {percentile(times, 95):7.2f} ms   max {max(times):7.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--procs", type=int, default=1, help="whoosh writer processes")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'bench.sqlite3'}"
    index_dir = work / "var" / "index"
    os.environ.update(
        PORTAL_VAR_DIR=str(work / "var"),
        PORTAL_DATABASE_URL=url,
        PORTAL_INDEX_DIR=str(index_dir),
        PORTAL_SECRET_KEY="bench-" + "x" * 40,
    )
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    from sqlalchemy import func, select

    from portal.db import session_factory
    from portal.demo.seed import seed_demo
    from portal.institutions.models import Institution
    from portal.migrate import upgrade
    from portal.settings import reset_settings
    from search.index import SearchQuery, ensure_jieba, rebuild, search, suggest

    reset_settings()
    upgrade(url)
    db = session_factory(url)()
    have = db.scalar(select(func.count(Institution.id))) or 0
    if have == 0:
        started = time.perf_counter()
        seed_demo(url, institutions=args.institutions, seed=0, today=date.today())
        print(f"seeded {args.institutions} institutions in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing {have} institutions in {url}")
    ensure_jieba()

    started = time.perf_counter()
    count = rebuild(index_dir, url, procs=args.procs)
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in index_dir.resolve().iterdir() if p.is_file())
    print(
        f"index: {count} documents built in {elapsed:.1f} s (procs={args.procs}), "
        f"{size / 1e6:.1f} MB at {index_dir.resolve()}"
    )

    rng = random.Random(0)
    n = args.queries
    rows = db.execute(select(Institution.name, Institution.name_initials)).all()
    sample = rng.sample(rows, min(len(rows), n))
    initials_prefixes = [ini[: rng.randint(2, 5)] for _name, ini in sample if ini]
    name_parts = []
    for name, _ini in sample:
        start = rng.randrange(max(1, len(name) - 2))
        name_parts.append(name[start : start + 2])

    def run_search(q: str) -> object:
        return search(index_dir, SearchQuery(q=q))

    def run_suggest(q: str) -> object:
        return suggest(db, q, index_dir=index_dir)

    import search.storage as search_index

    cache_size = search_index.RANKING_CACHE_SIZE
    search_index.RANKING_CACHE_SIZE = 0  # every query ranked afresh
    timed("search, 1 word", run_search, [rng.choice(ONE_WORD) for _ in range(n)])
    timed("search, 2 words", run_search, [rng.choice(TWO_WORDS) for _ in range(n)])
    timed("search, institution name", run_search, [name for name, _ in sample])
    search_index.RANKING_CACHE_SIZE = cache_size

    def next_click(q: str) -> object:  # the same words again with a filter, as a facet click
        return search(index_dir, SearchQuery(q=q, kind="residential", page=2))

    for q in ONE_WORD:
        run_search(q)
    timed("search, facet click/next page", next_click, [rng.choice(ONE_WORD) for _ in range(n)])
    timed("type-ahead, pinyin initials", run_suggest, initials_prefixes)
    timed("type-ahead, name characters", run_suggest, name_parts)
    timed("type-ahead, no match (scan)", run_suggest, ["qqqzx"] * min(n, 50))
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
