"""The form layer's shared part: WTForms fields that read a request's form or query into typed
values, each rule with its Chinese message written once (the forms are in each domain's
`forms.py`; a field's messages take its label: 请填写{label}, {label}不能超过 N 个字 …).

A form reads Starlette's `FormData` or `QueryParams` (multidicts, as they are) or a plain mapping
(a JSON body, a test), one value per name. No CSRF here: portal/core/security.py checks every
POST. `form.problems` is {field name: first message}, the shape the templates use; `form.texts()`
is what was typed (stripped), shown again beside the messages. A rule that needs the database
stays in the service, which adds its problem (`form.fail`) before raising its domain's error.
Repeated rows of one form (a fee table) are `RowForm`s, their fields named `<name>-<row>`.

Pure: no database, no request. Just over 400 lines on purpose: every field type of every form
is here, one import for the domains' forms, and each class is short.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import ImmutableMultiDict
from wtforms import Field, Form
from wtforms.validators import StopValidation, ValidationError

TEXT_MAX = 2000  # a free text's length when its form names none
EARLIEST_YEAR = 1949  # a date before it is a typo (the year), not a record
_DATE_RE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_INT_RE = re.compile(r"^\d{1,9}$")
_DEGREES_RE = re.compile(r"^[+-]?\d{1,3}(\.\d{1,12})?$")
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


def as_formdata(data: Mapping[str, Any] | None) -> Any:
    """A multidict (FormData, QueryParams) as it is; a plain mapping as a multidict of its
    values, one per name (WTForms reads only multidicts)."""
    if data is None or hasattr(data, "getlist"):
        return data
    return ImmutableMultiDict(data)


class PortalForm(Form):
    """Base of every form: no WTForms CSRF (portal/core/security.py has it), typed fields below.

    `today` is the date a `Day(not_future=True)` may not pass (the caller's clock, so tests
    and the demo can set it)."""

    class Meta:
        csrf = False

        def wrap_formdata(self, form: Form, formdata: Any) -> Any:
            return as_formdata(formdata)

    def __init__(self, formdata: Any = None, *, today: date | None = None,
                 **kwargs: Any) -> None:
        self.today = today
        super().__init__(formdata, **kwargs)

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

    def fail(self, name: str, message: str, *, instead: bool = False) -> None:
        """A problem of field `name` found by a rule outside the field's own (another field, the
        database), after `validate`: shown when the field has no problem of its own, or
        `instead` of it."""
        field = self[name]
        field.errors = [message] if instead else [*field.errors, message]

    def failed(self, name: str) -> bool:
        """Whether field `name` has a problem (after `validate`)."""
        return bool(self[name].errors)


def _required_message(required: str | bool, label: str) -> str:
    """The message of a blank required field: its own, or 请填写{label} (`required=True`)."""
    if isinstance(required, str):
        return required
    return f"请填写{label}" if required else ""


class Text(Field):
    """Text as typed, stripped; `blank` ("") when absent. `required` (its message, or True for
    请填写{label}) and `max_length` (message {label}不能超过 N 个字 unless `too_long`)."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 required: str | bool = "", max_length: int | None = None, too_long: str = "",
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
            raise StopValidation(_required_message(self.required, self.label.text))
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


class Degrees(Field):
    """A latitude or longitude in decimal degrees within [low, high] (`116.397`, `-33.9`; no
    exponent, NaN or infinity); `data` a float, None when blank or not such a number, which is
    the problem `message` (and a blank too when `required`)."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 low: float, high: float, message: str, required: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.low, self.high, self.message, self.required = low, high, message, required

    def process_data(self, value: Any) -> None:
        self.data = float(value) if isinstance(value, int | float) else None
        self.text = "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        number = float(self.text) if _DEGREES_RE.match(self.text) else None
        self.data = number if number is not None and self.low <= number <= self.high else None

    def pre_validate(self, form: Form) -> None:
        if (self.text and self.data is None) or (self.required and not self.text):
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


def parse_day(raw: str) -> date | None:
    """年-月-日 as typed (2026-03-10, 2026-3-1): the date, or None when it is no date."""
    if not _DATE_RE.match(raw):
        return None
    year, month, day = (int(part) for part in raw.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        return None


class Day(Field):
    """A date typed as 年-月-日; `data` None when blank or with a problem. Its messages:
    请填写{label} (when `required`), the format, not before EARLIEST_YEAR, and with
    `not_future` not after the form's `today`."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 required: str | bool = False, not_future: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.required, self.not_future = required, not_future

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, date) else None
        self.text = self.data.isoformat() if self.data is not None else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        self.data = parse_day(self.text) if self.text else None

    def pre_validate(self, form: Form) -> None:
        label = self.label.text
        if not self.text:
            if self.required:
                raise StopValidation(_required_message(self.required, label))
            return
        if self.data is None:
            problem = f"{label}格式应为 年-月-日，如 2026-03-10"
        elif self.data.year < EARLIEST_YEAR:
            problem = f"{label}不应早于 {EARLIEST_YEAR} 年"
        elif self.not_future and self.data > form.today:
            problem = f"{label}不能晚于今天（{form.today.isoformat()}）"
        else:
            return
        self.data = None  # a date with a problem is no date for the rules that compare dates
        raise StopValidation(problem)


class After:
    """Validator of a `Day`: later than the date in the form's field (or plain attribute)
    `than`; with `same_day`, that date itself too. Skipped while either date is missing or has
    a problem of its own (declare `than` first)."""

    def __init__(self, than: str, message: str, *, same_day: bool = False) -> None:
        self.than, self.message, self.same_day = than, message, same_day

    def __call__(self, form: Form, field: Field) -> None:
        earlier = getattr(form, self.than, None)
        if isinstance(earlier, Field):
            earlier = None if earlier.errors else earlier.data
        if field.data is None or earlier is None:
            return
        if field.data < earlier or (field.data == earlier and not self.same_day):
            raise ValidationError(self.message)


class Integer(Field):
    """A whole number typed, in [low, high]. Its messages: 请填写{label} (when `required`),
    {label}不能为负数, {label}应为整数, {label}不能小于 low, {label}不能大于 high. `data` None when
    blank, negative or no whole number; out of range, the number itself (the rules that compare
    it with another field still see what was typed; the message stands)."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 required: str | bool = False, low: int = 0, high: int = 1_000_000,
                 **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.required, self.low, self.high = required, low, high

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, int) else None
        self.text = "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        self.data = int(self.text) if _INT_RE.match(self.text) else None

    def pre_validate(self, form: Form) -> None:
        label, value = self.label.text, self.text
        if not value:
            if self.required:
                raise StopValidation(_required_message(self.required, label))
        elif value.startswith("-") and _INT_RE.match(value[1:]):
            raise StopValidation(f"{label}不能为负数")
        elif self.data is None:
            raise StopValidation(f"{label}应为整数")
        elif self.data < self.low:
            raise StopValidation(f"{label}不能小于 {self.low}")
        elif self.data > self.high:
            raise StopValidation(f"{label}不能大于 {self.high}")


class Money(Field):
    """A sum in yuan (`parse_money`: ≥ 0, at most 2 decimals, at most `maximum`); `data` a
    Decimal, None when blank or with a problem. Blank and `required`: its message, or
    请填写{label}（元） for `required=True`."""

    def __init__(self, label: str | None = None, validators: Iterable[Callable] = (), *,
                 maximum: Decimal, required: str | bool = False, **kwargs: Any) -> None:
        super().__init__(label, list(validators), **kwargs)
        self.maximum, self.required = maximum, required
        self.problem = ""

    def process_data(self, value: Any) -> None:
        self.data = value if isinstance(value, Decimal) else None
        self.text, self.problem = ("" if self.data is None else str(self.data)), ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.text = _sent_text(valuelist)
        label = self.label.text
        blank = _required_message(self.required, f"{label}（元）")
        self.data, self.problem = parse_money(self.text, label, self.maximum, blank=blank)

    def pre_validate(self, form: Form) -> None:
        if self.problem:
            raise StopValidation(self.problem)


class RowForm(PortalForm):
    """One of a form's repeated rows (fees, rules): each field is named `<name>-<row>` in the
    request (item-0, item-1 …) and in `problems`; `form.item` is this row's `item`."""

    class Meta:
        def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
            return super().bind_field(
                form, unbound_field, {**options, "name": f"{options['name']}-{form.row}"})

    def __init__(self, formdata: Any, row: int, **kwargs: Any) -> None:
        self.row = row
        super().__init__(formdata, **kwargs)
