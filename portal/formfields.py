"""The form layer's shared part: WTForms fields that read a request's form or query into typed
values, each rule with its Chinese message written once (the forms are in each domain's
`forms.py`).

A form is built from Starlette's `FormData` or `QueryParams` (multidicts with `getlist`, which
WTForms reads as they are). No CSRF here: portal/security.py checks every POST already.
`form.problems` is {field name: first message}, the shape the templates and the domain's own
checks use; `form.texts()` is what was typed (stripped), to show again beside the messages.

Pure: no database, no request. `FieldReader` still reads the government record forms and the
institution back office (institutions.records, backoffice.validation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import Field, Form
from wtforms.validators import StopValidation

TEXT_MAX = 2000
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_INT_RE = re.compile(r"^\d{1,9}$")
# Row ids are INTEGER columns (32-bit on PostgreSQL): a larger number names no row, and
# querying with it overflows the column (SQLite: OverflowError; PostgreSQL: out of range).
MAX_ROW_ID = 2**31 - 1

def parse_id(raw: str) -> int | None:
    """A row id typed or picked in a form: digits in 1..MAX_ROW_ID, else None."""
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ROW_ID else None


def parse_whole(raw: str, low: int, high: int) -> int | None:
    """ASCII digits naming a number in [low, high], else None (never a huge int())."""
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or len(value) > len(str(high)):
        return None
    number = int(value)
    return number if low <= number <= high else None


def _sent_text(valuelist: list[Any], strip: bool = True) -> str:
    """The value sent for a name, stripped; a file upload or nothing reads as "". Sent twice,
    the last one counts, as Starlette's `.get` reads it (a hidden default before a check box)."""
    value = valuelist[-1] if valuelist else ""
    if not isinstance(value, str):
        return ""
    return value.strip() if strip else value


class PortalForm(Form):
    """Base of every form: no WTForms CSRF (portal/security.py has it), typed fields below."""

    class Meta:
        csrf = False

    @property
    def problems(self) -> dict[str, str]:
        """The first message of each field that has one, keyed by its name in the request."""
        return {f.name: f.errors[0] for f in self if f.errors}

    def check(self) -> dict[str, str]:
        """Validate; the problems (empty when the form is fine)."""
        self.validate()
        return self.problems

    def texts(self, *names: str) -> dict[str, str]:
        """What was typed (stripped), by name: all fields, or those named."""
        return {f.name: f.text for f in self if not names or f.name in names}


class Text(Field):
    """Text as typed, stripped; `blank` ("") when absent. `required` and `max_length` carry
    their messages."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 required: str = "", max_length: int | None = None, too_long: str = "",
                 blank: str = "", strip: bool = True, **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.required, self.max_length, self.too_long = required, max_length, too_long
        self.blank = blank  # the value when nothing was typed
        self.strip = strip  # False for a password: every character counts

    def process_data(self, value: Any) -> None:
        self.data = self.text = self.blank if value is None else str(value)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = self.text = _sent_text(valuelist, self.strip) or self.blank

    def pre_validate(self, form: Form) -> None:
        if self.required and not self.data:
            raise StopValidation(self.required)
        if self.max_length is not None and len(self.data) > self.max_length:
            raise StopValidation(self.too_long or f"{self.label.text}不能超过 {self.max_length} 个字")


class Choice(Text):
    """One of `choices` (codes); anything else (blank included) is `message`."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 choices: Iterable[str] | Callable[[], Iterable[str]] = (), message: str = "",
                 optional: bool = False, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.choices, self.message, self.optional = choices, message, optional

    def pre_validate(self, form: Form) -> None:
        choices = self.choices() if callable(self.choices) else self.choices
        if self.optional and not self.data:
            return
        if self.data not in choices:
            raise StopValidation(self.message or f"请选择{self.label.text}")


class RowId(Field):
    """A row id picked or typed (`parse_id`); `data` None when blank or not an id. With
    `message`, something typed that is no id is a problem; without, it reads as blank."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 message: str = "", **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.message = message

    def process_data(self, value: Any) -> None:
        self.data, self.text = (value, str(value)) if isinstance(value, int) else (None, "")

    parse = staticmethod(parse_id)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        self.data = parse_id(self.text)

    def pre_validate(self, form: Form) -> None:
        if self.message and self.text and self.data is None:
            raise StopValidation(self.message)


class RowIds(Field):
    """Every row id sent under the name (check boxes); values that are no id are left out."""

    def process_data(self, value: Any) -> None:
        self.data, self.text = list(value or ()), ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        ids = (parse_id(v) for v in valuelist if isinstance(v, str))
        self.data = [i for i in ids if i is not None]


class Texts(Field):
    """Every text sent under the name (check boxes of codes), as sent; uploads left out."""

    def process_data(self, value: Any) -> None:
        self.data, self.text = list(value or ()), ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [v for v in valuelist if isinstance(v, str)]


class WholeNumber(Field):
    """A whole number in [low, high] (`parse_whole`); `data` is `default` when blank or not
    such a number. With `message`, something typed that is not such a number is that problem,
    and so is a blank when `required`."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 low: int = 0, high: int = 1_000_000, message: str = "", required: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.low, self.high, self.message, self.required = low, high, message, required

    def process_data(self, value: Any) -> None:
        self.data, self.text, self.invalid = value, "" if value is None else str(value), False

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        number = parse_whole(self.text, self.low, self.high) if self.text else None
        self.invalid = bool(self.text) and number is None
        if number is not None:
            self.data = number

    def pre_validate(self, form: Form) -> None:
        if self.message and (self.invalid or (self.required and self.data is None)):
            raise StopValidation(self.message)


class Flag(Field):
    """A check box or yes/no value: true when it is one of `true` (case-insensitive)."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 true: Iterable[str] = ("1",), **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.true = frozenset(true)

    def process_data(self, value: Any) -> None:
        self.data = bool(value)
        self.text = "1" if self.data else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        self.data = self.text.lower() in self.true


def parse_money(raw: str, label: str, maximum: Decimal, *, blank: str = "") -> tuple[
        Decimal | None, str]:
    """A sum in yuan: ≥ 0 with at most 2 decimals. Returns (value, problem); a blank value gives
    (None, `blank`) — pass the message for a required field, or "" when it may be left out."""
    value = raw.strip().replace(",", "").replace("，", "")
    if not value:
        return None, blank
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None, f"{label}应为数字（元），如 5000 或 5000.50"
    if not amount.is_finite():
        return None, f"{label}应为数字（元），如 5000 或 5000.50"
    if amount < 0:
        return None, f"{label}不能为负数"
    if amount > maximum:
        return None, f"{label}过大，请核对"
    if amount != amount.quantize(Decimal("0.01")):
        return None, f"{label}最多保留 2 位小数"
    return amount.quantize(Decimal("0.01")), ""


class FieldReader:
    """Reads raw form values and collects the problems, keyed by field name."""

    def __init__(self, data: Mapping[str, Any], today: date) -> None:
        self.data = data
        self.today = today
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, label: str, *, required: bool = True,
             max_len: int = TEXT_MAX) -> str:
        value = self.raw(name)
        if required and not value:
            self.errors[name] = f"请填写{label}"
        elif len(value) > max_len:
            self.errors[name] = f"{label}不能超过 {max_len} 个字"
        return value

    def date(self, name: str, label: str, *, required: bool = True,
             not_future: bool = False) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.errors[name] = f"请填写{label}"
            return None
        try:
            if not _DATE_RE.match(value):
                raise ValueError(value)
            year, month, day = (int(part) for part in value.split("-"))
            parsed = date(year, month, day)
        except ValueError:
            self.errors[name] = f"{label}格式应为 年-月-日，如 2026-03-10"
            return None
        if parsed.year < 1949:
            self.errors[name] = f"{label}不应早于 1949 年"
            return None
        if not_future and parsed > self.today:
            self.errors[name] = f"{label}不能晚于今天（{self.today.isoformat()}）"
            return None
        return parsed

    def choice(self, name: str, label: str, choices: Mapping[str, str],
               default: str | None = None) -> str:
        value = self.raw(name) or (default or "")
        if value not in choices:
            self.errors[name] = f"请选择{label}"
        return value

    def after(self, name: str, later: date | None, earlier: date | None, message: str,
              strict: bool = True) -> None:
        if later is None or earlier is None or name in self.errors:
            return
        if later < earlier or (strict and later == earlier):
            self.errors[name] = message

    def integer(self, name: str, label: str, *, required: bool = True, minimum: int = 0,
                maximum: int = 1_000_000) -> int | None:
        """A whole number in [minimum, maximum]; blank is None (a problem when required)."""
        value = self.raw(name)
        if not value:
            if required:
                self.errors[name] = f"请填写{label}"
            return None
        if value.startswith("-") and _INT_RE.match(value[1:]):
            self.errors[name] = f"{label}不能为负数"
            return None
        if not _INT_RE.match(value):
            self.errors[name] = f"{label}应为整数"
            return None
        number = int(value)
        if number < minimum:
            self.errors[name] = f"{label}不能小于 {minimum}"
        elif number > maximum:
            self.errors[name] = f"{label}不能大于 {maximum}"
        return number

    def flag(self, name: str) -> bool:
        """A checkbox: present with a true-ish value."""
        return self.raw(name) in ("1", "on", "true", "yes")

    def money(self, name: str, label: str, maximum: Decimal, *,
              required: bool = True) -> Decimal | None:
        amount, problem = parse_money(self.raw(name), label, maximum,
                                      blank=f"请填写{label}（元）" if required else "")
        if problem:
            self.errors[name] = problem
        return amount
