"""Index generations on disk: open, update, rebuild and swap atomically, cached searchers."""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import os
import shutil
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.query import Query, Term
from whoosh.searching import Searcher

from portal.core.db import session_scope, utcnow
from portal.core.jobs import OutboxJob
from portal.institutions.models import (
    Institution,
)
from search.rules.analysis import DOCUMENT_FIELDS, FACET_FIELDS, SCHEMA
from search.services.documents import _documents, iter_documents

log = logging.getLogger(__name__)

WRITER_TIMEOUT = 60.0  # seconds to wait for whoosh's writer lock before the job fails and retries
# Outbox rows and edits this much older than a rebuild's start are replayed after the swap.
CATCH_UP_MARGIN = timedelta(minutes=2)
INDEX_TASK = "search.tasks:index_institution"
RANKING_CACHE_SIZE = 16  # rankings kept per thread and index version (0: none)

# ---------------------------------------------------------------------------------------------
# Index directories: generations behind a symlink, swapped atomically.


class SearchUnavailable(Exception):
    """The index is missing or unreadable (a rebuild is needed or running)."""


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")


def _new_generation(index_dir: Path) -> Path:
    path = index_dir.with_name(f"{index_dir.name}-{_stamp()}")
    path.mkdir(parents=True)
    return path


@contextlib.contextmanager
def _rebuild_lock(index_dir: Path) -> Iterator[None]:
    """One rebuild (or first creation) at a time across processes."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.with_name(f".{index_dir.name}.rebuild.lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _swap_in(index_dir: Path, generation: Path) -> None:
    if index_dir.is_dir() and not index_dir.is_symlink():
        # A plain directory from an older layout: move it aside once.
        index_dir.rename(index_dir.with_name(f"{index_dir.name}-legacy-{_stamp()}"))
    tmp = index_dir.with_name(f".{index_dir.name}.swap-{os.getpid()}-{threading.get_ident()}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(generation.name, tmp)
    os.replace(tmp, index_dir)


def _prune(index_dir: Path, keep: set[str]) -> None:
    """Remove old generations, keeping `keep` (the current and the one searchers may still use)."""
    for path in index_dir.parent.glob(f"{index_dir.name}-*"):
        if path.name not in keep and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def open_or_create(index_dir: Path) -> whoosh_index.Index:
    """Open the current generation, creating an empty one when there is none."""
    index_dir = Path(index_dir)
    if not index_dir.exists():
        with _rebuild_lock(index_dir):
            if not index_dir.exists():
                generation = _new_generation(index_dir)
                whoosh_index.create_in(generation, SCHEMA)
                _swap_in(index_dir, generation)
    target = index_dir.resolve()
    if not whoosh_index.exists_in(target):
        return whoosh_index.create_in(target, SCHEMA)
    return whoosh_index.open_dir(target)


def _write(index_dir: Path, session: Session, ids: Iterable[int]) -> None:
    ix = open_or_create(index_dir)
    ids = sorted(set(ids))
    docs = _documents(session, ids)
    # Waits for whoosh's lock (another writer in this index) instead of failing at once.
    with ix.writer(timeout=WRITER_TIMEOUT, delay=0.1) as writer:
        for inst_id in ids:
            if inst_id in docs:
                writer.update_document(**docs[inst_id])
            else:
                writer.delete_by_term("id", str(inst_id))


def update_institution(index_dir: Path, session: Session, institution_id: int) -> None:
    """Bring one institution's document up to date; delete it when the institution is gone."""
    _write(Path(index_dir), session, [institution_id])


def _changed_since(session: Session, since: datetime) -> set[int]:
    """Institutions edited, or queued for reindexing, since `since` (replayed after a swap)."""
    ids = set(session.scalars(select(Institution.id).where(Institution.updated_at >= since)))
    for args in session.scalars(
        select(OutboxJob.args).where(OutboxJob.func == INDEX_TASK, OutboxJob.created_at >= since)
    ):
        if args and isinstance(args[0], int):
            ids.add(args[0])
    return ids


def rebuild(index_dir: Path, database_url: str, *, procs: int = 1, batch_size: int = 500) -> int:
    """Build a fresh index from the database in a new directory, swap it in; returns doc count.

    Searches keep using the old generation until the swap. Changes committed while the build
    ran are replayed into the new generation afterwards.
    """
    index_dir = Path(index_dir)
    with _rebuild_lock(index_dir):
        started = utcnow()
        generation = _new_generation(index_dir)
        count = 0
        try:
            ix = whoosh_index.create_in(generation, SCHEMA)
            writer = ix.writer(procs=procs, limitmb=256, multisegment=procs > 1)
            try:
                # Read-only: on SQLite a writing session would hold the write lock meanwhile.
                with session_scope(database_url, reading=True) as session:
                    for doc in iter_documents(session, batch_size):
                        writer.add_document(**doc)
                        count += 1
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        except BaseException:
            shutil.rmtree(generation, ignore_errors=True)
            raise
        previous = os.path.realpath(index_dir) if index_dir.exists() else ""
        _swap_in(index_dir, generation)
        _prune(index_dir, {generation.name, Path(previous).name})
    with session_scope(database_url, reading=True) as session:
        changed = _changed_since(session, started - CATCH_UP_MARGIN)
        if changed:
            _write(index_dir, session, changed)
    return count


def _open_searcher(path: str | Path) -> Searcher:
    """A searcher on one generation directory, or SearchUnavailable.

    whoosh leaves a damaged TOC file open when reading it fails; it is closed here (with its
    ResourceWarning silenced) rather than at some later garbage collection.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return whoosh_index.open_dir(path).searcher()
        except Exception as exc:  # whoosh raises many kinds for a damaged TOC or segment
            error = SearchUnavailable(f"{type(exc).__name__}: {exc}"[:300])
        gc.collect()
    raise error


def index_problem(index_dir: Path) -> str | None:
    """Why the index cannot serve searches ("missing", "corrupt: …", "schema"), or None."""
    index_dir = Path(index_dir)
    if not index_dir.exists():
        return "missing"
    try:
        searcher = _open_searcher(index_dir.resolve())
    except SearchUnavailable as exc:
        return f"corrupt: {exc}"
    with searcher:
        if set(searcher.schema.names()) != DOCUMENT_FIELDS:
            return "schema"
    return None


def check_or_rebuild(index_dir: Path, database_url: str) -> int | None:
    """Rebuild when the index is missing, corrupt or of an older schema; returns the count."""
    problem = index_problem(index_dir)
    if problem is None:
        return None
    log.warning("search index at %s unusable (%s); rebuilding", index_dir, problem)
    return rebuild(index_dir, database_url)


# ---------------------------------------------------------------------------------------------
# Searchers: one per thread per index version, reopened when the index changes.


@dataclass
class _Open:
    """A searcher and what is worth keeping while the index does not change."""

    resolved: str
    searcher: Searcher
    district_labels: dict[str, str] = field(default_factory=dict)
    term_docs: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    all_docs: list[int] | None = None
    rankings: OrderedDict[str, list[int]] = field(default_factory=OrderedDict)
    columns: dict[str, list[str]] | None = None

    def ranked(self, q: Query | None) -> list[int]:
        """Document numbers matching `q`, best first (None: every live document, in order).

        One scored pass over all matches gives the ranking, the total and the facet base.
        Kept for a few queries: the next page or a facet click asks for the same words.
        """
        if q is None:
            if self.all_docs is None:
                self.all_docs = sorted(self.searcher.reader().all_doc_ids())
            return self.all_docs
        key = repr(q)
        if key in self.rankings:
            self.rankings.move_to_end(key)
            return self.rankings[key]
        ranked = [docnum for _score, docnum in self.searcher.search(q, limit=None).top_n]
        if RANKING_CACHE_SIZE:
            self.rankings[key] = ranked
            while len(self.rankings) > RANKING_CACHE_SIZE:
                self.rankings.popitem(last=False)
        return ranked

    def with_term(self, fieldname: str, value: str) -> set[int]:
        key = (fieldname, value)
        if key not in self.term_docs:
            self.term_docs[key] = set(self.searcher.docs_for_query(Term(fieldname, value)))
        return self.term_docs[key]

    def facet_columns(self) -> dict[str, list[str]]:
        """Facet values (and ids) by document number, assembled from per-segment caches."""
        if self.columns is None:
            self.columns = _facet_columns(self.resolved, self.searcher)
        return self.columns


# Facet column values of each immutable segment: (generation dir, segment id, field) → values.
# A commit adds a small segment, so a new searcher reuses the big segments' lists.
_segment_columns: dict[tuple[str, str, str], list[str]] = {}
_segment_lock = threading.Lock()


def _facet_columns(resolved: str, searcher: Searcher) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {f: [] for f in (*FACET_FIELDS.values(), "id")}
    live: set[str] = set()
    for leaf, _base in searcher.reader().leaf_readers():
        if leaf.segment() is None:  # an empty index has a reader without segments
            continue
        segid = leaf.segment().segment_id()
        live.add(segid)
        for fieldname, values in columns.items():
            key = (resolved, segid, fieldname)
            cached = _segment_columns.get(key)
            if cached is None:
                canonical: dict[str, str] = {}  # one str object per distinct value
                cached = [canonical.setdefault(v, v) for v in leaf.column_reader(fieldname)]
                with _segment_lock:
                    _segment_columns[key] = cached
            values.extend(cached)
    with _segment_lock:  # forget merged-away segments and deleted generations
        for key in [k for k in _segment_columns if k[0] == resolved and k[1] not in live]:
            del _segment_columns[key]
        for gone in {k[0] for k in _segment_columns} - {resolved}:
            if not os.path.isdir(gone):
                for key in [k for k in _segment_columns if k[0] == gone]:
                    del _segment_columns[key]
    return columns


_local = threading.local()


def _open(index_dir: Path) -> _Open:
    cache: dict[str, _Open] = _local.__dict__.setdefault("open", {})
    key = str(index_dir)
    resolved = os.path.realpath(index_dir)
    current = cache.get(key)
    try:
        # Not Searcher.refresh(): it reuses segment readers and misses new deletions.
        if current is not None and current.resolved == resolved and current.searcher.up_to_date():
            return current
    except Exception as exc:  # the generation vanished or broke under us: open afresh
        log.warning("search index %s: cached searcher dropped: %s", resolved, exc)
    if current is not None:
        del cache[key]
        with contextlib.suppress(Exception):
            current.searcher.close()
    entry = _Open(resolved, _open_searcher(resolved))
    cache[key] = entry
    return entry


def searcher_for(index_dir: Path) -> Searcher:
    """This thread's searcher on the current generation (do not close it)."""
    return _open(Path(index_dir)).searcher


def document_count(index_dir: Path) -> int | None:
    """Documents in the index, or None when it is unavailable (for the operations page)."""
    try:
        return searcher_for(index_dir).doc_count()
    except SearchUnavailable:
        return None
