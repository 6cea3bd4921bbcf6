"""The complaint forms: what each channel's request carries, read into typed values."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import FormData, QueryParams

from complaints.forms import (
    ClockQuery,
    ComplaintForm,
    FeedbackForm,
    Open311RequestForm,
    OperatorComplaintForm,
)
from complaints.georeport import BadParameter

TZ = ZoneInfo("Asia/Shanghai")


def test_the_public_form_reads_ids_and_check_boxes():
    form = ComplaintForm(FormData([
        ("institution_id", "42"), ("district_id", "3"), ("category", "care"),
        ("description", " 护理不到位 "), ("anonymous", "1"), ("urgent", "1"),
    ]))
    inp = form.to_input("web")
    assert (inp.institution_id, inp.district_id, inp.description, inp.anonymous, inp.urgent,
            inp.place_name) == (42, 3, "护理不到位", True, True, "")


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "99999999999", "١٢", "1.5"])
def test_an_id_that_names_no_row_reads_as_none(raw):
    assert ComplaintForm(FormData([("institution_id", raw)])).to_input("web").institution_id is None


def test_an_unregistered_place_drops_the_picked_institution_and_keeps_the_place():
    form = ComplaintForm(FormData([("institution_id", "42"), ("unregistered", "1"),
                                   ("place_name", "某某托老所"), ("place_address", "某路 1 号")]))
    inp = form.to_input("web")
    assert (inp.institution_id, inp.place_name, inp.place_address) == (None, "某某托老所", "某路 1 号")


def test_the_operator_form_reads_the_hand_over_time_in_the_local_zone():
    form = OperatorComplaintForm(FormData([("channel", "handover"),
                                           ("received_at", "2026-05-11T09:30")]))
    received, problems = form.received(TZ)
    assert problems == {} and received == datetime(2026, 5, 11, 9, 30, tzinfo=TZ)
    assert OperatorComplaintForm(FormData()).channel.data == "phone"


@pytest.mark.parametrize(("pairs", "field", "start"), [
    ([("channel", "fax")], "channel", "请选择来源"),
    ([("received_at", "2026-05-11T09:30")], "received_at", "原始受理时间只用于 12345 转办件"),
    ([("channel", "handover")], "received_at", "12345 转办件请填写原始受理时间"),
    ([("channel", "handover"), ("received_at", "昨天")], "received_at", "原始受理时间格式不正确"),
])
def test_the_operator_form_names_the_field_of_each_time_problem(pairs, field, start):
    received, problems = OperatorComplaintForm(FormData(pairs)).received(TZ)
    assert received is None and problems[field].startswith(start)


def test_the_operator_form_key_becomes_an_idempotency_key_only_when_short():
    form = OperatorComplaintForm(FormData([("form_key", "k" * 64)]))
    assert form.to_operator_input(7, None).idempotency_key == "operator:7:" + "k" * 64
    assert OperatorComplaintForm(FormData([("form_key", "k" * 65)])).to_operator_input(
        7, None).idempotency_key is None


def test_open311_reads_the_bracketed_attribute_names():
    form = Open311RequestForm(FormData([
        ("service_code", "care"), ("attribute[institution_id]", "5"), ("attribute[district_id]", "2"),
        ("attribute[urgent]", "true"), ("attribute[received_at]", "2026-05-11T09:30:00+08:00"),
        ("last_name", "王"), ("first_name", "五"),
    ]))
    received = form.received()
    inp = form.to_input(3, received, "abc")
    assert received == datetime(2026, 5, 11, 1, 30, tzinfo=UTC)
    assert (inp.channel, inp.institution_id, inp.district_id, inp.urgent, inp.complainant_name,
            inp.anonymous, inp.idempotency_key) == ("handover", 5, 2, True, "王五", False,
                                                    "open311:3:abc")


def test_open311_names_the_field_of_a_bad_time():
    with pytest.raises(BadParameter, match=r"^attribute\[received_at\]: "):
        Open311RequestForm(FormData([("received_at", "soon")])).received()


@pytest.mark.parametrize(("query", "field", "message"), [
    ("", "received_at", "received_at must be an ISO 8601 date-time with offset"),
    ("received_at=2026-05-11T09:30", "received_at", "received_at needs a UTC offset, e.g. +08:00"),
    ("received_at=1900-05-11T09:30Z", "received_at", "received_at must lie in the years 2000–2099"),
    ("received_at=2026-05-11T09:30Z&working_days=0", "working_days", "working_days must be 1–"),
    ("received_at=2026-05-11T09:30Z&working_days=x", "working_days", "working_days must be 1–"),
])
def test_the_clock_query_names_the_field(query, field, message):
    problems = ClockQuery(QueryParams(query)).check()
    assert list(problems) == [field] and problems[field].startswith(message)


def test_the_clock_query_defaults_to_five_working_days():
    query = ClockQuery(QueryParams("received_at=2026-05-11T09:30:00+08:00"))
    assert query.check() == {} and query.working_days.data == 5
    assert query.moment == datetime(2026, 5, 11, 9, 30, tzinfo=TZ).astimezone(TZ)


def test_feedback_must_choose_a_level():
    assert FeedbackForm(FormData([("satisfied", "maybe")])).check() == {
        "satisfied": "请选择满意、基本满意或不满意"}
