"""Masking of personal data (个人信息保护法): phones, ID numbers, e-mails and names shown only in
part, in single fields and inside free text (answers, notes, descriptions) that leaves the staff
side. `scrub` is the one function every such path calls; `personal_data_kinds` tells staff what
it would mask before they submit a text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

_DIGITS = re.compile(r"\d")


def mask_phone(phone: str | None) -> str:
    """138****1234 for a mobile; keep the last four digits of anything else."""
    if not phone:
        return ""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_name(name: str | None) -> str:
    """张** for 张三丰; a single character stays a single star."""
    if not name:
        return ""
    name = name.strip()
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(number: str) -> str:
    """5301**********123X: the first four and the last four characters of an ID number."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_email(address: str) -> str:
    """z***@example.com: the first character of the mailbox and the domain."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_landline(area: str, local: str) -> str:
    """0871-****5678: the area code and the last four digits."""
    return f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"


# Full-width forms (０-９, ＋, ＠, （）, －, ．, the ideographic space) read as their ASCII
# counterparts: one character for one, so positions in the folded text are positions in the
# original. Hyphen-like dashes count as hyphens.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x2010: 0x2D, 0x2011: 0x2D, 0x2012: 0x2D, 0x2013: 0x2D,
              0x2014: 0x2D, 0x2212: 0x2D, 0x00A0: 0x20})

_SEP = r"[ \-.]"
_PERSONAL = re.compile(
    # An e-mail address (ASCII mailbox; ＠ folded to @).
    r"(?P<email>(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    # A resident ID number: 17 digits and a check character, as written or as 6-8-4 groups.
    r"|(?<!\d)(?P<id>\d{6} ?\d{8} ?\d{3}[\dXx])(?![\dXx])"
    # A mainland mobile: 1[3-9] and nine digits, maybe after +86/0086, in any grouping with
    # spaces, hyphens or dots.
    rf"|(?<![\d+])(?P<cc>(?:\+ ?86|0086|\(\+?86\)){_SEP}?)?(?P<mobile>1{_SEP}?[3-9](?:{_SEP}?\d){{9}})(?!\d)"
    # A landline with its area code (010, 02x, 0xxx): 0871-12345678, (0871)1234567, 021 1234 5678.
    r"|(?<![\d\-])(?:\((?P<parea>0\d{2,3})\)|(?P<area>0\d{2,3}))[ \-]?"
    r"(?P<local>\d{3,4}[ \-]?\d{4})(?!\d)"
)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(number: str) -> bool:
    """A GB 11643 resident ID number: region, a real birth date, the MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit() or number[0] not in "12345678":
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1880:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def _masked(m: re.Match) -> tuple[str, str] | None:
    """(kind, mask) for one match in folded text, or None when it is not personal data."""
    if m["email"]:
        return "email", mask_email(m["email"])
    if m["id"]:
        number = m["id"].replace(" ", "").upper()
        return ("id", mask_id_number(number)) if valid_id_number(number) else None
    if m["mobile"]:
        return "mobile", mask_phone(m["mobile"])
    digits = "".join(_DIGITS.findall(m["local"]))
    return "landline", mask_landline(m["parea"] or m["area"], digits)


def _name_pattern(names: Iterable[str]) -> re.Pattern | None:
    """The given names (2–4 characters) as written, also with spaces between characters."""
    parts = sorted({n for n in ("".join((name or "").split()) for name in names) if len(n) >= 2},
                   key=len, reverse=True)
    if not parts:
        return None
    return re.compile("|".join(r"\s*".join(map(re.escape, n)) for n in parts))


def _spans(text: str, names: Iterable[str], phones: Iterable[str]
           ) -> list[tuple[int, int, str, str]]:
    """Where personal data sits in `text`: (start, end, kind, mask), in order, not overlapping."""
    folded = text.translate(_FOLD)
    found = []
    for m in _PERSONAL.finditer(folded):
        hit = _masked(m)
        if hit is not None:
            found.append((m.start(), m.end(), *hit))
    for phone in phones:  # the complainant's own number in a form the patterns miss
        phone = (phone or "").strip()
        if len(phone) >= 5:
            for m in re.finditer(re.escape(phone.translate(_FOLD)), folded):
                found.append((m.start(), m.end(), "phone", mask_phone(phone)))
    name_re = _name_pattern(names)
    if name_re is not None:
        for m in name_re.finditer(folded):
            found.append((m.start(), m.end(), "name", mask_name("".join(m.group().split()))))
    found.sort()
    kept: list[tuple[int, int, str, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def scrub(text: str | None, names: Iterable[str] = (), phones: Iterable[str] = ()) -> str:
    """Free text with personal data masked, for anyone outside the staff who handle it:
    mainland mobiles in every written form (+86/0086, spaces, hyphens, dots, full-width
    digits), landlines with an area code, 18-digit resident ID numbers (valid check character),
    e-mail addresses, and the given `names` and `phones` (the complainant's own).

    Not masked: a surname with an appellation (张先生 tells no more than the mask 张** does),
    15-digit IDs (void since 2013, and they would catch 15-digit reference numbers), numbers
    without an area code, dates, amounts, case and decision numbers."""
    if not text:
        return ""
    out, at = [], 0
    for start, end, _, mask in _spans(text, names, phones):
        out += [text[at:start], mask]
        at = end
    out.append(text[at:])
    return "".join(out)


KIND_LABELS = {"mobile": "手机号码", "landline": "固定电话", "phone": "电话号码",
               "id": "身份证号码", "email": "电子邮箱", "name": "投诉人姓名"}


def personal_data_kinds(text: str | None, names: Iterable[str] = (),
                        phones: Iterable[str] = ()) -> list[str]:
    """The kinds of personal data `scrub` would mask in `text`, as Chinese labels, each once."""
    kinds: list[str] = []
    for _, _, kind, _ in _spans(text or "", names, phones):
        label = KIND_LABELS[kind]
        if label not in kinds:
            kinds.append(label)
    return kinds

