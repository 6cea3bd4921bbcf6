"""The search index: whoosh-reloaded documents built from published data, safe rebuilds, queries.

Layout on disk: `index_dir` (settings.index_dir) is a symlink to a sibling `<name>-<timestamp>`
generation directory. A rebuild writes a new generation and swaps the symlink with
`os.replace`, so readers always see a whole index. Incremental updates run only on the "index"
RQ queue and also take whoosh's own writer lock, waiting for it rather than failing.
Searchers are cached per thread and reopened when the index changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import os
import re
import shutil
import threading
import unicodedata
import warnings
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jieba
from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer
from whoosh.fields import ID, NGRAMWORDS, STORED, TEXT, Schema
from whoosh.query import And, Or, Query, Term
from whoosh.searching import Searcher

from portal.db import session_scope, utcnow
from portal.institutions import vocab
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    Penalty,
)
from portal.jobs import OutboxJob
from portal.orgs.models import District, Street
from portal.settings import get_settings
from search.pinyin import all_readings, initials

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 12
WRITER_TIMEOUT = 60.0  # seconds to wait for whoosh's writer lock before the job fails and retries
# Outbox rows and edits this much older than a rebuild's start are replayed after the swap.
CATCH_UP_MARGIN = timedelta(minutes=2)
INDEX_TASK = "search.tasks:index_institution"
RANKING_CACHE_SIZE = 16  # rankings kept per thread and index version (0: none)

# ---------------------------------------------------------------------------------------------
# Analysis: jieba words (search mode, so 消防安全 also yields 消防 and 安全); name-like fields
# also get every Han character and character pair, so any part of a name is found.

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
STOP_WORDS = frozenset(
    "a an and are as at be by for from if in is it not of on or the to with "
    "的 了 和 与 及 或 等 在 对 是".split()
)
_jieba_lock = threading.Lock()
_jieba_ready = False


def ensure_jieba() -> None:
    """Quiet jieba, keep its cache under var/, and load its dictionary once per process."""
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if _jieba_ready:
            return
        jieba.setLogLevel(logging.WARNING)
        tmp = get_settings().var_dir / "jieba"
        tmp.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(tmp)
        jieba.initialize()
        _jieba_ready = True


def _han_grams(text: str) -> Iterator[tuple[str, int, int]]:
    for m in _HAN_RUN.finditer(text):
        run, start = m.group(), m.start()
        for i in range(len(run)):
            yield run[i], start + i, start + i + 1
            if i + 1 < len(run):
                yield run[i : i + 2], start + i, start + i + 2


class JiebaTokenizer(Tokenizer):
    """jieba search-mode words; with `grams` also every Han character and character pair."""

    def __init__(self, grams: bool = False) -> None:
        self.grams = grams

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        ensure_jieba()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if tokenize:
            pieces: Iterable[tuple[str, int, int]] = (
                piece
                for piece in jieba.tokenize(value, mode="search")
                if any(ch.isalnum() for ch in piece[0])
            )
            if self.grams:
                pieces = [*pieces, *_han_grams(value)]
        else:
            pieces = [(value, 0, len(value))]
        for pos, (text, start, end) in enumerate(pieces, start_pos):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = text
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def _analyzer(grams: bool):
    return JiebaTokenizer(grams) | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)


# Searched fields and their query-time boosts: a name match must outrank a penalty mention.
# Few fields on purpose: each is one more matcher per query word.
FIELD_BOOSTS = {"names": 8.0, "place": 2.0, "fees": 1.0, "inspections": 1.0, "sanctions": 0.6}
GRAM_FIELDS = frozenset({"names", "place"})  # also indexed as single characters and pairs
INITIALS_BOOST = 4.0
MAX_READINGS = 6  # pinyin readings indexed per name: the table's reading and a few variants
# Facet name → its ID column. Price and vacancy are bucketed at indexing time, so counting
# them is a column lookup rather than a numeric range query per search.
FACET_FIELDS = {
    "district": "district_id",
    "kind": "kind",
    "nature": "nature",
    "grade": "grade",
    "price": "price_bucket",
    "vacancies": "vacancy",
}
PRICE_BUCKETS: dict[str, tuple[int, int | None, str]] = {
    "lt2000": (0, 1999, "2000 元以下"),
    "2000-3999": (2000, 3999, "2000–3999 元"),
    "4000-5999": (4000, 5999, "4000–5999 元"),
    "6000-7999": (6000, 7999, "6000–7999 元"),
    "ge8000": (8000, None, "8000 元及以上"),
}
GRADE_VALUES = {"5": "五级", "4": "四级", "3": "三级", "2": "二级", "1": "一级", "0": "未评定"}


# Stored for the result list and snippets only; their words are searched through the combined
# fields (names, place, sanctions) above.
SHOWN_FIELDS = (
    "name",
    "aliases",
    "address",
    "district",
    "street",
    "penalties",
    "credit",
    "beds_total",
    "beds_vacant",
    "price_min",
    "price_max",
)


def make_schema() -> Schema:
    grams = _analyzer(grams=True)
    words = _analyzer(grams=False)
    facet = {name: ID(stored=True, sortable=True) for name in FACET_FIELDS.values()}
    shown = {name: STORED() for name in SHOWN_FIELDS}
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        names=TEXT(analyzer=grams),  # name and aliases
        # Pinyin-initials readings of name and aliases, as trigrams so substrings match.
        name_initials=NGRAMWORDS(minsize=3, maxsize=3),
        place=TEXT(analyzer=grams),  # district, street and address
        fees=TEXT(analyzer=words, stored=True),
        inspections=TEXT(analyzer=words, stored=True),
        sanctions=TEXT(analyzer=words),  # penalties and credit-list entries
        filing_status=ID(stored=True),
        **facet,
        **shown,
    )


SCHEMA = make_schema()
DOCUMENT_FIELDS = frozenset(SCHEMA.names())


def price_bucket(price_min: int | None) -> str:
    if price_min is None:
        return ""
    for key, (low, high, _label) in PRICE_BUCKETS.items():
        if low <= price_min and (high is None or price_min <= high):
            return key
    return ""


# ---------------------------------------------------------------------------------------------
# Documents: only published disclosure data; never people (no legal representative, phone or
# anything from complaints).


@dataclass(frozen=True)
class FeeRow:
    item: str
    unit: str
    price: Decimal
    pricing_type: str
    cycle: str
    care_level: str | None


def monthly_price_range(fees: list[FeeRow]) -> tuple[int, int] | None:
    """Cheapest and dearest monthly total (bed + care for a level + other monthly items), yuan.

    Bed fees (床位费…) are alternatives (room types), care fees are per care level, every other
    monthly item without a care level is added to each total. None when nothing is monthly.
    """
    monthly = [f for f in fees if f.cycle == "月"]
    if not monthly:
        return None
    beds = [f.price for f in monthly if not f.care_level and f.item.startswith("床位费")]
    other = sum(
        (f.price for f in monthly if not f.care_level and not f.item.startswith("床位费")),
        Decimal(0),
    )
    by_level: dict[str, Decimal] = {}
    for f in monthly:
        if f.care_level:
            by_level[f.care_level] = by_level.get(f.care_level, Decimal(0)) + f.price
    levels = list(by_level.values()) or [Decimal(0)]
    low = min(beds, default=Decimal(0)) + other + min(levels)
    high = max(beds, default=Decimal(0)) + other + max(levels)

    def whole(value: Decimal) -> int:
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return whole(low), whole(high)


_ALIAS_SEPARATORS = re.compile(r"[,，、;；\s]+")


def _fee_line(f: FeeRow) -> str:
    parts = [f.item, f"{f.price:.2f}", f.unit, vocab.PRICING_TYPES.get(f.pricing_type, "")]
    if f.care_level:
        parts.append(vocab.CARE_LEVELS.get(f.care_level, ""))
    return " ".join(p for p in parts if p)


def _documents(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Index documents for these institution ids (missing ids are simply absent)."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            Institution.id,
            Institution.name,
            Institution.aliases,
            Institution.address,
            Institution.kind,
            Institution.nature,
            Institution.filing_status,
            Institution.district_id,
            Institution.beds_total,
            Institution.beds_vacant,
            District.name.label("district_name"),
            Street.name.label("street_name"),
        )
        .join(District, District.id == Institution.district_id)
        .outerjoin(Street, Street.id == Institution.street_id)
        .where(Institution.id.in_(ids))
    ).all()
    fees: dict[int, list[FeeRow]] = {}
    for inst_id, *values in session.execute(
        select(
            FeeItem.institution_id,
            FeeItem.item,
            FeeItem.unit,
            FeeItem.price,
            FeeItem.pricing_type,
            FeeItem.cycle,
            FeeItem.care_level,
        )
        .where(FeeItem.institution_id.in_(ids), FeeItem.effective_to.is_(None))
        .order_by(FeeItem.id)
    ):
        fees.setdefault(inst_id, []).append(FeeRow(*values))
    grades: dict[int, int] = {}
    for inst_id, level in session.execute(
        select(Grade.institution_id, Grade.level)
        .where(Grade.institution_id.in_(ids))
        .order_by(Grade.awarded_on, Grade.id)
    ):
        grades[inst_id] = level  # the latest award wins
    texts: dict[str, dict[int, list[str]]] = {"inspections": {}, "penalties": {}, "credit": {}}
    for inst_id, on, checked, findings in session.execute(
        select(
            Inspection.institution_id,
            Inspection.inspected_on,
            Inspection.items_checked,
            Inspection.findings,
        )
        .where(Inspection.institution_id.in_(ids))
        .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
    ):
        line = f"{on:%Y-%m-%d} {checked}" + (f"：{findings}" if findings else "")
        texts["inspections"].setdefault(inst_id, []).append(line)
    for inst_id, violation, penalty in session.execute(
        select(Penalty.institution_id, Penalty.violation, Penalty.penalty)
        .where(Penalty.institution_id.in_(ids))
        .order_by(Penalty.decided_on.desc(), Penalty.id.desc())
    ):
        texts["penalties"].setdefault(inst_id, []).append(f"{violation} {penalty}")
    for inst_id, list_type, reason in session.execute(
        select(CreditEntry.institution_id, CreditEntry.list_type, CreditEntry.reason)
        .where(CreditEntry.institution_id.in_(ids), CreditEntry.removed_on.is_(None))
        .order_by(CreditEntry.listed_on.desc(), CreditEntry.id.desc())
    ):
        label = vocab.CREDIT_LISTS.get(list_type, "")
        texts["credit"].setdefault(inst_id, []).append(f"{label} {reason}".strip())

    docs: dict[int, dict[str, Any]] = {}
    for row in rows:
        inst_id = row.id
        own_fees = fees.get(inst_id, [])
        price = monthly_price_range(own_fees)
        penalties = "\n".join(texts["penalties"].get(inst_id, []))
        credit = "\n".join(texts["credit"].get(inst_id, []))
        docs[inst_id] = {
            "id": str(inst_id),
            "names": f"{row.name}\n{row.aliases}",
            "name": row.name,
            "aliases": row.aliases,
            "name_initials": " ".join(_readings(row.name, row.aliases)),
            "place": f"{row.district_name} {row.street_name or ''} {row.address}",
            "address": row.address,
            "district": row.district_name,
            "street": row.street_name or "",
            "district_id": str(row.district_id),
            "kind": row.kind,
            "nature": row.nature,
            "filing_status": row.filing_status,
            "grade": str(grades.get(inst_id, 0)),
            "beds_total": row.beds_total,
            "beds_vacant": row.beds_vacant,
            "vacancy": "1" if row.beds_vacant > 0 else "0",
            "price_min": price[0] if price else None,
            "price_max": price[1] if price else None,
            "price_bucket": price_bucket(price[0] if price else None),
            "fees": "\n".join(_fee_line(f) for f in own_fees),
            "inspections": "\n".join(texts["inspections"].get(inst_id, [])),
            "penalties": penalties,
            "credit": credit,
            "sanctions": f"{penalties}\n{credit}",
        }
    return docs


def _first_difference(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))


def _readings(name: str, aliases: str) -> list[str]:
    """initials() of name and each alias first, then other readings of polyphones, capped."""
    found: list[str] = []
    for text in (name, *_ALIAS_SEPARATORS.split(aliases)):
        if text:
            primary = initials(text)
            # Variants differing early first: people type a name from its start.
            others = sorted(
                all_readings(text) - {primary}, key=lambda r: (_first_difference(r, primary), r)
            )
            found.extend(r for r in [primary, *others[: MAX_READINGS - 1]] if r not in found)
    return found


def document_for(session: Session, institution_id: int) -> dict[str, Any] | None:
    """The index document of one institution, or None when it no longer exists."""
    return _documents(session, [institution_id]).get(institution_id)


def iter_documents(session: Session, batch_size: int = 500) -> Iterator[dict[str, Any]]:
    ids = list(session.scalars(select(Institution.id).order_by(Institution.id)))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        docs = _documents(session, chunk)
        for inst_id in chunk:
            if inst_id in docs:
                yield docs[inst_id]


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
                with session_scope(database_url) as session:
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
    with session_scope(database_url) as session:
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


# ---------------------------------------------------------------------------------------------
# Queries.


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    district_id: int | None = None
    kind: str | None = None
    nature: str | None = None
    grade: str | None = None
    price: str | None = None
    vacancies: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # normalised and cut to MAX_QUERY_CHARS
    words: list[str]  # jieba words, lowercased, without stop words and punctuation
    initials: str  # the query as pinyin initials ("" unless it is 3–20 latin letters)
    truncated: bool


@dataclass(frozen=True)
class Snippet:
    field: str
    html: Markup  # built by `excerpt`: escaped text, only <mark> is markup


@dataclass(frozen=True)
class Hit:
    id: int
    name: str
    name_html: Markup
    district: str
    street: str
    address: str
    kind: str
    nature: str
    filing_status: str
    grade: int
    beds_total: int
    beds_vacant: int
    price_min: int | None
    price_max: int | None
    snippets: list[Snippet]


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    parsed: ParsedQuery
    hits: list[Hit]
    total: int
    page: int
    pages: int
    facets: dict[str, list[FacetCount]]
    notices: list[str]  # codes: "truncated", "no_terms", "empty"


def parse_query(text: str) -> ParsedQuery:
    """Words to search for; never raises, whatever the input (whoosh syntax is just text)."""
    ensure_jieba()
    text = unicodedata.normalize("NFKC", text or "").strip()
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    words: list[str] = []
    for word in jieba.cut(text):
        word = word.strip().lower()
        if word and any(ch.isalnum() for ch in word) and word not in STOP_WORDS:
            if word not in words:
                words.append(word)
    compact = "".join(text.split()).lower()
    initials_ = compact if re.fullmatch(r"[a-z]{3,20}", compact) else ""
    return ParsedQuery(text, words[:MAX_QUERY_WORDS], initials_, truncated)


def _pairs(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)]


def _word_query(fieldname: str, word: str, searcher: Searcher | None) -> Query:
    """The word, or for a long Chinese word its parts as the field indexes them."""
    boost = FIELD_BOOSTS[fieldname]
    if len(word) <= 2 or not _HAN_RUN.fullmatch(word):
        return Term(fieldname, word, boost=boost)
    if fieldname in GRAM_FIELDS:
        if (
            jieba.dt.FREQ.get(word)
            and searcher is not None
            and searcher.doc_frequency(fieldname, word)
        ):
            # A dictionary word jieba indexed as such: the term is as good and much cheaper.
            return Term(fieldname, word, boost=boost)
        # Every character pair is indexed, so all pairs present ≈ the substring is present.
        return And([Term(fieldname, p) for p in _pairs(word)], boost=boost)
    # jieba's search mode also indexes the dictionary words inside a longer word; fall back
    # to them only when they cover the whole word (护理 alone must not stand for 护理费).
    whole = Term(fieldname, word, boost=boost)
    if searcher is not None and searcher.doc_frequency(fieldname, word):
        return whole
    spans = [
        (i, i + n)
        for n in (2, 3)
        for i in range(len(word) - n + 1)
        if n < len(word) and jieba.dt.FREQ.get(word[i : i + n])
    ]
    covered = {c for start, stop in spans for c in range(start, stop)}
    if len(covered) < len(word):
        return whole
    parts = [Term(fieldname, word[start:stop]) for start, stop in spans]
    return Or([whole, And(parts, boost=boost)])


def build_query(parsed: ParsedQuery, searcher: Searcher | None = None) -> Query | None:
    """Every word in some field (fields boosted), or the name's pinyin initials.

    With a searcher, long words that are terms of their own skip the parts alternative.
    """
    options: list[Query] = []
    if parsed.words:
        options.append(
            And([Or([_word_query(f, w, searcher) for f in FIELD_BOOSTS]) for w in parsed.words])
        )
    if parsed.initials:
        grams = sorted({parsed.initials[i : i + 3] for i in range(len(parsed.initials) - 2)})
        options.append(And([Term("name_initials", g) for g in grams], boost=INITIALS_BOOST))
    if not options:
        return None
    return options[0] if len(options) == 1 else Or(options)


def _selected(query: SearchQuery) -> dict[str, str]:
    """Facet name → the value chosen in the query, for the facets that are filtered."""
    chosen = {
        "district": str(query.district_id) if query.district_id is not None else None,
        "kind": query.kind,
        "nature": query.nature,
        "grade": query.grade,
        "price": query.price,
        "vacancies": "1" if query.vacancies else None,
    }
    return {name: value for name, value in chosen.items() if value}


def _intersection(sets: list[set[int]]) -> set[int]:
    ordered = sorted(sets, key=len)
    return ordered[0].intersection(*ordered[1:])


def _district_label(entry: _Open, value: str) -> str:
    if value not in entry.district_labels:
        docnum = entry.searcher.document_number(district_id=value)
        stored = entry.searcher.stored_fields(docnum) if docnum is not None else {}
        entry.district_labels[value] = stored.get("district") or value
    return entry.district_labels[value]


def _facet_counts(
    entry: _Open, name: str, counts: Counter[str], selected: str | None
) -> list[FacetCount]:
    if name == "district":
        values = {v.decode() for v in entry.searcher.lexicon("district_id")} | set(counts)
        labels = {v: _district_label(entry, v) for v in sorted(values, key=lambda v: int(v))}
    else:
        labels = {
            "kind": vocab.KINDS,
            "nature": vocab.NATURES,
            "grade": GRADE_VALUES,
            "price": {k: label for k, (_lo, _hi, label) in PRICE_BUCKETS.items()},
            "vacancies": {"1": "有空余床位"},
        }[name]
    return [FacetCount(v, label, counts.get(v, 0), v == selected) for v, label in labels.items()]


def _find_all(text: str, term: str) -> Iterator[int]:
    pos = text.find(term)
    while pos >= 0:
        yield pos
        pos = text.find(term, pos + 1)


def excerpt(text: str, terms: Iterable[str], width: int = 80) -> Markup | None:
    """The first line of `text` holding a term, cut to `width` around it, every term marked.

    Everything from `text` is escaped; the only markup is <mark>. None when no term occurs.
    """
    terms = [t for t in terms if t]
    for line in text.splitlines():
        folded = line.lower() if len(line.lower()) == len(line) else line
        spans = sorted(
            ((pos, -len(t)) for t in terms for pos in _find_all(folded, t)), key=lambda s: s
        )
        if not spans:
            continue
        start = max(0, spans[0][0] - width // 4) if len(line) > width else 0
        end = min(len(line), start + width)
        out = [escape("…")] if start else []
        i = start
        for pos, negative_size in spans:
            if pos < i or pos >= end:
                continue
            stop = min(pos - negative_size, end)
            out += [escape(line[i:pos]), Markup("<mark>%s</mark>") % line[pos:stop]]
            i = stop
        out.append(escape(line[i:end]) + ("…" if end < len(line) else ""))
        return Markup("").join(out)
    return None


SNIPPET_FIELDS = ("aliases", "address", "fees", "inspections", "penalties", "credit")


def _hit(fields: dict[str, Any], terms: list[str]) -> Hit:
    name = fields.get("name", "")
    snippets = []
    for fieldname in SNIPPET_FIELDS:
        html = excerpt(fields.get(fieldname) or "", terms) if terms else None
        if html:
            snippets.append(Snippet(fieldname, html))
        if len(snippets) == 3:
            break
    return Hit(
        id=int(fields["id"]),
        name=name,
        name_html=(excerpt(name, terms, width=200) if terms else None) or escape(name),
        district=fields.get("district", ""),
        street=fields.get("street", ""),
        address=fields.get("address", ""),
        kind=fields.get("kind", ""),
        nature=fields.get("nature", ""),
        filing_status=fields.get("filing_status", ""),
        grade=int(fields.get("grade") or 0),
        beds_total=fields.get("beds_total", 0),
        beds_vacant=fields.get("beds_vacant", 0),
        price_min=fields.get("price_min"),
        price_max=fields.get("price_max"),
        snippets=snippets,
    )


def _highlight_terms(parsed: ParsedQuery) -> list[str]:
    terms = list(parsed.words)
    for word in parsed.words:
        if len(word) > 2 and _HAN_RUN.fullmatch(word):
            terms += _pairs(word)
    return terms


def search(index_dir: Path, query: SearchQuery) -> SearchResults:
    """Ranked, highlighted, faceted results; raises SearchUnavailable when there is no index.

    One scored pass ranks every match; filters (cached per index version) and facet counts
    (values cached per segment) are set operations on it. Without words, documents come in
    index order (rebuilds write them by institution id).
    """
    parsed = parse_query(query.q)
    notices = ["truncated"] if parsed.truncated else []
    entry = _open(Path(index_dir))
    searcher = entry.searcher
    built = build_query(parsed, searcher)
    if built is None:
        notices.append("no_terms" if parsed.text else "empty")
    selected = _selected(query)
    ranked = entry.ranked(built)
    chosen = {n: entry.with_term(FACET_FIELDS[n], v) for n, v in selected.items()}
    if chosen:
        allowed = _intersection(list(chosen.values()))
        ranked_final = [d for d in ranked if d in allowed]
    else:
        ranked_final = ranked
    columns = entry.facet_columns()
    counts: dict[str, Counter[str]] = {}
    matched: set[int] | None = None
    for name, fieldname in FACET_FIELDS.items():
        base: Iterable[int] = ranked_final
        if name in chosen:
            # A filtered facet is counted as if its own filter were off, so its other
            # choices show how many they would find.
            matched = matched if matched is not None else set(ranked)
            base = _intersection([matched, *(d for n, d in chosen.items() if n != name)])
        counts[name] = Counter(map(columns[fieldname].__getitem__, base))
    facets = {
        name: _facet_counts(entry, name, counts[name], selected.get(name)) for name in FACET_FIELDS
    }
    total = len(ranked_final)
    per_page = max(1, min(query.per_page, 100))
    pages = max(1, -(-total // per_page))
    page = min(max(1, query.page), pages)
    terms = _highlight_terms(parsed)
    hits = [
        _hit(searcher.stored_fields(docnum), terms)
        for docnum in ranked_final[(page - 1) * per_page : page * per_page]
    ]
    return SearchResults(query, parsed, hits, total, page, pages, facets, notices)


# ---------------------------------------------------------------------------------------------
# Type-ahead: name characters or pinyin initials. A prefix is an index range in the database;
# a substring is a database scan in id order that stops at `limit` when it is common, or a
# lookup of the few candidates the search index knows when it is rare (a scan would read
# every row to find them).

SUGGEST_MAX_CHARS = 50
RARE_LIMIT = 1000  # at most this many candidates are taken from the search index


@dataclass(frozen=True)
class Suggestion:
    id: int
    name: str
    district: str
    address: str


def _next_string(text: str) -> str:
    return text[:-1] + chr(ord(text[-1]) + 1)


def _rare_candidates(index_dir: Path, needle: str, by_initials: bool) -> list[int] | None:
    """Institution ids the index says may contain `needle`, or None when it is not rare."""
    if by_initials:
        fieldname, terms = (
            "name_initials",
            sorted({needle[i : i + 3] for i in range(len(needle) - 2)}),
        )
    else:
        fieldname, terms = "names", _pairs(needle) if len(needle) > 1 else [needle]
    if not terms:
        return None
    try:
        entry = _open(Path(index_dir))
    except SearchUnavailable:
        return None
    searcher = entry.searcher
    if min(searcher.doc_frequency(fieldname, t) for t in terms) > RARE_LIMIT:
        return None
    docs = searcher.docs_for_query(And([Term(fieldname, t) for t in terms]))
    ids = entry.facet_columns()["id"]
    return sorted(int(ids[d]) for d in docs)[:RARE_LIMIT]


def suggest(
    session: Session, text: str, limit: int = 10, index_dir: Path | None = None
) -> list[Suggestion]:
    """Up to `limit` institutions whose name contains `text` or whose initials contain it.

    With `index_dir`, initials also match other readings of polyphonic characters.
    """
    text = "".join(unicodedata.normalize("NFKC", text or "").split())[:SUGGEST_MAX_CHARS]
    if not text:
        return []
    by_initials = text.isascii() and text.isalnum()
    if by_initials:
        column, needle = Institution.name_initials, text.lower()
    else:
        column, needle = Institution.name, text
    base = select(Institution.id, Institution.name, District.name, Institution.address).join(
        District, District.id == Institution.district_id
    )
    # Range + startswith: the range lets both databases walk the column's index.
    prefix = and_(
        column >= needle,
        column < _next_string(needle),
        column.startswith(needle, autoescape=True),
    )
    rows = list(session.execute(base.where(prefix).order_by(column, Institution.id).limit(limit)))
    if len(rows) < limit:
        seen = [r[0] for r in rows]
        candidates = _rare_candidates(index_dir, needle, by_initials) if index_dir else None
        if candidates is not None:
            more = base.where(Institution.id.in_(candidates))
            if not by_initials:  # character pairs found in the index may be apart: check
                more = more.where(
                    or_(
                        Institution.name.contains(needle, autoescape=True),
                        Institution.aliases.contains(needle, autoescape=True),
                    )
                )
        else:
            more = base.where(column.contains(needle, autoescape=True))
        if seen:
            more = more.where(Institution.id.not_in(seen))
        rows += session.execute(more.order_by(Institution.id).limit(limit - len(rows))).all()
    return [Suggestion(*row) for row in rows]
