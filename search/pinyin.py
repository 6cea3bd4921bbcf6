"""Pinyin initials of Chinese names for the operator type-ahead (xfyly → 幸福养老院)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, pinyin

# Phrases whose reading pypinyin gets wrong (mostly 长/重/乐/行 in place and elderly-care
# words), or gets right only by luck of its own segmentation (重庆市长寿区 is read as
# 市长 "mayor" + 寿). Values are tone-numbered syllables, one per character. Matched
# longest-first, left to right, before pypinyin sees the rest of the text.
OVERRIDES: dict[str, str] = {
    # 长 cháng in place names and names of things that last
    "长宁": "chang2 ning2",
    "长寿": "chang2 shou4",
    "长青": "chang2 qing1",
    "长乐": "chang2 le4",
    "长安": "chang2 an1",
    "长春": "chang2 chun1",
    "长沙": "chang2 sha1",
    "长江": "chang2 jiang1",
    "长治": "chang2 zhi4",
    "长兴": "chang2 xing1",
    "长期护理": "chang2 qi1 hu4 li3",
    # 长 zhǎng: elders
    "长者": "zhang3 zhe3",
    "长辈": "zhang3 bei4",
    # No "市长" (mayor) entry: it would win over 长宁 in 示范市长宁区, read left to right.
    # 重 chóng
    "重庆": "chong2 qing4",
    "重阳": "chong2 yang2",
    # 乐 lè (not yuè)
    "乐龄": "le4 ling2",
    "和乐": "he2 le4",
    "康乐": "kang1 le4",
    "颐乐": "yi2 le4",
    "乐享": "le4 xiang3",
    "安乐": "an1 le4",
    # 都 dū (not dōu): the initial is d either way; listed to record the reading
    "首都": "shou3 du1",
    "都市": "du1 shi4",
    "成都": "cheng2 du1",
    # 行 háng
    "银行": "yin2 hang2",
}

_HAN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
_LONGEST = max(map(len, OVERRIDES))
# all_readings never returns more than this many strings.
MAX_READINGS = 16


def _initials_of(syllables: str) -> str:
    return "".join(s[0] for s in syllables.split())


_OVERRIDE_INITIALS = {phrase: _initials_of(reading) for phrase, reading in OVERRIDES.items()}


def _segments(run: str) -> list[tuple[str, str | None]]:
    """Split a run of Han characters into (text, override initials or None) pieces."""
    pieces: list[tuple[str, str | None]] = []
    pending_from = i = 0
    while i < len(run):
        for size in range(min(_LONGEST, len(run) - i), 1, -1):
            phrase = run[i : i + size]
            if phrase in _OVERRIDE_INITIALS:
                if pending_from < i:
                    pieces.append((run[pending_from:i], None))
                pieces.append((phrase, _OVERRIDE_INITIALS[phrase]))
                i += size
                pending_from = i
                break
        else:
            i += 1
    if pending_from < len(run):
        pieces.append((run[pending_from:], None))
    return pieces


def _first_letters(text: str) -> list[str]:
    return [s[:1].lower() for s in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")]


# pypinyin costs ~20 µs a character; names repeat their runs (district, 养老院…) a lot.
@lru_cache(maxsize=65536)
def _han_initials(run: str) -> tuple[str, ...]:
    """One entry per character of a Han run: its initial, or "" if pypinyin has no reading."""
    letters: list[str] = []
    for text, fixed in _segments(run):
        if fixed is not None:
            letters.extend(fixed)
            continue
        # Whole pieces, not single characters, so pypinyin's own phrase table still helps.
        found = _first_letters(text)
        if len(found) != len(text):
            # A character without a reading was dropped; redo one by one to keep alignment.
            found = [(_first_letters(ch) or [""])[0] for ch in text]
        letters.extend(found)
    return tuple(letters)


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(chunk, is_han) for the Han runs and ASCII letters/digits of NFKC-normalised text."""
    out: list[tuple[str, bool]] = []
    text = unicodedata.normalize("NFKC", text)
    pos = 0
    for m in _HAN.finditer(text):
        out.extend(
            (ch.lower(), False) for ch in text[pos : m.start()] if ch.isascii() and ch.isalnum()
        )
        out.append((m.group(), True))
        pos = m.end()
    out.extend((ch.lower(), False) for ch in text[pos:] if ch.isascii() and ch.isalnum())
    return out


def initials(text: str) -> str:
    """Lowercase pinyin initials; latin letters and digits kept lowercased, the rest dropped."""
    parts: list[str] = []
    for chunk, is_han in _tokens(text):
        parts.extend(_han_initials(chunk) if is_han else chunk)
    return "".join(parts)


@lru_cache(maxsize=8192)
def _char_readings(ch: str) -> tuple[str, ...]:
    readings = pinyin(ch, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    letters = [r[:1].lower() for group in readings for r in group if r]
    return tuple(dict.fromkeys(letters))


def all_readings(text: str) -> set[str]:
    """Initials under every reading of every polyphonic character, at most MAX_READINGS.

    The first is always `initials(text)`; then come strings differing from it in one
    character, then in two, and so on, so every single alternative is covered first.
    """
    choices: list[tuple[str, ...]] = []
    for chunk, is_han in _tokens(text):
        if not is_han:
            choices.extend((ch,) for ch in chunk)
            continue
        for ch, primary in zip(chunk, _han_initials(chunk), strict=True):
            others = tuple(r for r in _char_readings(ch) if r != primary)
            choices.append((primary, *others))
    primary_reading = "".join(c[0] for c in choices)
    if not primary_reading:
        return set()
    found = [primary_reading]
    seen = {primary_reading}
    varying = [i for i, c in enumerate(choices) if len(c) > 1]
    for k in range(1, len(varying) + 1):
        for positions in itertools.combinations(varying, k):
            for alts in itertools.product(*(choices[p][1:] for p in positions)):
                letters = [c[0] for c in choices]
                for p, alt in zip(positions, alts, strict=True):
                    letters[p] = alt
                reading = "".join(letters)
                if reading not in seen:
                    seen.add(reading)
                    found.append(reading)
                if len(found) >= MAX_READINGS:
                    return set(found)
    return set(found)
