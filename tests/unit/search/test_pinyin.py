"""Pinyin initials for the operator type-ahead, with the polyphone overrides."""

from __future__ import annotations

import pytest

from search.rules.pinyin import MAX_READINGS, OVERRIDES, all_readings, initials, sort_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("幸福养老院", "xfyly"),
        # Place names: 长 cháng, 重 chóng — not 市长 "mayor" + 寿.
        ("重庆市长寿区", "cqscsq"),
        ("上海市长宁区", "shscnq"),
        ("示范市长宁区", "sfscnq"),
        ("长宁区", "cnq"),
        ("长治", "cz"),
        ("长沙", "cs"),
        ("长春", "cc"),
        ("长江", "cj"),
        ("长安", "ca"),
        ("重阳县", "cyx"),
        ("重阳", "cy"),
        # Elderly-care words
        ("长者", "zz"),
        ("长者服务站", "zzfwz"),
        ("长青社区日间照料中心", "cqsqrjzlzx"),
        ("长寿", "cs"),
        ("长乐", "cl"),
        ("乐龄", "ll"),
        ("和乐", "hl"),
        ("康乐老年公寓", "kllngy"),
        ("首都", "sd"),
        ("都市", "ds"),
        ("银行", "yh"),
        ("银行街道", "yhjd"),
    ],
)
def test_initials_use_the_right_reading(text, expected):
    assert initials(text) == expected


def test_every_override_gives_one_syllable_per_character():
    for phrase, reading in OVERRIDES.items():
        syllables = reading.split()
        assert len(syllables) == len(phrase), phrase
        assert initials(phrase) == "".join(s[0] for s in syllables)


def test_latin_letters_and_digits_are_kept_lowercased_and_the_rest_dropped():
    assert initials("ABC护理院（1号楼）") == "abchly1hl"
    assert initials("ＡＢ颐养院２") == "abyyy2"  # full-width forms too
    assert initials("东城区·幸福里 颐养院！") == "dcqxflyyy"


def test_empty_and_symbol_only_text_give_nothing():
    assert initials("") == ""
    assert initials("（）—！") == ""
    assert all_readings("") == set()


def test_all_readings_start_from_the_preferred_reading():
    assert initials("银行") in all_readings("银行")
    assert all_readings("行") == {"x", "h"}


def test_all_readings_let_a_type_ahead_match_the_common_misreading():
    readings = all_readings("长宁区")
    assert "cnq" in readings
    assert "znq" in readings


def test_all_readings_are_capped():
    text = "重长乐行重长乐行重长乐行"
    readings = all_readings(text)
    assert len(readings) == MAX_READINGS
    assert initials(text) in readings


def test_all_readings_keep_latin_and_digits():
    assert all_readings("A区3号") >= {"aq3h"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 市长 "mayor" is a pypinyin phrase standing across the override: not cqszsq.
        ("重庆市长寿区", "cqscsq"),
        ("上海市长宁区", "shscnq"),
        # Overrides inside longer names, after other phrases of pypinyin's table (县长, 音乐).
        ("示范市重庆路长寿区长者服务站", "sfscqlcsqzzfwz"),
        ("某县长乐镇康乐老年公寓", "mxclzkllngy"),
        ("音乐享老年公寓", "ylxlngy"),
    ],
)
def test_overrides_apply_inside_longer_names(text, expected):
    assert initials(text) == expected


def test_overrides_are_pypinyins_own_phrases():
    """Registered with pypinyin once (load_phrases_dict): pypinyin itself reads them."""
    from pypinyin import Style, lazy_pinyin

    assert "".join(lazy_pinyin("重庆市长寿区", style=Style.FIRST_LETTER)) == "cqscsq"
    assert lazy_pinyin("上海市长宁区长者") == ["shang", "hai", "shi", "chang", "ning", "qu",
                                              "zhang", "zhe"]


def test_a_character_without_a_reading_keeps_the_overrides_around_it():
    rare = "\U0002ebe0"  # a Han character pypinyin has no reading for
    assert initials(f"长宁{rare}长寿") == "cncs"
    assert initials(f"重庆市长寿区{rare}") == "cqscsq"


def test_sort_key_orders_names_as_a_chinese_reader_looks_them_up():
    names = ["幸福颐养院", "成都养老院", "爱心护理院", "长青老年公寓", "昂立院", "安康院", "长者之家"]
    # Code point order would be 安 幸 成 昂 爱 长 长; initials order puts 成都 (cd) before 长青 (cq).
    assert sorted(names, key=sort_key) == [
        "爱心护理院", "安康院", "昂立院", "长青老年公寓", "成都养老院", "幸福颐养院", "长者之家"]
    assert sort_key("长青老年公寓") == "chang2 qing1 lao3 nian2 gong1 yu4 "
    # The overrides apply (重庆 chóng, not zhòng; 长寿 not 市长 "mayor").
    assert sort_key("重庆市长寿区").startswith("chong2 qing4 shi4 chang2 shou4")
    assert sort_key("绿苑") == "lv4 yuan4 "
    assert sort_key("A区1号") == "a qu1 1 hao4 "
    assert len(sort_key("养" * 200)) == 255


def test_name_keys_give_both_columns_kept_beside_a_name():
    from search.rules.pinyin import initials, name_keys, sort_key

    keys = name_keys("长青老年公寓")
    assert keys == {"name_initials": initials("长青老年公寓"), "name_pinyin": sort_key("长青老年公寓")}
    assert keys["name_initials"].startswith("cq")
    assert len(name_keys("很" * 100)["name_initials"]) == 60  # the column's width


def test_reading_a_name_word_by_word_equals_reading_it_whole():
    """Names are read a word at a time (pypinyin's own cut, each word cached): the syllables and
    initials are exactly those of pypinyin reading the whole run, phrases and overrides too."""
    from pypinyin import Style, lazy_pinyin

    from search.rules.pinyin import HAN_RUN, _han_initials, _han_syllables
    from tests.data.registry_rows import city, rows

    names = [row[0] for row in rows(400, places=city(6, 6))] + [
        "重庆市长寿区长者乐龄中心", "示范市长宁区银行家颐乐苑", "成都市康乐㐀长青养老院",
        "长沙市重阳敬老院", "乐享长期护理服务站"]
    runs = [m.group() for name in names for m in HAN_RUN.finditer(name)]
    assert len(runs) >= 400
    for run in runs:
        whole = lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True)
        assert list(_han_syllables(run)) == whole, run
        letters = [s[:1] for s in lazy_pinyin(run, style=Style.FIRST_LETTER, errors="ignore")]
        if len(letters) == len(run):
            assert list(_han_initials(run)) == letters, run
