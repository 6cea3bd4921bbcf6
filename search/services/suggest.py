"""Type-ahead for the complaint forms: name characters or pinyin initials, bounded.

Initials match by whole words (search/rules/typeahead.py): the database finds the names whose
initials begin with the query, the index or a scan finds candidates, and each candidate is kept
only when the query spells its initials from a word's start."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session
from whoosh.query import And, Term

from portal.institutions.models import (
    Institution,
)
from portal.institutions.rules.address import full_address
from portal.orgs.models import District
from search.rules.query import _pairs
from search.rules.typeahead import initials_query, matches_any
from search.services.documents import _ALIAS_SEPARATORS
from search.services.storage import SearchUnavailable, _open

log = logging.getLogger(__name__)

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

    @property
    def full_address(self) -> str:
        return full_address(self.district, None, self.address)


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


def _spelled(session: Session, candidates: Select, query: str, wanted: int) -> list[tuple]:
    """Up to `wanted` candidate rows (in id order, at most RARE_LIMIT read) whose name or an
    alias the initials `query` spells (typeahead.initials_match). Read at once (no server-side
    cursor: a GET reads in autocommit on PostgreSQL, where a cursor needs a transaction)."""
    found: list[tuple] = []
    stmt = (candidates.add_columns(Institution.name, Institution.aliases)
            .order_by(Institution.id).limit(RARE_LIMIT))
    for *row, name, aliases in session.execute(stmt):
        if matches_any(query, [name, *_ALIAS_SEPARATORS.split(aliases or "")]):
            found.append(tuple(row))
            if len(found) >= wanted:
                break
    return found


def suggest(
    session: Session, text: str, limit: int = 10, index_dir: Path | None = None
) -> list[Suggestion]:
    """Up to `limit` institutions whose name contains `text` or whose initials contain it.

    With `index_dir`, initials also match other readings of polyphonic characters.
    """
    text = "".join(unicodedata.normalize("NFKC", text or "").split())[:SUGGEST_MAX_CHARS]
    if not text:
        return []
    by_initials = bool(initials_query(text))
    if by_initials:
        column, needle = Institution.name_initials, initials_query(text)
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
    rows: list[Any] = list(
        session.execute(base.where(prefix).order_by(column, Institution.id).limit(limit)))
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
        if by_initials:  # a candidate is no match until the query spells its words
            rows += _spelled(session, more, needle, limit - len(rows))
        else:
            rows += session.execute(more.order_by(Institution.id).limit(limit - len(rows))).all()
    return [Suggestion(*row) for row in rows]
