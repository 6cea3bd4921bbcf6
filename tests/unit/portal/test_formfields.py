"""Row ids read from forms: only numbers that can name a row (no database overflow)."""

from __future__ import annotations

import pytest

from portal.formfields import MAX_ROW_ID, parse_id


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), (str(MAX_ROW_ID), MAX_ROW_ID),
    ("", None), ("0", None), ("-3", None), ("abc", None), ("1.5", None), ("١٢", None),
    (str(MAX_ROW_ID + 1), None), ("9999999999", None), ("1" * 30, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


# --- the form layer's fields, read from Starlette's multidicts --------------------------------
from starlette.datastructures import FormData, QueryParams  # noqa: E402

from portal.formfields import (  # noqa: E402
    Choice,
    Flag,
    PortalForm,
    RowId,
    RowIds,
    Text,
    WholeNumber,
)


class _Form(PortalForm):
    name = Text("姓名", required="请填写姓名", max_length=5)
    office = RowId()
    picked = RowId(message="请从列表中选择")
    ids = RowIds()
    days = WholeNumber(low=1, high=30, default=7)
    size = WholeNumber(low=1, high=5, message="人数须为 1–5 人", required=True)
    urgent = Flag()
    yes = Flag(true=("true", "1", "yes"))
    kind = Choice(choices=("a", "b"), message="请选择类别")
    channel = Text(blank="phone")


def test_a_form_reads_starlette_form_data_typed_and_keeps_what_was_typed():
    form = _Form(FormData([("name", " 张三 "), ("office", "12"), ("picked", "3"),
                           ("ids", "1"), ("ids", "x"), ("ids", "0"), ("ids", "9"),
                           ("days", "3"), ("size", "2"), ("urgent", "1"), ("yes", "TRUE"),
                           ("kind", "b")]))
    assert form.check() == {}
    assert (form.name.data, form.office.data, form.picked.data, form.ids.data, form.days.data,
            form.size.data, form.urgent.data, form.yes.data, form.channel.data) == (
        "张三", 12, 3, [1, 9], 3, 2, True, True, "phone")
    assert form.texts("name", "office") == {"name": "张三", "office": "12"}


def test_query_params_read_the_same_way():
    form = _Form(QueryParams("office=99999999999&days=500&urgent=yes"))
    assert (form.office.data, form.days.data, form.urgent.data) == (None, 7, False)
    assert form.office.text == "99999999999"  # kept to show again


def test_each_problem_comes_with_its_chinese_message_keyed_by_field():
    form = _Form(FormData([("name", "六个字的名字"), ("picked", "abc"), ("size", "9"),
                           ("kind", "z")]))
    assert form.check() == {"name": "姓名不能超过 5 个字", "picked": "请从列表中选择",
                            "size": "人数须为 1–5 人", "kind": "请选择类别"}
    blank = _Form(FormData())
    assert blank.check() == {"name": "请填写姓名", "size": "人数须为 1–5 人", "kind": "请选择类别"}
    assert blank.picked.data is None and blank.days.data == 7 and blank.ids.data == []


def test_an_upload_where_text_is_expected_reads_as_blank():
    from io import BytesIO

    from starlette.datastructures import UploadFile

    form = _Form(FormData([("name", UploadFile(BytesIO(b"x"), filename="a.txt"))]))
    assert form.name.data == "" and form.check()["name"] == "请填写姓名"


def test_a_name_sent_twice_reads_as_its_last_value_like_starlette_get():
    form = _Form(FormData([("urgent", "0"), ("urgent", "1"), ("office", "x"), ("office", "5")]))
    assert (form.urgent.data, form.office.data) == (True, 5)
