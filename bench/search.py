"""Search benchmark: whoosh (the portal's engine) against SQLite FTS5 over the same text.

    .venv/bin/python -m bench.search [--dataset demo|400k|all] [--queries 200] [--procs 2]

For each data set it builds the portal's search index from the database (`search.services.index.rebuild`,
the code `portal reindex` runs) and, as a baseline, an SQLite FTS5 table holding exactly the
same documents cut into exactly the same tokens (the index's own jieba analyzers), then prints:
build time, index size, and median/p95 latency of 200 realistic queries (one word, two words,
part of a name, a whole name; page 1 with facet counts and highlighted snippets, as /search
shows it) and of the type-ahead (pinyin initials and name characters), plus the whoosh/FTS5
ratio of the medians. The FTS5 side does the same work: ranks every match (bm25 with the same
field weights), counts the six facets over all matches, and fetches 20 rows with highlights.

Data sets: "demo" seeds the 200-institution demo city into a temporary folder; "400k" uses the
database `python -m bench.stack prepare --dataset 400k` builds under BENCH_WORK (built first if
missing, which takes a while). Nothing is written to those databases; indexes go to
BENCH_WORK/search-<dataset>/. Targets (issue 5, 2 cores): type-ahead p95 ≤ 30 ms and search
p95 ≤ 150 ms at 400,000 institutions. Not a test; run from the repository root.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# `python bench/search.py` would put bench/ first on the path, where this file shadows the
# `search` package; the repository root must come first.
sys.path[:] = [str(REPO)] + [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from contextlib import closing  # noqa: E402
from datetime import date  # noqa: E402

ONE_WORD = [
    "消防", "护理费", "养老院", "整改", "失能", "医养结合", "床位费", "罚款", "餐费", "红名单",
    "灭火器", "健康证明", "评估", "收费标准", "日间照料", "助餐", "护理员", "失信", "颐养", "敬老院",
    "押金", "康复", "应急预案", "开放日", "护理院", "老年公寓", "伙食费", "隐患", "警告", "培训",
]  # fmt: skip
TWO_WORDS = [
    "消防 整改", "护理费 失能", "养老院 床位费", "餐费 收费标准", "失能 护理", "消防 隐患",
    "医养结合 养老院", "罚款 消防", "日间照料 助餐", "红名单 养老院", "灭火器 压力", "评估 复评",
    "东城区 养老院", "滨江区 护理", "押金 专户", "康复 护理院",
]  # fmt: skip
SEARCHED = ("names", "place", "fees", "inspections", "sanctions", "notes")
FACETS = ("district_id", "kind", "nature", "grade", "price_bucket", "vacancy")
SHOWN = ("name", "district", "street", "address", "fees", "inspections", "penalties")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(run: Callable[[str], object], queries: list[str]) -> list[float]:
    for q in queries[:5]:
        run(q)  # warm caches, as a long-running server would be
    times = []
    for q in queries:
        started = time.perf_counter()
        run(q)
        times.append((time.perf_counter() - started) * 1000)
    return times


def line(label: str, times: list[float], baseline: list[float] | None = None) -> str:
    text = (f"  {label:<34} n={len(times):<4} median {statistics.median(times):8.2f} ms"
            f"   p95 {percentile(times, 95):8.2f} ms")
    if baseline:
        text += f"   whoosh/FTS5 median {statistics.median(times) / statistics.median(baseline):5.1f}×"
    return text


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- the FTS5 baseline --------------------------------------------------------------------------


class Fts5:
    """The same documents and tokens in an SQLite FTS5 table, queried for the same page."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.columns: dict[str, list[str]] = {}

    def build(self, documents: Iterable[dict]) -> int:
        from search.rules.analysis import GRAM_FIELDS, _analyzer

        analyzers = {f: _analyzer(grams=f in GRAM_FIELDS) for f in SEARCHED}
        self.path.unlink(missing_ok=True)
        count = 0
        with closing(sqlite3.connect(self.path)) as conn:
            conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5({', '.join(SEARCHED)}, "
                         "tokenize='unicode61')")
            conn.execute(f"CREATE TABLE shown (id INTEGER PRIMARY KEY, {', '.join(SHOWN)}, "
                         f"{', '.join(FACETS)})")
            batch_docs, batch_shown = [], []
            for doc in documents:
                count += 1
                tokens = [" ".join(t.text for t in analyzers[f](doc.get(f) or ""))
                          for f in SEARCHED]
                batch_docs.append((count, *tokens))
                batch_shown.append((count, *(doc.get(f) or "" for f in SHOWN),
                                    *(str(doc.get(f) or "") for f in FACETS)))
                if len(batch_docs) == 2000:
                    self._flush(conn, batch_docs, batch_shown)
            self._flush(conn, batch_docs, batch_shown)
            conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
            conn.commit()
        return count

    @staticmethod
    def _flush(conn, docs: list, shown: list) -> None:
        if not docs:
            return
        marks = ", ".join("?" * (len(SEARCHED) + 1))
        conn.executemany(f"INSERT INTO docs(rowid, {', '.join(SEARCHED)}) VALUES ({marks})", docs)
        conn.executemany(f"INSERT INTO shown VALUES ({', '.join('?' * len(shown[0]))})", shown)
        docs.clear()
        shown.clear()

    def open(self) -> None:
        from search.rules.analysis import FIELD_BOOSTS

        self.conn = sqlite3.connect(self.path, check_same_thread=False)
        rows = self.conn.execute(f"SELECT id, {', '.join(FACETS)} FROM shown ORDER BY id")
        columns: dict[str, list[str]] = {f: [""] for f in FACETS}  # rowids start at 1
        for row in rows:
            for name, value in zip(FACETS, row[1:], strict=True):
                columns[name].append(value)
        self.columns = columns
        self.weights = ", ".join(str(FIELD_BOOSTS[f]) for f in SEARCHED)

    def search(self, q: str) -> tuple[int, list]:
        from search.rules.query import parse_query

        words = parse_query(q).words
        if not words:
            return 0, []
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in words)
        ranked = [rowid for (rowid,) in self.conn.execute(
            f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, {self.weights})",
            (match,))]
        for name in FACETS:  # the six facet counts over every match, as the page shows them
            column = self.columns[name]
            Counter(column[d] for d in ranked)
        top = ranked[:20]
        hits = []
        if top:
            marks = ", ".join("?" * len(top))
            hits = self.conn.execute(
                f"SELECT s.name, s.district, highlight(docs, 2, '<mark>', '</mark>'), "
                f"highlight(docs, 3, '<mark>', '</mark>') FROM docs JOIN shown s "
                f"ON s.id = docs.rowid WHERE docs MATCH ? AND docs.rowid IN ({marks})",
                (match, *top)).fetchall()
        return len(ranked), hits


# --- one data set -------------------------------------------------------------------------------


def database_for(dataset: str, work: Path) -> str:
    if dataset == "demo":
        from demo.seed import seed_demo
        from portal.core.migrate import upgrade

        path = work / "demo.sqlite3"
        if not path.exists():
            upgrade(f"sqlite:///{path}")
            seed_demo(f"sqlite:///{path}", institutions=200, seed=0, today=date.today())
        return f"sqlite:///{path}"
    from bench.stack import dataset_dir, prepare

    prepare("sqlite", dataset)
    return f"sqlite:///{dataset_dir('sqlite', dataset) / 'portal.sqlite3'}"


def realistic_queries(names: list[str], n: int, rng: random.Random) -> dict[str, list[str]]:
    """n queries in the mix people type: words, word pairs, part of a name, a whole name."""
    parts = []
    for name in rng.sample(names, min(len(names), n)):
        start = rng.randrange(max(1, len(name) - 3))
        parts.append(name[start : start + rng.randint(2, 4)])
    return {
        "one word": [rng.choice(ONE_WORD) for _ in range(n * 2 // 5)],
        "two words": [rng.choice(TWO_WORDS) for _ in range(n // 5)],
        "part of a name": parts[: n // 4],
        "whole name": rng.sample(names, min(len(names), n - n * 2 // 5 - n // 5 - n // 4)),
    }


def run_dataset(dataset: str, n: int, procs: int, work: Path, reuse: bool) -> None:
    from sqlalchemy import select

    import search.services.storage as storage
    from portal.core.db import session_factory
    from portal.institutions.models import Institution
    from search.services.index import (
        SearchQuery,
        document_count,
        ensure_jieba,
        index_problem,
        iter_documents,
        rebuild,
        search,
        suggest,
    )

    out = work / f"search-{dataset}"
    out.mkdir(parents=True, exist_ok=True)
    url = database_for(dataset, out)
    index_dir = out / "index"
    ensure_jieba()
    print(f"\n== {dataset}: {url}")

    if reuse and index_problem(index_dir) is None:
        whoosh_build = None
        print(f"  whoosh: reusing the index at {index_dir} ({document_count(index_dir)} documents, "
              f"{folder_size(index_dir.resolve()) / 1e6:.1f} MB)")
    else:
        started = time.perf_counter()
        count = rebuild(index_dir, url, procs=procs)
        whoosh_build = time.perf_counter() - started
        print(f"  whoosh: {count} documents in {whoosh_build:.1f} s (procs={procs}), "
              f"{folder_size(index_dir.resolve()) / 1e6:.1f} MB")

    fts = Fts5(out / "fts5.sqlite3")
    db = session_factory(url)()
    started = time.perf_counter()
    fts_count = fts.build(iter_documents(db))
    fts_build = time.perf_counter() - started
    ratio = f"build ratio whoosh/FTS5 {whoosh_build / fts_build:.1f}×; " if whoosh_build else ""
    print(f"  FTS5:   {fts_count} documents in {fts_build:.1f} s, "
          f"{fts.path.stat().st_size / 1e6:.1f} MB ({ratio}both include reading and "
          "segmenting the text)")
    fts.open()

    rng = random.Random(0)
    rows = db.execute(select(Institution.name, Institution.name_initials)).all()
    queries = realistic_queries([name for name, _ in rows], n, rng)
    storage.RANKING_CACHE_SIZE = 0  # every query ranked afresh: no repeated-query help
    all_whoosh, all_fts = [], []
    for label, qs in queries.items():
        w = timed(lambda q: search(index_dir, SearchQuery(q=q)), qs)
        f = timed(fts.search, qs)
        all_whoosh += w
        all_fts += f
        print(line(f"search, {label}", w, f))
    print(line(f"search, all {len(all_whoosh)}", all_whoosh, all_fts))
    same = sum(search(index_dir, SearchQuery(q=q)).total == fts.search(q)[0]
               for qs in queries.values() for q in qs)
    print(f"  same number of matches in whoosh and FTS5: {same} of {len(all_whoosh)} queries "
          "(whoosh also matches a long word by its parts and latin text as pinyin initials)")
    print(line("  FTS5 baseline, all", all_fts))
    facet = [rng.choice(ONE_WORD) for _ in range(n // 2)]
    print(line("search, facet click (kind, page 2)",
               timed(lambda q: search(index_dir, SearchQuery(q=q, kind="residential", page=2)),
                     facet)))

    sample = rng.sample(rows, min(len(rows), n))
    initials = [ini[: rng.randint(2, 5)] for _name, ini in sample if ini][: n // 2]
    characters = [name[s : s + 2] for name, _ in sample
                  for s in [rng.randrange(max(1, len(name) - 2))]][: n // 2]
    ahead_i = timed(lambda q: suggest(db, q, index_dir=index_dir), initials)
    ahead_c = timed(lambda q: suggest(db, q, index_dir=index_dir), characters)
    print(line("type-ahead, pinyin initials", ahead_i))
    print(line("type-ahead, name characters", ahead_c))
    print(line(f"type-ahead, all {len(ahead_i) + len(ahead_c)}", ahead_i + ahead_c))
    db.close()
    fts.conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["demo", "400k", "all"], default="all")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--procs", type=int, default=2, help="whoosh writer processes")
    parser.add_argument("--reuse-index", action="store_true",
                        help="time queries on the whoosh index a previous run built")
    args = parser.parse_args(argv)

    from bench.stack import WORK

    work = WORK
    work.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="search-bench-var-"))
    os.environ.update(PORTAL_VAR_DIR=str(var), PORTAL_SECRET_KEY="bench-" + "x" * 40)
    from portal.core.settings import reset_settings

    reset_settings()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version}")
    try:
        for dataset in (["demo", "400k"] if args.dataset == "all" else [args.dataset]):
            run_dataset(dataset, args.queries, args.procs, work, args.reuse_index)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
