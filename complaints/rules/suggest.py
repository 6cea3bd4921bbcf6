"""Suggesting complaint categories from the words of a description (pure).

A multinomial naive Bayes classifier over what a description contains: every Han character,
every pair of neighbouring Han characters, Latin words, and the domain lexicon's words
(complaints/rules/suggest_lexicon.py). It is trained (`train`) from labelled descriptions as
callers speak them (complaints/data/category_suggest.csv, its `tune` rows; the `heldout` rows
only measure it), the lexicon, and each default category's label, help text and keywords.

Naive Bayes and not a discriminative model: with ≈ 12 examples a category, counting is as good
as fitting weights (4-fold cross-validation on the tune rows: logistic regression was not
tried further once this reached 0.98 top-3), it is exact and deterministic, trains in
milliseconds at first use, and needs no new dependency. jieba is not used for the features:
character pairs already hold the two-character words it finds, the lexicon's longer words are
matched whole, and adding them to jieba's dictionary would change how search cuts its index.

The stored rules' keywords (admins edit them) still count: each hit adds to its category's
score, so a category the model was not trained on (added by an admin) is suggested by its
keywords alone, as before.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.rules.suggest_lexicon import LEXICON

# A word said five times is no stronger evidence than one said three times.
MAX_HITS_PER_KEYWORD = 3
# Learned on the tune rows by 4-fold cross-validation (bench/category_suggest.py --search):
# Laplace smoothing, and how many examples one lexicon entry or one default text is worth.
ALPHA = 0.3
LEXICON_WEIGHT = 3.0
DEFAULT_TEXT_WEIGHT = 1.0
# Log-odds added per point of keyword score (hits × keyword length) of a stored rule.
KEYWORD_WEIGHT = 0.5

_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_LATIN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Ranked:
    code: str
    score: float  # share of the suggestion's confidence, 0–1, the ranked list summing to ≤ 1


@dataclass(frozen=True)
class Model:
    codes: tuple[str, ...]
    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]  # code → feature → log P(feature | code)
    log_unseen: dict[str, float]  # code → log P(a feature never seen with code | code)
    background: dict[str, float]  # feature → log P(feature) over all codes
    log_background_unseen: float
    terms: tuple[str, ...]  # lexicon words of two characters or more, matched whole
    evidence_terms: tuple[str, ...]  # every lexicon word: a text with none of them is vague

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self.background)


def normalise(text: str) -> str:
    """Full-width forms folded (ＫＴＶ → ktv), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def features(text: str, terms: Iterable[str] = ()) -> set[str]:
    """Han characters and character pairs, Latin words, and the `terms` the text contains."""
    folded = normalise(text)
    found: set[str] = set()
    for run in _HAN_RUN.findall(folded):
        found.update(run)
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    found.update(_LATIN.findall(folded))
    found.update("#" + term for term in terms if term in folded)
    return found


def train(examples: Iterable[tuple[str, str]], *, alpha: float = ALPHA,
          lexicon_weight: float = LEXICON_WEIGHT,
          default_weight: float = DEFAULT_TEXT_WEIGHT) -> Model:
    """The model of `examples` (text, code), the lexicon and the default categories' texts."""
    terms = tuple(sorted({t for words in LEXICON.values() for t in words if len(t) >= 2}))
    counts: dict[str, Counter[str]] = {}
    documents: Counter[str] = Counter()
    for text, code in examples:
        counts.setdefault(code, Counter()).update(features(text, terms))
        documents[code] += 1

    def add(code: str, text: str, weight: float) -> None:
        if weight and code in counts:
            for feature in features(text, terms):
                counts[code][feature] += weight  # type: ignore[assignment]

    for code, words in LEXICON.items():
        for word in words:
            add(code, word, lexicon_weight)
    for category in DEFAULT_CATEGORIES:
        for text in (category.label, category.help_text, *category.keywords):
            add(category.code, text, default_weight)
    codes = tuple(sorted(counts))
    pooled: Counter[str] = Counter()
    for counter in counts.values():
        pooled.update(counter)
    size = len(pooled)
    totals = {code: sum(counts[code].values()) for code in codes}
    all_total = sum(totals.values())
    examples_total = sum(documents.values())
    return Model(
        codes=codes,
        log_prior={c: math.log(documents[c] / examples_total) for c in codes},
        log_likelihood={c: {f: math.log((n + alpha) / (totals[c] + alpha * size))
                            for f, n in counts[c].items()} for c in codes},
        log_unseen={c: math.log(alpha / (totals[c] + alpha * size)) for c in codes},
        background={f: math.log((n + alpha) / (all_total + alpha * size))
                    for f, n in pooled.items()},
        log_background_unseen=math.log(alpha / (all_total + alpha * size)),
        terms=terms,
        evidence_terms=tuple(sorted({t for words in LEXICON.values() for t in words})),
    )


def score(text: str, keywords: Iterable[str]) -> int:
    """Sum over distinct keywords of hits × length: 消防通道 outweighs 打 (which 打电话 also hits)."""
    folded = text.casefold()
    total = 0
    for keyword in {k.strip().casefold() for k in keywords}:
        if keyword:
            total += min(folded.count(keyword), MAX_HITS_PER_KEYWORD) * len(keyword)
    return total


def rank_categories(
    text: str, rules: Sequence[tuple[str, str, Iterable[str]]], model: Model | None,
    limit: int = 3,
) -> list[Ranked]:
    """The best categories for `text` with their scores, best first; ties keep the rules' order.

    `rules` are (code, label, keywords) in display order, the categories that may be suggested.
    A description with no word of the lexicon nor of a rule's keywords is
    too vague: nothing is suggested. A category the model does not know is suggested only on its
    keywords. Scores are the classifier's probabilities over `rules`, tempered by the number of
    features so that a long call does not look more certain than a short one.
    """
    if not text.strip() or limit <= 0 or not rules:
        return []
    keyword_scores = [score(text, keywords) for _code, _label, keywords in rules]
    folded = normalise(text)
    known = model is not None and any(t in folded for t in model.evidence_terms)
    if not known and not any(keyword_scores):
        return []
    found = features(text, model.terms if model else ())
    seen = [f for f in found if model is not None and f in model.background]
    logs: list[float] = []
    for (code, _label, _keywords), points in zip(rules, keyword_scores, strict=True):
        if model is not None and code in model.codes:
            likely = model.log_likelihood[code]
            unseen = model.log_unseen[code]
            value = model.log_prior[code] + sum(likely.get(f, unseen) for f in seen)
        elif model is not None:  # a category of the rules the model was not trained on
            value = (math.log(1 / len(model.codes))
                     + sum(model.background.get(f, model.log_background_unseen) for f in seen))
        else:
            value = 0.0
        logs.append(value + KEYWORD_WEIGHT * points)
    temper = math.sqrt(max(len(seen), 1))
    top = max(logs)
    weights = [math.exp((v - top) / temper) for v in logs]
    total = sum(weights)
    candidates = [
        (weights[i] / total, i, code)
        for i, (code, _label, _keywords) in enumerate(rules)
        if keyword_scores[i] or (known and model is not None and code in model.codes)
    ]
    candidates.sort(key=lambda c: (-c[0], c[1]))
    return [Ranked(code, probability) for probability, _i, code in candidates[:limit]]


def suggest_categories(
    text: str, rules: Sequence[tuple[str, str, Iterable[str]]], limit: int = 3,
    model: Model | None = None,
) -> list[str]:
    """Codes of the best categories for `text`, best first (see rank_categories); without a
    model, by the rules' keywords alone (the method before issue 21)."""
    return [r.code for r in rank_categories(text, rules, model, limit)]
