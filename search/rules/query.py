"""Searching: query parsing that never fails, ranking, facets and escaped snippets."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jieba
from markupsafe import Markup, escape
from whoosh.query import And, Or, Query, Term
from whoosh.searching import Searcher

from portal.institutions import vocab
from search.rules.analysis import (
    _HAN_RUN,
    FACET_FIELDS,
    FIELD_BOOSTS,
    GRADE_VALUES,
    GRAM_FIELDS,
    INITIALS_BOOST,
    PRICE_BUCKETS,
    STOP_WORDS,
    ensure_jieba,
)
from search.services.storage import _Open, _open

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 100
MAX_QUERY_WORDS = 12

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


SNIPPET_FIELDS = ("aliases", "address", "fees", "inspections", "penalties", "credit", "rules",
                  "open_days")


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
