"""Suggesting complaint categories from the words of a description (keyword hits, pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# A word said five times is no stronger evidence than one said three times.
MAX_HITS_PER_KEYWORD = 3


def score(text: str, keywords: Iterable[str]) -> int:
    """Sum over distinct keywords of hits × length: 消防通道 outweighs 打 (which 打电话 also hits)."""
    folded = text.casefold()
    total = 0
    for keyword in {k.strip().casefold() for k in keywords}:
        if keyword:
            total += min(folded.count(keyword), MAX_HITS_PER_KEYWORD) * len(keyword)
    return total


def suggest_categories(
    text: str, rules: Sequence[tuple[str, str, Iterable[str]]], limit: int = 3
) -> list[str]:
    """Codes of the best-scoring categories for `text`, best first; ties keep the rules' order.

    `rules` are (code, label, keywords) in display order; categories without a hit are never
    suggested, so an empty or vague description gives an empty list.
    """
    if not text.strip() or limit <= 0:
        return []
    scored = [(score(text, keywords), position, code)
              for position, (code, _label, keywords) in enumerate(rules)]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [code for _score, _position, code in ranked[:limit]]
