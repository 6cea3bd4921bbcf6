"""统一社会信用代码 (GB 32100-2015): validation for forms and generation for demo data."""

from __future__ import annotations

import random

# GB 32100-2015 §4: the 31 characters a code may use (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Weight of position i (0-based) is 3^i mod 31.
_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

# GB 11714-1997: the 9-character organisation code inside the credit code (positions 9–17).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# GB 32100-2015 登记管理部门代码 (position 1) used in this project.
REGISTRATION_DEPTS = {
    "1": "机构编制",
    "5": "民政",
    "9": "工商（市场监管）",
}

# 机构类别代码 (position 2) valid under each registration department.
ORG_TYPES = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位（社会服务机构）", "3": "基金会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
}


def normalize(code: str) -> str:
    """What a form should store: surrounding and inner spaces removed, letters upper-cased."""
    return "".join(code.split()).upper()


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 (which must use ALPHABET only)."""
    if len(first17) != 17:
        raise ValueError("need exactly 17 characters")
    try:
        total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS, strict=True))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not allowed in a credit code") from exc
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    if len(first8) != 8:
        raise ValueError("need exactly 8 characters")
    total = 0
    for ch, w in zip(first8, _ORG_WEIGHTS, strict=True):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - ord("A") + 10
        else:
            raise ValueError(f"character {ch!r} is not allowed in an organisation code")
        total += value * w
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def problem(code: str) -> str | None:
    """A plain-language Chinese message saying what is wrong with `code`, or None if valid."""
    if len(code) != 18:
        return f"长度不是18位（现为{len(code)}位）"
    bad = [ch for ch in code if ch not in _VALUE]
    if bad:
        shown = "、".join(dict.fromkeys(bad))
        return f"含有不允许的字符：{shown}（只能使用数字和大写字母，不含 I、O、Z、S、V）"
    expected = check_digit(code[:17])
    if code[17] != expected:
        return f"校验码错误，应为 {expected}"
    return None


def is_valid(code: str) -> bool:
    """True when `code` is 18 allowed characters ending in the right check character."""
    return problem(code) is None


def generate(rng: random.Random, *, registration_dept: str, org_type: str, region_code: str) -> str:
    """A valid code: dept, org type, 6-digit region, 9-character organisation code, check."""
    if org_type not in ORG_TYPES.get(registration_dept, {}):
        raise ValueError(f"unknown registration dept/org type {registration_dept}{org_type}")
    if len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("region_code must be 6 digits")
    if registration_dept == "9" and rng.random() < 0.7:
        # Market-regulation codes issued since 2015 look like MA2XXXXXX.
        body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    # The GB 11714 check is a digit or X, both in ALPHABET.
    org = body + org_code_check(body)
    first17 = registration_dept + org_type + region_code + org
    return first17 + check_digit(first17)
