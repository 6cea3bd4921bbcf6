"""Which names a pinyin-initials query matches in the institution type-ahead (pure).

A query of latin letters and digits matches a name when it spells, letter by letter, the
initials of the name's characters from the start of one of its words on: for 东城区清泉园护理院
(words 东城区 · 清泉 · 园 · 护理 · 院, initials dcq qq y hl y) "dcq", "qqy", "qqyhly", "hly" and
"yhly" match, "qyh" (from inside 清泉) and "cq" (inside 东城区) do not. Each letter is the initial of the next
character under one of its readings (长 c or z), so a polyphone never hides a name.

What it replaces: candidates of the search index's initials trigrams were taken as matches, and
a trigram set forgets order and repetition, so "qqqq" (trigram qqq) found 东城区清泉… (区清泉
reads qqq) and "zzzzzz" every 长者之家 (zzzj): a typo filed against the wrong home.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import jieba

from search.rules.analysis import ensure_jieba
from search.rules.pinyin import HAN_RUN, han_letter_choices

_PIECES = re.compile(f"(?P<han>{HAN_RUN.pattern})|(?P<latin>[A-Za-z0-9]+)")
NAMES_CACHED = 4096  # ≈ 1 KB a name; a type-ahead reads at most RARE_LIMIT (1,000)


def _han_words(run: str) -> list[str]:
    """The run cut into words by jieba's dictionary (as search cuts it; no HMM guesses, so the
    cut depends on the dictionary alone); characters one by one should it not cover the run."""
    ensure_jieba()
    words = list(jieba.cut(run, HMM=False))
    return words if "".join(words) == run else list(run)


@lru_cache(maxsize=NAMES_CACHED)
def name_letters(name: str) -> tuple[tuple[tuple[str, ...], ...], tuple[int, ...]]:
    """(the initials each character may be typed with, in order — characters without a
    reading left out; the positions in that sequence where a word begins)."""
    letters: list[tuple[str, ...]] = []
    starts: list[int] = []
    for piece in _PIECES.finditer(unicodedata.normalize("NFKC", name)):
        if piece.group("latin"):
            starts.append(len(letters))
            letters.extend((ch,) for ch in piece.group().lower())
            continue
        run = piece.group()
        choices = han_letter_choices(run)
        position = 0
        for word in _han_words(run):
            readable = [c for c in choices[position:position + len(word)] if c]
            position += len(word)
            if readable:
                starts.append(len(letters))
                letters.extend(readable)
    return tuple(letters), tuple(dict.fromkeys(starts))


def initials_query(text: str) -> str:
    """The query as initials: NFKC, no spaces, lower case; "" unless only letters/digits."""
    query = "".join(unicodedata.normalize("NFKC", text or "").split()).lower()
    return query if query.isascii() and query.isalnum() else ""


def initials_match(query: str, name: str) -> bool:
    """Whether `query` (initials_query's form) spells the initials of `name` from the start of
    one of its words."""
    if not query:
        return False
    letters, starts = name_letters(name)
    return any(
        start + len(query) <= len(letters)
        and all(ch in letters[start + k] for k, ch in enumerate(query))
        for start in starts
    )


def matches_any(query: str, names: Iterable[str]) -> bool:
    """initials_match against a name or any of its aliases."""
    return any(initials_match(query, name) for name in names if name)
