"""Characters that Python's str.isdigit() accepts but int() refuses (superscripts ², circled
digits ①) in every numeric query parameter and form field that read them: a page or a friendly
message, never a 500. `isdigit()` followed by `int()` crashed /institutions?page=² and
?district=² (found while moving the parses into the form layer, issue 19)."""

from __future__ import annotations

import pytest

from portal.settings import get_settings
from search.index import rebuild

from factories import district, institution
from support import server_error

NOT_INTS = ["²", "①", "1²", "²⁰²⁴"]

URLS = [
    "/institutions/?page={v}",
    "/institutions/?district={v}",
    "/institutions/?beds_min={v}",
    "/institutions/?beds_max={v}",
    "/institutions/?street={v}",
    "/institutions/lists/penalties?page={v}",
    "/stats?year={v}",
    "/stats?month={v}",
    "/opendays?month={v}",
    "/search?q=a&page={v}",
    "/api/v1/institutions?page={v}",
    "/api/v1/institutions?district={v}",
    "/api/v1/clock?received_at=2026-09-30T16:30:00Z&working_days={v}",
]


@pytest.mark.parametrize("value", NOT_INTS)
def test_digits_that_int_refuses_never_give_a_500(client, db, value):
    d = district(db, name="南湖区")
    institution(db, district_=d, name="测试养老院")
    db.commit()
    rebuild(get_settings().index_dir, get_settings().database_url)
    for url in URLS:
        assert client.get(url.format(v="1")).status_code == 200, url  # the route reads it
        response = client.get(url.format(v=value))
        assert not server_error(url, response.status_code), (url, value, response.status_code)
        assert response.status_code in (200, 400), (url, value, response.status_code)
