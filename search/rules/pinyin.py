"""Pinyin initials of Chinese names for the operator type-ahead (xfyly → 幸福养老院)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin, load_phrases_dict, pinyin
from pypinyin.constants import PHRASES_DICT
from pypinyin.contrib.tone_convert import tone3_to_tone
from pypinyin.seg.simpleseg import seg

# Phrases whose reading pypinyin gets wrong (mostly 长/重/乐/行 in place and elderly-care
# words), or gets right only by luck of its own segmentation (重庆市长寿区 is read as
# 市长 "mayor" + 寿). Values are tone-numbered syllables, one per character. Registered with
# pypinyin's own phrase table once, at import (`_phrase_table`), so they apply inside longer
# names too.
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
    # No "市长" (mayor) entry: pypinyin has it; `_phrase_table` bridges it (示范市长宁区).
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

HAN_RUN = re.compile(r"[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]+")
# all_readings never returns more than this many strings.
MAX_READINGS = 16


def _phrase_table() -> dict[str, list[list[str]]]:
    """OVERRIDES as pypinyin phrases, plus a bridge for every phrase of pypinyin's own table
    that ends inside an override (市长 + 长寿 → 市长寿 read shì cháng shòu): pypinyin segments
    by forward maximum matching, and without the bridge 市长 would win in 重庆市长寿区 (read
    cqszsq). With it, an override wins wherever it stands, as when overrides were cut out first."""
    table = {phrase: [[tone3_to_tone(s)] for s in reading.split()]
             for phrase, reading in OVERRIDES.items()}
    heads: dict[str, list[str]] = {}
    for phrase in OVERRIDES:
        for k in range(1, len(phrase)):
            heads.setdefault(phrase[:k], []).append(phrase)
    for word, reading in list(PHRASES_DICT.items()):
        if len(reading) != len(word):
            continue
        for k in range(1, len(word)):
            for phrase in heads.get(word[-k:], ()):
                table.setdefault(word[:-k] + phrase, [*reading[:-k], *table[phrase]])
    return table


load_phrases_dict(_phrase_table())


def _first_letters(text: str) -> list[str]:
    return [s[:1].lower() for s in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")]


# pypinyin costs ~20 µs a character, and names are mostly unique: a cache of whole names grows
# with the registry (50,000 names held ~70 MB) and rarely hits. So a Han run is cut into words
# by pypinyin's own segmenter (`seg`, phrases included, as `lazy_pinyin` cuts it) and each word
# is read once and cached: a few thousand words cover a city's names.
@lru_cache(maxsize=65536)
def _word_initials(word: str) -> tuple[str, ...]:
    """One entry per character of a word: its initial, or "" if pypinyin has no reading."""
    found = _first_letters(word)
    if len(found) == len(word):
        return tuple(found)
    # A character without a reading was dropped: read the stretches between such characters
    # whole (so phrases still apply), and give the others "".
    letters: list[str] = []
    for has_reading, chars in itertools.groupby(word, key=lambda ch: bool(_first_letters(ch))):
        stretch = "".join(chars)
        letters.extend(_first_letters(stretch) if has_reading else [""] * len(stretch))
    return tuple(letters)


def _han_initials(run: str) -> tuple[str, ...]:
    """One entry per character of a Han run: its initial, or "" if pypinyin has no reading."""
    return tuple(letter for word in seg(run) for letter in _word_initials(word))


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(chunk, is_han) for the Han runs and ASCII letters/digits of NFKC-normalised text."""
    out: list[tuple[str, bool]] = []
    text = unicodedata.normalize("NFKC", text)
    pos = 0
    for m in HAN_RUN.finditer(text):
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


def han_letter_choices(run: str) -> list[tuple[str, ...]]:
    """For each character of a Han run, the initials it may be typed with: its reading in
    context first (`initials`), then those of its other readings; () when it has none."""
    return [tuple(dict.fromkeys(r for r in (primary, *_char_readings(ch)) if r))
            for ch, primary in zip(run, _han_initials(run), strict=True)]


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


SORT_KEY_CHARS = 255  # institutions.name_pinyin's length


@lru_cache(maxsize=65536)
def _word_syllables(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True,
                             errors="default"))


def _han_syllables(run: str) -> tuple[str, ...]:
    """Syllables with their tone digit of a Han run read whole (so OVERRIDES apply): 长青 →
    ("chang2", "qing1"); characters without a reading are kept as they are."""
    return tuple(syllable for word in seg(run) for syllable in _word_syllables(word))


def sort_key(text: str) -> str:
    """A name's key in pinyin order, as a Chinese reader looks names up (爱心 < 长青 < 成都 < 幸福),
    for the database to sort by (institutions.name_pinyin). One syllable per character with its
    tone digit, each followed by a space, so a shorter syllable sorts first (an < ang) and
    characters of one reading sort by tone; latin letters and digits as they are, lowercased."""
    parts: list[str] = []
    for chunk, is_han in _tokens(text):
        if is_han:
            if parts and not parts[-1].endswith(" "):
                parts.append(" ")  # "a qu1", not "aqu1"
            parts.extend(f"{syllable} " for syllable in _han_syllables(chunk))
        else:
            parts.append(chunk)
    return "".join(parts).replace("ü", "v")[:SORT_KEY_CHARS]


def name_keys(name: str) -> dict[str, str]:
    """The two columns kept beside an institution's name (institutions.name_initials for
    type-ahead and search, institutions.name_pinyin for the directory's order): every write of a
    name sets both from here."""
    return {"name_initials": initials(name)[:60], "name_pinyin": sort_key(name)}
