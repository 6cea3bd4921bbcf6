"""The type-ahead's initials rule (issue 21 item 4): a query spells the initials of a name's
words from the start of one of them; never a collapsed run of one letter, never mid-word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.rules.pinyin import initials
from search.rules.typeahead import initials_match, initials_query, matches_any, name_letters

PROPERTY = settings(database=None, deadline=None)
QINGQUAN = "东城区清泉园护理院"  # dcq qq y hl y: 区清泉 reads qqq
ELDERS_HOME = "东城区福乐长者之家"  # … zz zj: 长者之 reads zzz


@pytest.mark.parametrize(("query", "name"), [
    ("qqqq", QINGQUAN),
    ("qqqqqq", QINGQUAN),
    ("zzzzzz", ELDERS_HOME),
    ("zzzzzz", "长者之家"),
    ("zzzz", "福乐长者之家"),
    ("qyh", QINGQUAN),  # from inside 清泉
    ("cqqq", QINGQUAN),  # from inside 东城区
    ("yyy", QINGQUAN),  # letters of the name, not in its order
    ("hlyy", QINGQUAN),  # one letter past the end
    ("dcqqqyhlyx", QINGQUAN),
])
def test_nonsense_and_mid_word_queries_match_nothing(query, name):
    assert not initials_match(query, name)


@pytest.mark.parametrize(("query", "name"), [
    ("dcq", QINGQUAN),  # the name's start
    ("dcqqqyhly", QINGQUAN),  # the whole name
    ("qqy", QINGQUAN),  # 清泉园
    ("qqyhly", QINGQUAN),
    ("hly", QINGQUAN),  # 护理院
    ("zzzj", ELDERS_HOME),  # 长者之家
    ("flzzzj", ELDERS_HOME),
    ("xfyly", "幸福养老院"),
    ("yly", "幸福养老院"),  # 养老院
    ("cnqkl", "长宁区康乐养老院"),
    ("znqkl", "长宁区康乐养老院"),  # 长 read zhǎng: a polyphone never hides a name
    ("klyly", "长宁区康乐养老院"),
    ("tmyly3", "同名养老院3"),
    ("3", "同名养老院3"),
    ("xfyly", "东城区幸福养老院（东华门街道）"),
    ("dhm", "东城区幸福养老院（东华门街道）"),
])
def test_whole_initials_from_a_word_start_match(query, name):
    assert initials_match(query, name)


def test_the_query_is_read_as_initials_or_not_at_all():
    assert initials_query(" XF yly ") == "xfyly"
    assert initials_query("ｘｆ") == "xf"  # full-width letters (NFKC)
    assert initials_query("幸福") == "" and initials_query("x-f") == "" and initials_query("") == ""
    assert not initials_match("", QINGQUAN)


def test_an_alias_matches_as_the_name_does():
    assert matches_any("hpyly", ["东城区清泉园护理院", "", "和平养老院"])
    assert not matches_any("qqqq", ["东城区清泉园护理院", "和平养老院"])


def test_words_start_where_the_name_is_cut():
    letters, starts = name_letters(QINGQUAN)
    assert "".join(c[0] for c in letters) == "dcqqqyhly"
    assert 0 in starts and 3 in starts and 6 in starts  # 东…, 清泉, 护…
    assert 4 not in starts  # 泉 is inside 清泉


NAME_CHARS = st.sampled_from(list("东城区清泉园护理院长者之家幸福养老康乐和平颐中心社区日间照料")
                             + list("ab12"))


@PROPERTY
@given(st.text(NAME_CHARS, min_size=1, max_size=16))
def test_a_name_is_always_found_by_its_own_initials_and_their_prefixes(name):
    spelled = initials(name)
    for end in range(1, len(spelled) + 1):
        assert initials_match(spelled[:end], name)

