"""统一社会信用代码 validation and generation (GB 32100-2015, GB 11714-1997)."""

from __future__ import annotations

import random

import pytest

from portal.institutions.rules import creditcode

# Published codes that pass both the GB 32100 check and the GB 11714 check of their
# organisation code (a random string passes both about once in 341 tries).
REAL_CODES = [
    "91350100M000100Y43",  # the worked example in GB 32100-2015
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",  # 北京百度网讯科技有限公司
    "91330100716105852F",  # 阿里巴巴（中国）网络技术有限公司
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_published_codes_are_valid(code):
    assert creditcode.is_valid(code)
    assert creditcode.problem(code) is None
    assert creditcode.check_digit(code[:17]) == code[17]
    assert creditcode.org_code_check(code[8:16]) == code[16]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "长度不是18位（现为0位）"),
        ("91350100M000100Y4", "长度不是18位（现为17位）"),
        ("91350100M000100Y433", "长度不是18位（现为19位）"),
        ("91350100M000100I43", "含有不允许的字符：I（只能使用数字和大写字母，不含 I、O、Z、S、V）"),
        ("91350100MO0O100Y43", "含有不允许的字符：O（只能使用数字和大写字母，不含 I、O、Z、S、V）"),
        (
            "91350100m000100y43",
            "含有不允许的字符：m、y（只能使用数字和大写字母，不含 I、O、Z、S、V）",
        ),
        (
            "9135010０M000100Y43",
            "含有不允许的字符：０（只能使用数字和大写字母，不含 I、O、Z、S、V）",
        ),
        ("91350100M000100Y44", "校验码错误，应为 3"),
        ("91350100M000100Y4S", "含有不允许的字符：S（只能使用数字和大写字母，不含 I、O、Z、S、V）"),
        ("914403001922038210", "校验码错误，应为 6"),
    ],
)
def test_problem_explains_what_is_wrong_in_chinese(code, message):
    assert creditcode.problem(code) == message
    assert not creditcode.is_valid(code)


def test_changing_any_one_character_is_detected():
    code = REAL_CODES[0]
    for pos in range(18):
        for ch in creditcode.ALPHABET:
            if ch != code[pos]:
                assert not creditcode.is_valid(code[:pos] + ch + code[pos + 1 :])


def test_swapping_neighbouring_characters_is_detected():
    code = REAL_CODES[1]
    for pos in range(17):
        swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
        if swapped != code:
            assert not creditcode.is_valid(swapped)


def test_normalize_removes_spaces_and_upper_cases():
    assert creditcode.normalize(" 9135 0100m000100y43\n") == "91350100M000100Y43"


def test_check_digit_rejects_wrong_input():
    with pytest.raises(ValueError):
        creditcode.check_digit("123")
    with pytest.raises(ValueError):
        creditcode.check_digit("91350100M000100IO")


@pytest.mark.parametrize(("dept", "org_type"), [("1", "2"), ("5", "2"), ("9", "1"), ("9", "2")])
def test_generated_codes_are_valid_and_structured(dept, org_type):
    rng = random.Random(7)
    for _ in range(500):
        code = creditcode.generate(
            rng, registration_dept=dept, org_type=org_type, region_code="330102"
        )
        assert creditcode.is_valid(code), code
        assert code.startswith(dept + org_type + "330102")
        assert creditcode.org_code_check(code[8:16]) == code[16]


def test_generation_is_deterministic_for_a_seeded_rng():
    def codes(seed):
        rng = random.Random(seed)
        return [
            creditcode.generate(rng, registration_dept="9", org_type="1", region_code="330100")
            for _ in range(20)
        ]

    assert codes(1) == codes(1)
    assert codes(1) != codes(2)


@pytest.mark.parametrize(
    ("kwargs"),
    [
        {"registration_dept": "7", "org_type": "1", "region_code": "330102"},
        {"registration_dept": "9", "org_type": "5", "region_code": "330102"},
        {"registration_dept": "9", "org_type": "1", "region_code": "33010"},
        {"registration_dept": "9", "org_type": "1", "region_code": "3301AB"},
    ],
)
def test_generate_rejects_unknown_departments_and_regions(kwargs):
    with pytest.raises(ValueError):
        creditcode.generate(random.Random(0), **kwargs)
