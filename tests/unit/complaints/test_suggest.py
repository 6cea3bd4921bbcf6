"""Tests for category suggestion from a complaint's description."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaints.rules.categories import DEFAULT_CATEGORIES
from complaints.rules.suggest import score, suggest_categories

PROPERTY = settings(database=None, deadline=None)
DEFAULT_RULES = [(c.code, c.label, c.keywords) for c in DEFAULT_CATEGORIES]


@pytest.mark.parametrize(
    "text,expected_first",
    [
        ("走廊堆满杂物，消防通道被堵住了", "fire_safety"),
        ("饭菜是馊的，老人吃了拉肚子", "food_safety"),
        ("护工经常打骂老人，还把老人捆绑在床上", "elder_abuse"),
        ("入住要交十万押金，退住时押金不退", "deposit"),
        ("推销保健品，说能治百病", "fraud_sales"),
        ("电梯经常困人", "special_equipment"),
        ("办会员卡返利，高息吸收老人的钱", "illegal_fundraising"),
        ("护理员无证上岗", "staff_qualification"),
    ],
)
def test_default_keywords_put_the_obvious_category_first(text, expected_first):
    assert suggest_categories(text, DEFAULT_RULES)[0] == expected_first


def test_longer_keywords_outweigh_single_characters():
    rules = [("short", "短", ["打"]), ("long", "长", ["消防通道"])]
    # 打电话 hits 打 once (1 point); 消防通道 hits once (4 points).
    assert suggest_categories("打电话反映消防通道被堵", rules) == ["long", "short"]


def test_repeated_words_count_but_are_capped():
    assert score("消防消防消防消防消防", ["消防"]) == 3 * 2
    assert score("消防", ["消防", "消防", " 消防 "]) == 2  # duplicate keywords count once


def test_ties_keep_the_rules_order():
    rules = [("b", "乙", ["噪声"]), ("a", "甲", ["污水"]), ("c", "丙", ["废气"])]
    assert suggest_categories("污水、噪声、废气都有", rules) == ["b", "a", "c"]


def test_at_most_limit_codes_and_never_a_category_without_a_hit():
    text = "消防通道堵塞，饭菜变质，乱收费，押金不退，护理不到位"
    assert len(suggest_categories(text, DEFAULT_RULES)) == 3
    assert len(suggest_categories(text, DEFAULT_RULES, limit=5)) == 5
    assert suggest_categories(text, DEFAULT_RULES, limit=0) == []
    assert "other" not in suggest_categories(text, DEFAULT_RULES, limit=20)


@pytest.mark.parametrize("text", ["", "   ", "我想反映一个情况", "hello"])
def test_vague_or_empty_text_suggests_nothing(text):
    assert suggest_categories(text, DEFAULT_RULES) == []


def test_latin_keywords_match_case_insensitively_and_empty_keywords_are_ignored():
    rules = [("app", "应用", ["APP", ""]), ("none", "无", [])]
    assert suggest_categories("手机app收费不透明", rules) == ["app"]


@PROPERTY
@given(st.text(max_size=200), st.integers(min_value=0, max_value=25))
def test_suggestions_are_distinct_known_codes_within_the_limit(text, limit):
    codes = suggest_categories(text, DEFAULT_RULES, limit=limit)
    assert len(codes) <= limit
    assert len(set(codes)) == len(codes)
    assert set(codes) <= {c.code for c in DEFAULT_CATEGORIES}


@PROPERTY
@given(st.text(max_size=100), st.text(max_size=100))
def test_adding_words_never_lowers_a_score(text, more):
    for _code, _label, keywords in DEFAULT_RULES:
        assert score(text + more, keywords) >= score(text, keywords)


@pytest.mark.parametrize("text", [
    "老人在卫生间摔伤了，没人管",
    "老人走失了两天才找到",
    "夜里没人巡房，老人跌倒摔伤",
    "护理员没看住，老人从院里走丢了",
])
def test_falls_and_wandering_suggest_categories_civil_affairs_leads(text):
    """摔伤 and 走失 are civil affairs' (seed 000 task 28, seed 002 (七)): every suggestion keeps
    the case with civil affairs, the first is safety_incident or service_quality."""
    by_code = {c.code: c for c in DEFAULT_CATEGORIES}
    codes = suggest_categories(text, DEFAULT_RULES)
    assert codes and codes[0] in {"safety_incident", "service_quality"}
    assert [by_code[c].responsible for c in codes] == ["civil_affairs"] * len(codes)
