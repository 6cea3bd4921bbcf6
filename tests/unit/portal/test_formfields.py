"""Row ids read from forms: only numbers that can name a row (no database overflow)."""

from __future__ import annotations

import pytest

from portal.core.formfields import MAX_ROW_ID, parse_id


@pytest.mark.parametrize(("raw", "expected"), [
    ("1", 1), (" 42 ", 42), (str(MAX_ROW_ID), MAX_ROW_ID),
    ("", None), ("0", None), ("-3", None), ("abc", None), ("1.5", None), ("١٢", None),
    (str(MAX_ROW_ID + 1), None), ("9999999999", None), ("1" * 30, None),
])
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


# --- the form layer's fields, read from Starlette's multidicts --------------------------------
from starlette.datastructures import FormData, QueryParams  # noqa: E402

from portal.core.formfields import (  # noqa: E402
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


# --- dates, whole numbers, sums of money, rows: the record and back-office forms' fields ------
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

from portal.core.formfields import After, Day, Integer, Money, RowForm  # noqa: E402

TODAY = date(2026, 3, 10)


class _Dated(PortalForm):
    start = Day("开始日期", required=True, not_future=True)
    end = Day("结束日期", validators=[After("start", "结束日期应晚于开始日期")])
    due = Day("期限", validators=[After("start", "期限不能早于开始日期", same_day=True)])
    free = Day("自由日期")


def _problems(form_class, data, **kwargs):
    return form_class(data, today=TODAY, **kwargs).check()


@pytest.mark.parametrize(("raw", "problem"), [
    ("", "请填写开始日期"),
    ("2026/03/10", "开始日期格式应为 年-月-日，如 2026-03-10"),
    ("2026-02-30", "开始日期格式应为 年-月-日，如 2026-03-10"),
    ("0000-01-01", "开始日期格式应为 年-月-日，如 2026-03-10"),
    ("26-3-1", "开始日期格式应为 年-月-日，如 2026-03-10"),
    ("1948-12-31", "开始日期不应早于 1949 年"),
    ("2026-03-11", "开始日期不能晚于今天（2026-03-10）"),
])
def test_a_date_field_says_what_is_wrong(raw, problem):
    assert _problems(_Dated, {"start": raw}) == {"start": problem}


@pytest.mark.parametrize(("raw", "read"), [
    ("1949-01-01", date(1949, 1, 1)), ("2026-03-10", TODAY), (" 2026-3-1 ", date(2026, 3, 1)),
])
def test_a_date_field_reads_the_boundaries_and_short_forms(raw, read):
    form = _Dated({"start": raw}, today=TODAY)
    assert form.check() == {} and form.start.data == read


def test_a_date_without_not_future_may_be_later_and_blank_is_none_unless_required():
    form = _Dated({"start": "2026-01-01", "free": "2030-01-01"}, today=TODAY)
    assert form.check() == {}
    assert (form.free.data, form.end.data, form.end.text) == (date(2030, 1, 1), None, "")


@pytest.mark.parametrize(("end", "due", "problems"), [
    ("2026-01-02", "2026-01-01", {}),
    ("2026-01-01", "2025-12-31", {"end": "结束日期应晚于开始日期", "due": "期限不能早于开始日期"}),
    ("2025-12-31", "", {"end": "结束日期应晚于开始日期"}),
    ("2026-13-01", "", {"end": "结束日期格式应为 年-月-日，如 2026-03-10"}),
])
def test_after_compares_with_the_earlier_date_on_the_same_day_only_when_allowed(end, due,
                                                                                 problems):
    assert _problems(_Dated, {"start": "2026-01-01", "end": end, "due": due}) == problems


def test_after_is_skipped_while_the_earlier_date_has_a_problem_of_its_own():
    # A future start is no start: the end is not compared with it.
    assert _problems(_Dated, {"start": "2027-01-01", "end": "2026-12-31"}) == {
        "start": "开始日期不能晚于今天（2026-03-10）"}


class _Counted(PortalForm):
    beds = Integer("床位数", required=True, high=500)
    year = Integer("开业年份", low=1949, high=2026)


@pytest.mark.parametrize(("data", "problems"), [
    ({}, {"beds": "请填写床位数"}),
    ({"beds": "-3"}, {"beds": "床位数不能为负数"}),
    ({"beds": "1.5"}, {"beds": "床位数应为整数"}),
    ({"beds": "十"}, {"beds": "床位数应为整数"}),
    ({"beds": "1234567890"}, {"beds": "床位数应为整数"}),
    ({"beds": "501"}, {"beds": "床位数不能大于 500"}),
    ({"beds": "0", "year": "1948"}, {"year": "开业年份不能小于 1949"}),
    ({"beds": "0", "year": "2027"}, {"year": "开业年份不能大于 2026"}),
    ({"beds": "500", "year": "1949"}, {}),
    ({"beds": " 0 ", "year": "2026"}, {}),
])
def test_an_integer_field_says_what_is_wrong(data, problems):
    assert _problems(_Counted, data) == problems


def test_an_integer_out_of_range_keeps_the_number_for_the_rules_between_fields():
    form = _Counted({"beds": "501", "year": "x"})
    form.validate()
    assert (form.beds.data, form.year.data, form.year.text) == (501, None, "x")


class _Priced(PortalForm):
    price = Money("价格", maximum=Decimal("999.99"), required=True)
    fine = Money("罚款金额", maximum=Decimal("999.99"), required="没有罚款请填 0")
    tip = Money("小费", maximum=Decimal("999.99"))


@pytest.mark.parametrize(("data", "problems"), [
    ({}, {"price": "请填写价格（元）", "fine": "没有罚款请填 0"}),
    ({"price": "abc", "fine": "0"}, {"price": "价格应为数字（元），如 5000 或 5000.50"}),
    ({"price": "-1", "fine": "0"}, {"price": "价格不能为负数"}),
    ({"price": "1000", "fine": "0"}, {"price": "价格过大，请核对"}),
    ({"price": "9.999", "fine": "0"}, {"price": "价格最多保留 2 位小数"}),
    ({"price": "999.99", "fine": "0", "tip": "NaN"}, {"tip": "小费应为数字（元），如 5000 或 5000.50"}),
])
def test_a_money_field_says_what_is_wrong(data, problems):
    assert _problems(_Priced, data) == problems


def test_a_money_field_reads_yuan_with_separators_to_two_places():
    form = _Priced({"price": "1,2.5", "fine": "0"}, today=TODAY)
    assert form.check() == {}
    assert (form.price.data, form.fine.data, form.tip.data) == (
        Decimal("12.50"), Decimal("0.00"), None)


class _Row(RowForm):
    item = Text("项目", required=True)
    close = Flag()


def test_a_row_form_reads_and_names_its_fields_with_the_row_number():
    data = FormData([("item-0", "护理费"), ("item-1", ""), ("close-1", "1")])
    first, second = _Row(data, 0), _Row(data, 1)
    assert (first.item.data, first.close.data, first.check()) == ("护理费", False, {})
    assert second.check() == {"item-1": "请填写项目"} and second.close.data is True
    assert second.item.name == "item-1"


def test_a_plain_mapping_is_read_as_a_form_with_one_value_each():
    form = _Counted({"beds": "12", "year": 2000})  # a value that is no text reads as blank
    assert form.check() == {} and (form.beds.data, form.year.data) == (12, None)


def test_a_problem_found_outside_the_field_shows_only_when_it_has_none_of_its_own():
    form = _Counted({"beds": "x", "year": "2000"})
    form.validate()
    form.fail("beds", "床位数与房间数不符")
    form.fail("year", "开业年份早于登记年份")
    assert form.problems == {"beds": "床位数应为整数", "year": "开业年份早于登记年份"}
    assert form.failed("year") and not _Counted({"beds": "1"}).failed("beds")
    form.fail("beds", "床位数多于房间容量", instead=True)
    assert form.problems["beds"] == "床位数多于房间容量"
