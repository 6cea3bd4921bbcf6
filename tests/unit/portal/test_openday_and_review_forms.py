"""The open-day, review, account and open-data forms: what they read, and what they show again."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData, QueryParams

from portal.accounts.forms import LoginForm, UserForm
from portal.opendata.forms import IndicatorQuery
from portal.opendata.services.indicators import CITY
from portal.opendays.forms import ListQuery, OverdueQuery, SignupForm
from portal.reviews.forms import ReviewForm
from portal.reviews.models import DIMENSIONS


def test_a_signup_form_goes_back_to_the_page_as_typed_phone_included():
    """Issue 21 item 11: a form shown again keeps every field; the phone was typed by the
    same browser a moment ago (the answer is no-store)."""
    form = SignupForm(FormData([("name", " 李四 "), ("phone", "13812345678"),
                                ("identity", "family"), ("party_size", "2")]))
    assert form.to_input().name == "李四" and form.to_input().phone == "13812345678"
    assert form.shown_again() == {"name": "李四", "phone": "13812345678", "identity": "family",
                                  "party_size": "2"}


def test_open_day_queries_ignore_junk():
    assert ListQuery(QueryParams("district=9999999999999")).district.data is None
    assert OverdueQuery(QueryParams("days=0")).days.data is None
    assert OverdueQuery(QueryParams("days=3651")).days.data is None
    assert OverdueQuery(QueryParams("days=90")).days.data == 90


def test_a_review_reads_every_dimension_and_goes_back_to_the_page_as_typed():
    column = DIMENSIONS[0][0]
    form = ReviewForm(FormData([(column, "5"), ("text", "很好"), ("phone", "13812345678")]))
    inp = form.to_input(7)
    assert inp.ratings[column] == "5" and set(inp.ratings) == {c for c, _ in DIMENSIONS}
    assert form.shown_again()["phone"] == "13812345678" and form.shown_again()["text"] == "很好"
    assert form.shown_again()[column] == "5"


def test_a_password_is_read_as_typed():
    assert LoginForm(FormData([("password", " secret ")])).password.data == " secret "


def test_a_new_user_row_id_is_none_when_blank_and_zero_when_junk():
    form = UserForm(FormData([("role", "nobody"), ("department_id", "x")]))
    assert form.check() == {"role": "请选择角色"}
    assert form.row_id(form.department_id) == 0 and form.row_id(form.institution_id) is None


def test_indicator_year_and_scope_fall_back_to_this_year_and_the_city():
    today = date(2026, 12, 7)
    assert IndicatorQuery(QueryParams("year=2030&district=abc")).chosen(today) == (2026, CITY)
    assert IndicatorQuery(QueryParams("year=" + "9" * 5000)).chosen(today) == (2026, CITY)
    assert IndicatorQuery(QueryParams("year=2024&district=3")).chosen(today) == (2024, 3)
