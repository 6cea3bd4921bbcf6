"""Category suggestion accuracy: the keyword method before issue 21 against the classifier.

    .venv/bin/python -m bench.category_suggest [--search] [--misses]

Reads the labelled descriptions (complaints/data/category_suggest.csv: text, category,
split = tune | heldout) and prints top-1 and top-3 accuracy on each split for
  - old: the default categories' keywords, hits × length (complaints/rules/suggest.py without a
    model, as the operator console suggested until issue 21);
  - new: the naive Bayes classifier trained on the tune rows (the model the portal serves,
    complaints/services/suggestions.py: default_model), with the default keywords as stored.
A description with no suggestion counts as a miss. `--search` runs the 4-fold cross-validation
over the tune rows that chose ALPHA, LEXICON_WEIGHT and KEYWORD_WEIGHT (the held-out rows are
never used for it); `--misses` lists the held-out descriptions the new method ranks wrong.
Not a test (tests/unit/complaints/test_suggest_accuracy.py holds the floor); runs in seconds.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence

from complaints.rules import suggest
from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.rules.suggest import Model, suggest_categories, train
from complaints.services.suggestions import Example, default_model, examples

RULES = [(c.code, c.label, c.keywords) for c in DEFAULT_CATEGORIES]


def accuracy(rows: Sequence[Example], model: Model | None) -> tuple[float, float]:
    """(top-1, top-3) over `rows`; without a model, the keyword method."""
    top1 = top3 = 0
    for row in rows:
        codes = suggest_categories(row.text, RULES, 3, model)
        top1 += bool(codes) and codes[0] == row.category
        top3 += row.category in codes
    return top1 / len(rows), top3 / len(rows)


def cross_validate(rows: Sequence[Example], folds: int = 4, **weights: float) -> tuple[float, float]:
    """Mean (top-1, top-3) of `folds`-fold cross-validation over `rows` (every k-th row a fold)."""
    top1 = top3 = 0.0
    for fold in range(folds):
        learn = [(r.text, r.category) for i, r in enumerate(rows) if i % folds != fold]
        check = [r for i, r in enumerate(rows) if i % folds == fold]
        one, three = accuracy(check, train(learn, **weights))
        top1 += one * len(check)
        top3 += three * len(check)
    return top1 / len(rows), top3 / len(rows)


def search(rows: Sequence[Example]) -> None:
    print("4-fold cross-validation on the tune rows (alpha, lexicon, keyword weight: top-1 top-3)")
    kept = suggest.KEYWORD_WEIGHT
    try:
        for alpha, lexicon, keyword in itertools.product((0.1, 0.3, 1.0), (1.0, 3.0, 5.0),
                                                          (0.0, 0.5, 2.0)):
            suggest.KEYWORD_WEIGHT = keyword
            one, three = cross_validate(rows, alpha=alpha, lexicon_weight=lexicon)
            print(f"  {alpha:>4} {lexicon:>4} {keyword:>4}: {one:.3f} {three:.3f}")
    finally:
        suggest.KEYWORD_WEIGHT = kept


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--search", action="store_true", help="cross-validate the weights")
    parser.add_argument("--misses", action="store_true", help="list held-out misses")
    args = parser.parse_args(argv)
    tune, heldout = examples("tune"), examples("heldout")
    categories = {r.category for r in tune + heldout}
    print(f"{len(tune)} tune and {len(heldout)} held-out descriptions "
          f"({len(heldout) / (len(tune) + len(heldout)):.0%} held out), "
          f"{len(categories)} categories")
    print(f"{'method':<8}{'split':<9}{'top-1':>7}{'top-3':>7}")
    model = default_model()
    for name, used in (("old", None), ("new", model)):
        for split, rows in (("tune", tune), ("heldout", heldout)):
            one, three = accuracy(rows, used)
            print(f"{name:<8}{split:<9}{one:>7.3f}{three:>7.3f}")
    if args.misses:
        for row in heldout:
            codes = suggest_categories(row.text, RULES, 3, model)
            if not codes or codes[0] != row.category:
                print(f"  {row.category} → {codes}: {row.text}")
    if args.search:
        search(tune)


if __name__ == "__main__":
    main()
