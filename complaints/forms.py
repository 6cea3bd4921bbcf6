"""The complaint forms: what each channel's request carries, read into typed values.

The rules of a complaint itself (category, description length, phone, place) are
complaints/rules/intake.py's `validate`, shared by every channel; the forms here read the request
(ids, check boxes, the hand-over time, the feedback choice) and name the field of each problem.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, tzinfo

from wtforms import FileField, MultipleFileField
from wtforms.validators import ValidationError

from complaints.rules import clock
from complaints.rules.georeport import parse_datetime
from complaints.rules.intake import DESCRIPTION_MAX, ComplaintInput
from complaints.services.handling import FEEDBACK_LEVELS
from portal.core.formfields import Choice, Flag, PortalForm, RowId, RowIds, Text, Texts, WholeNumber

OPERATOR_CHANNELS = ("phone", "handover")
LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")
CLOCK_YEARS = (2000, 2099)
FORM_KEY_MAX = 64
# The unregistered place's fields (and the keys of their problems in intake.validate).
PLACE_FIELDS = ("place_name", "place_address", "district")
FIELD_ORDER = {name: n for n, name in enumerate((
    "form", "institution", *PLACE_FIELDS, "category", "description", "complainant_name",
    "complainant_phone", "photos"))}


def parse_local_datetime(raw: str, tz: tzinfo) -> datetime:
    """A datetime-local value (2026-05-11T09:30) read as wall-clock time in `tz`."""
    if not LOCAL_DATETIME.fullmatch(raw):
        raise ValueError(raw)
    return datetime.fromisoformat(raw.replace(" ", "T")).replace(tzinfo=tz)


class ComplaintForm(PortalForm):
    """The public form (/complaints/new) and the fields the operator console shares with it."""

    institution_q = Text()
    institution_id = RowId()
    place_name = Text()
    place_address = Text()
    district_id = RowId()
    category = Text()
    description = Text()
    complainant_name = Text()
    complainant_phone = Text()
    anonymous = Flag()
    urgent = Flag()
    unregistered = Flag()
    form_nonce = Text()
    action = Text()  # "find": the no-JS 查找 button redraws the form with the matches

    def shown_errors(self, errors: dict[str, str],
                     order: Sequence[str] | None = None) -> dict[str, str]:
        """The problems worth showing: those of the unregistered place's fields only when the
        user chose to describe such a place (an empty form lacks an institution, not an
        address); then a missing place name is the name field's problem. `order`: the error
        keys in the order this form asks (default: the public form's)."""
        if not self.unregistered.data:
            errors = {k: v for k, v in errors.items() if k not in PLACE_FIELDS}
        elif "institution" in errors and not self.place_name.data:
            errors = {k: v for k, v in errors.items() if k != "institution"}
            errors["place_name"] = "未登记场所请填写场所名称"
        # In the order the form asks (the summary at its top lists them so).
        rank = FIELD_ORDER if order is None else {name: n for n, name in enumerate(order)}
        return dict(sorted(errors.items(), key=lambda item: rank.get(item[0], 99)))

    @property
    def chosen_institution(self) -> int | None:
        """The institution picked, unless the place is marked as unregistered."""
        return None if self.unregistered.data else self.institution_id.data

    def to_input(self, channel: str, **extra) -> ComplaintInput:
        unregistered = self.unregistered.data
        return ComplaintInput(
            channel=channel,
            category_code=self.category.data,
            description=self.description.data,
            institution_id=self.chosen_institution,
            place_name=self.place_name.data if unregistered else "",
            place_address=self.place_address.data if unregistered else "",
            district_id=self.district_id.data,
            complainant_name=self.complainant_name.data,
            complainant_phone=self.complainant_phone.data,
            anonymous=self.anonymous.data,
            urgent=self.urgent.data,
            **extra,
        )


class PhotoForm(PortalForm):
    """The photos sent with the public form (complaints/rules/photos.py has their rules)."""

    photos = MultipleFileField()

    @property
    def chosen(self) -> list:
        """The files chosen (an input left empty sends one part without a name or bytes)."""
        return [f for f in self.photos.data or []
                if hasattr(f, "file") and (f.filename or f.size)]


class PresetQuery(PortalForm):
    """/complaints/new?institution=<id>: the form opened from an institution's page."""

    institution = RowId()


class OperatorComplaintForm(ComplaintForm):
    """The hotline console: a phone call, or a 12345 hand-over with its original receipt time."""

    channel = Text(blank="phone")
    received_at = Text()
    form_key = Text()
    confirm_new = Text()
    link_to = Text()
    pick_category = Text()
    # The id of the field the operator was in when filing (set by static/operator-console.js):
    # a duplicate warning gives the focus back there, never to a button that links or files.
    return_focus = Text()

    def received(self, tz: tzinfo) -> tuple[datetime | None, dict[str, str]]:
        """The original receipt time of a hand-over (phone calls are received now), and the
        console's own problems with channel and time."""
        raw, channel = self.received_at.data, self.channel.data
        if channel not in OPERATOR_CHANNELS:
            return None, {"channel": "请选择来源：电话来电或 12345 转办"}
        if channel == "phone":
            if raw:
                return None, {"received_at": "原始受理时间只用于 12345 转办件：电话来电请清空此项，"
                                             "或把来源改为“12345 转办”"}
            return None, {}
        if not raw:
            return None, {"received_at": "12345 转办件请填写原始受理时间（对方热线受理来电的时间）"}
        try:
            return parse_local_datetime(raw, tz), {}
        except ValueError:
            return None, {"received_at": "原始受理时间格式不正确，请按“年-月-日 时:分”填写，"
                                         "例如 2026-05-11 09:30"}

    def to_operator_input(self, user_id: int, received_at: datetime | None) -> ComplaintInput:
        channel = self.channel.data if self.channel.data in OPERATOR_CHANNELS else "phone"
        key = self.form_key.data
        idempotency_key = (f"operator:{user_id}:{key}"
                           if key and len(key) <= FORM_KEY_MAX else None)
        return self.to_input(channel, received_at=received_at, idempotency_key=idempotency_key)


class LinkedQuery(PortalForm):
    """/operator/?linked=<event id>: the duplicate call just linked."""

    linked = RowId()


class Open311RequestForm(PortalForm):
    """POST /open311/v2/requests (GeoReport v2 field names; `attribute[...]` extensions)."""

    service_code = Text()
    description = Text()
    first_name = Text()
    last_name = Text()
    phone = Text()
    address_string = Text()
    institution_id = RowId(name="attribute[institution_id]")
    place_name = Text(name="attribute[place_name]")
    district = RowId(name="attribute[district]")
    district_id = RowId(name="attribute[district_id]")
    urgent = Flag(name="attribute[urgent]", true=("true", "1", "yes"))
    received_at = Text(name="attribute[received_at]")
    received_at_plain = Text(name="received_at")
    idempotency_key = Text(name="attribute[idempotency_key]")

    def received(self) -> datetime | None:
        """The hand-over's original receipt time; BadParameter names the field."""
        raw = self.received_at.data or self.received_at_plain.data
        return parse_datetime("attribute[received_at]", raw) if raw else None

    def to_input(self, user_id: int, received_at: datetime | None,
                 key: str | None) -> ComplaintInput:
        name = (self.last_name.data + self.first_name.data).strip()
        return ComplaintInput(
            channel="handover" if received_at else "open311",
            category_code=self.service_code.data,
            description=self.description.data,
            institution_id=self.institution_id.data,
            place_name=self.place_name.data,
            place_address=self.address_string.data,
            district_id=(self.district.data if self.district.text else self.district_id.data),
            complainant_name=name,
            complainant_phone=self.phone.data,
            anonymous=not (name or self.phone.data),
            urgent=self.urgent.data,
            received_at=received_at,
            idempotency_key=f"open311:{user_id}:{key}" if key else None,
        )


class ClockQuery(PortalForm):
    """GET /api/v1/clock?received_at=ISO&working_days=5 (API: English messages)."""

    received_at = Text()
    working_days = WholeNumber(low=1, high=clock.MAX_WORKING_DAYS, default=5,
                               message=f"working_days must be 1–{clock.MAX_WORKING_DAYS}")

    def validate_received_at(self, field: Text) -> None:
        raw = field.data
        try:
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
        except ValueError:
            raise ValidationError("received_at must be an ISO 8601 date-time with offset") from None
        if value.tzinfo is None:
            raise ValidationError("received_at needs a UTC offset, e.g. +08:00")
        if not CLOCK_YEARS[0] <= value.year <= CLOCK_YEARS[1]:
            # Far dates mean a typing error; before 1901 the zone's offset is not even whole minutes.
            raise ValidationError(
                f"received_at must lie in the years {CLOCK_YEARS[0]}–{CLOCK_YEARS[1]}")
        self.moment = value


class FeedbackForm(PortalForm):
    """The complainant's verdict on the answer (and the SMS code from a status link)."""

    satisfied = Choice(choices=FEEDBACK_LEVELS, message="请选择满意、基本满意或不满意")
    note = Text()
    code = Text()


class TrackForm(PortalForm):
    """Looking a complaint up by its number and the secret given on filing."""

    tracking_no = Text()
    secret = Text()


class SupervisionQuery(PortalForm):
    """The supervision list's office filter."""

    office = RowId()


class BulkForm(PortalForm):
    """Complaints ticked in a list."""

    ids = RowIds()


class HandlingForm(PortalForm):
    """The handling steps of the detail page (the rules are complaints/services/handling.py's)."""

    answer = Text()
    outcome = Text()
    reason = Text()
    reply = Text()
    note = Text()
    decision = Text()
    # Days of extension asked for; a number the rules refuse reads as 0 (handling says why).
    days = WholeNumber(low=0, high=999, default=0)
    # An office picked for co-handling or transfer: anything that is no id finds no office.
    department_id = RowId()


class RoutingRuleForm(PortalForm):
    """An administrator editing a category's routing rule (the rules: routing.update_rule)."""

    label = Text()
    help_text = Text()
    keywords = Text()
    responsible_type = Text()
    co_handling_types = Texts()
    active = Flag()
    street_level = Flag()

    @property
    def keyword_list(self) -> list[str]:
        """The keywords as typed, split at ASCII or full-width commas."""
        return self.keywords.data.replace("，", ",").split(",")


class CalendarUploadForm(PortalForm):
    """A year's holiday schedule: an uploaded file, or its text pasted."""

    file = FileField()
    text = Text()

    def content(self) -> tuple[bytes, str]:
        """(the bytes, a file name); empty bytes when nothing was sent."""
        upload = self.file.data
        if upload is not None and hasattr(upload, "file"):
            return upload.file.read(), upload.filename or "calendar.txt"
        return self.text.data.encode(), "calendar.txt"


PHONE_LOOKUP_MAX = 30
DESCRIPTION_LOOKUP_MAX = 4000


class CallerQuery(PortalForm):
    """The caller's number the console looks up (POST from the console, GET ?phone= for links)."""

    complainant_phone = Text(filters=[lambda value: value[:PHONE_LOOKUP_MAX]])
    phone = Text(filters=[lambda value: value[:PHONE_LOOKUP_MAX]])

    @property
    def number(self) -> str:
        return self.complainant_phone.data or self.phone.data


class CategoryQuery(PortalForm):
    """The description typed so far and the category picked, for the suggestions."""

    description = Text(strip=False, filters=[lambda value: value[:DESCRIPTION_LOOKUP_MAX]])
    pick_category = Text()
    category = Text()


SUGGEST_MAX_LIMIT = 10


class CategorySuggestQuery(PortalForm):
    """GET /api/v1/categories/suggest?text=&limit= (a description, as long as a complaint's)."""

    text = Text(required="请提供 text：投诉内容的描述", max_length=DESCRIPTION_MAX,
                too_long=f"text 不能超过 {DESCRIPTION_MAX} 个字符")
    limit = WholeNumber(low=1, high=SUGGEST_MAX_LIMIT, default=3,
                        message=f"limit 必须是 1–{SUGGEST_MAX_LIMIT} 之间的整数")
