"""Accuracy floor of category suggestion on the held-out descriptions (issue 21 item 6).

The held-out rows of complaints/data/category_suggest.csv never train the model nor chose its
weights; bench/category_suggest.py prints the same figures for the keyword method (0.48 top-3).
"""

from __future__ import annotations

from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.services.suggestions import examples, rank

TOP3_FLOOR = 0.9
TOP1_FLOOR = 0.8


def suggested(text: str) -> list[str]:
    """The console's suggestions for `text` over the default categories."""
    return [r.code for r in rank(text, DEFAULT_CATEGORIES)]


def test_held_out_top3_and_top1_accuracy_hold_their_floors():
    rows = examples("heldout")
    ranked = [(row.category, suggested(row.text)) for row in rows]
    top3 = sum(expected in codes for expected, codes in ranked) / len(rows)
    top1 = sum(codes[:1] == [expected] for expected, codes in ranked) / len(rows)
    print(f"held-out: top-1 {top1:.3f}, top-3 {top3:.3f} over {len(rows)} descriptions")
    assert top3 >= TOP3_FLOOR
    assert top1 >= TOP1_FLOOR
