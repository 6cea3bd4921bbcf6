"""The institution's public telephone numbers (the back office's basic information). Pure."""

from __future__ import annotations

import re

# Mobile 1[3-9] + 9 digits; landline with area code (010-12345678, 0571 8888 8888, ext. -123);
# 400/800 numbers; short public service numbers (12345 government hotline, 12349 elderly care,
# 95xxx service lines).
_PHONE_PATTERNS = (
    re.compile(r"^1[3-9]\d{9}$"),
    re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?$"),
    re.compile(r"^[48]00-?\d{3}-?\d{4}$"),
    re.compile(r"^1\d{4}$"),
    re.compile(r"^95\d{3,6}$"),
)
_PHONE_SPLIT = re.compile(r"[、，,;；/]")


def phone_problem(raw: str) -> str | None:
    """None if every number (up to 3, separated by 、 or ，) is a mobile, landline with area code
    or service number; otherwise a message naming the first bad one."""
    numbers = [n.strip() for n in _PHONE_SPLIT.split(raw)]
    if len(numbers) > 3:
        return "联系电话最多填写 3 个号码"
    for number in numbers:
        plain = number.replace(" ", "")
        if not any(p.match(plain) for p in _PHONE_PATTERNS):
            return (f"电话号码“{number}”格式不对：手机号为 11 位（如 13912345678），"
                    "固定电话需带区号（如 0571-87654321）")
    return None
