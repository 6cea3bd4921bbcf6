"""The category suggestion model of this process: trained once from the labelled descriptions.

The descriptions are complaints/data/category_suggest.csv (text, category, split); only the
`tune` rows train the model the portal uses, so the `heldout` figure that bench/category_suggest.py
prints (and tests/unit/complaints/test_suggest_accuracy.py holds) is the served model's.
Training reads ≈ 350 short texts and takes a few milliseconds; the result is the same on every
run (no randomness, the file's order does not matter).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from complaints.rules.suggest import Model, Ranked, rank_categories, train

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "category_suggest.csv"
SPLITS = ("tune", "heldout")


@dataclass(frozen=True)
class Example:
    text: str
    category: str
    split: str


def examples(split: str | None = None, path: Path = DATA_FILE) -> list[Example]:
    """The labelled descriptions, all or those of one split, in the file's order."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [Example(r["text"], r["category"], r["split"]) for r in csv.DictReader(handle)]
    unknown = {r.split for r in rows} - set(SPLITS)
    if unknown:
        raise ValueError(f"{path.name}: unknown split {sorted(unknown)}")
    return [r for r in rows if split is None or r.split == split]


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The model trained on the tune rows (once per process)."""
    return train((e.text, e.category) for e in examples("tune"))


def rank(text: str, rules: Iterable, limit: int = 3) -> list[Ranked]:
    """The best of `rules` (objects with code, label and keywords, in display order) for `text`."""
    triples: Sequence[tuple[str, str, Iterable[str]]] = [
        (r.code, r.label, r.keywords or ()) for r in rules]
    return rank_categories(text, triples, default_model(), limit)
