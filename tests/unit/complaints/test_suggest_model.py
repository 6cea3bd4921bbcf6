"""The category classifier (issue 21 item 6): fixed examples, vagueness, keywords, determinism,
and the labelled data it is trained and measured on."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.rules.suggest import features, rank_categories, suggest_categories, train
from complaints.services.suggestions import default_model, examples, rank

PROPERTY = settings(database=None, deadline=None)
DEFAULT_RULES = [(c.code, c.label, c.keywords) for c in DEFAULT_CATEGORIES]
CODES = {c.code for c in DEFAULT_CATEGORIES}

# The three descriptions issue 21 reports: no suggestion, no suggestion, elder_abuse.
ISSUE_EXAMPLES = [
    ("护工推搡老人，老人手臂有淤青", "elder_abuse"),
    ("楼道堆满杂物，安全出口锁着", "fire_safety"),
    ("不给老人打扫房间，也不打电话通知家属", "service_quality"),
]


def suggested(text: str, limit: int = 3) -> list[str]:
    return [r.code for r in rank(text, DEFAULT_CATEGORIES, limit)]


@pytest.mark.parametrize("text,expected", ISSUE_EXAMPLES)
def test_the_issues_examples_get_their_category_first(text, expected):
    assert suggested(text)[0] == expected


@pytest.mark.parametrize("text,expected", ISSUE_EXAMPLES)
def test_the_keyword_method_got_the_issues_examples_wrong(text, expected):
    """What the console showed before: the reason for the classifier."""
    old = suggest_categories(text, DEFAULT_RULES)
    assert not old or old[0] != expected


@pytest.mark.parametrize("text,expected", [
    # Written for this test, in none of the data file's rows.
    ("俺爹在那住着，护工嫌他尿床拿巴掌抽他", "elder_abuse"),
    ("阿拉姆妈讲饭菜老是馊额，吃了肚皮痛", "food_safety"),
    ("院里的电梯三天两头坏，老人被关在里头好久", "special_equipment"),
    ("他们把划拨的地租给人家开饭馆了", "allocated_land"),
    ("莫得营业执照也在收老人，你们管不管嘛", "unlicensed"),
    ("押金交了五万退住了一直不给退", "deposit"),
    ("老人半夜跌倒了没人发现，腿摔断了", "safety_incident"),
    ("天天有人来上课卖保健品，说能治病", "fraud_sales"),
])
def test_colloquial_and_dialect_descriptions(text, expected):
    assert expected in suggested(text)
    assert suggested(text)[0] == expected


def test_several_issues_in_one_call_suggest_each():
    codes = suggested("消防通道被杂物堵死了，押金也不给退，饭菜还是馊的", limit=3)
    assert set(codes) == {"fire_safety", "deposit", "food_safety"}


@pytest.mark.parametrize("text", ["", "   ", "我想反映一个情况", "hello", "。。。"])
def test_vague_or_empty_text_suggests_nothing(text):
    assert suggested(text) == []


def test_scores_are_probabilities_best_first():
    ranked = rank("护工打骂老人，还不给饭吃，收费也乱", DEFAULT_CATEGORIES, 5)
    scores = [r.score for r in ranked]
    assert len(ranked) == 5
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores) and sum(scores) <= 1 + 1e-9


def test_only_the_given_categories_are_suggested():
    """An inactive category (not among the rules) is never suggested."""
    rules = [r for r in DEFAULT_RULES if r[0] != "fire_safety"]
    codes = suggest_categories("消防通道堵塞，灭火器过期", rules, 3, default_model())
    assert codes and "fire_safety" not in codes


def test_a_stored_keyword_counts_for_a_category_the_model_knows():
    text = "院里天天一大早跳广场舞"
    assert suggest_categories(text, DEFAULT_RULES, 3, default_model()) == []
    edited = [(c, label, (*kw, "广场舞") if c == "environment" else kw)
              for c, label, kw in DEFAULT_RULES]
    assert suggest_categories(text, edited, 3, default_model())[0] == "environment"


def test_a_category_the_model_does_not_know_is_suggested_by_its_keywords():
    rules = [*DEFAULT_RULES, ("dance_noise", "广场舞扰民", ("广场舞",))]
    assert suggest_categories("天天跳广场舞", rules, 3, default_model()) == ["dance_noise"]
    assert "dance_noise" not in suggest_categories("消防通道堵塞", rules, 3, default_model())


def test_training_is_deterministic_and_ignores_the_rows_order():
    rows = [(e.text, e.category) for e in examples("tune")]
    shuffled = rows[:]
    random.Random(21).shuffle(shuffled)
    assert train(rows) == train(shuffled) == default_model()


def test_features_fold_width_and_case_and_find_lexicon_words():
    found = features("ＫＴＶ消防通道", ["消防通道"])
    assert {"ktv", "消", "消防", "#消防通道"} <= found


@PROPERTY
@given(st.text(max_size=200), st.integers(min_value=0, max_value=25))
def test_suggestions_are_distinct_known_codes_within_the_limit(text, limit):
    ranked = rank_categories(text, DEFAULT_RULES, default_model(), limit)
    codes = [r.code for r in ranked]
    assert len(codes) <= limit
    assert len(set(codes)) == len(codes)
    assert set(codes) <= CODES


# --- the labelled data ------------------------------------------------------------------------
def test_the_data_covers_every_category_in_both_splits_and_holds_a_quarter_out():
    rows = examples()
    tune, heldout = examples("tune"), examples("heldout")
    assert len(rows) >= 300
    assert len(heldout) >= 0.25 * len(rows)
    assert {r.category for r in tune} == {r.category for r in heldout} == CODES
    texts = [r.text for r in rows]
    assert len(set(texts)) == len(texts)  # no description in both splits, none twice


def test_the_issues_examples_are_held_out():
    heldout = {(r.text, r.category) for r in examples("heldout")}
    assert set(ISSUE_EXAMPLES) <= heldout


@pytest.mark.parametrize("text", [
    "老人在卫生间摔伤了，没人管",
    "老人走失了两天才找到",
    "夜里没人巡房，老人跌倒摔伤",
    "护理员没看住，老人从院里走丢了",
])
def test_falls_and_wandering_are_first_suggested_as_civil_affairs_cases(text):
    """摔伤 and 走失 are civil affairs' (seed 000 task 28, seed 002 (七)): the first suggestion is
    safety_incident or service_quality (the keyword method kept every suggestion with civil
    affairs; the classifier may rank another office's category third, as a weaker hint)."""
    assert suggested(text)[0] in {"safety_incident", "service_quality"}
