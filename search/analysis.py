"""Text analysis and the index schema: jieba tokens, character grams, facets."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import jieba
from whoosh.analysis import LowercaseFilter, StopFilter, Token, Tokenizer
from whoosh.fields import ID, NGRAMWORDS, STORED, TEXT, Schema

from portal.settings import get_settings

log = logging.getLogger(__name__)

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


def _analyzer(grams: bool) -> Any:  # a whoosh analyzer chain (whoosh has no types)
    return JiebaTokenizer(grams) | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1)


# Searched fields and their query-time boosts: a name match must outrank a penalty mention.
# Few fields on purpose: each is one more matcher per query word.
FIELD_BOOSTS = {"names": 8.0, "place": 2.0, "fees": 1.0, "inspections": 1.0, "sanctions": 0.6,
                "notes": 0.5}
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
# fields (names, place, sanctions, notes) above.
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
    "rules",  # titles of the published rules documents (规章制度)
    "open_days",  # upcoming and held open days: date, title, place
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
        notes=TEXT(analyzer=words),  # rules titles and open days
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
