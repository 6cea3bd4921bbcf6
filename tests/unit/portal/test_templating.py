"""Links in templates: Starlette's url_path_for, the route found once per link name and
parameter names, escaped for HTML."""

from __future__ import annotations

import random

import pytest
from markupsafe import escape
from starlette.routing import NoMatchFound

from portal.core.templating import _path, _path_html, _route, templates


def test_links_with_ids_are_the_routers_paths_from_one_lookup_per_route(client):
    app = client.app
    router = app.router
    routes = [("institutions:detail", "institution_id"), ("staff:detail", "complaint_id"),
              ("institutions:print", "institution_id")]
    ids = [0, 1, 7, 10, 99, 400_000, 2**31 - 1, *random.sample(range(1, 10**7), 3000)]
    _route.cache_clear()
    for name, param in routes:
        for i in ids:
            expected = str(router.url_path_for(name, **{param: i}))
            assert _path(app, name, {param: i}) == expected
            assert _path_html(app, name, ((param, i),)) == expected
    # One route lookup per link name, whatever the id (400,000 institutions' links).
    assert _route.cache_info().currsize == len(routes)
    # No cache kept in Starlette's router (issue 19).
    assert not [k for k in vars(router) if k.startswith("_portal")]


def test_links_with_other_parameters_are_the_routers_paths(client):
    app = client.app
    router = app.router
    for name, params in [("static", {"path": "/css/site.css"}), ("home", {}),
                         ("institutions:detail", {"institution_id": True}),
                         ("institutions:detail", {"institution_id": "12"}),
                         ("static", {"path": '/x"><script>&.css'})]:
        expected = escape(str(router.url_path_for(name, **params)))
        assert _path_html(app, name, tuple(sorted(params.items()))) == expected


@pytest.mark.parametrize(("name", "params", "error"), [
    ("no-such-route", {}, NoMatchFound),
    ("institutions:detail", {}, NoMatchFound),
    ("institutions:detail", {"institution_id": -1}, AssertionError),
])
def test_links_the_router_cannot_build_fail_as_the_router_does(client, name, params, error):
    with pytest.raises(error):
        client.app.router.url_path_for(name, **params)
    with pytest.raises(error):
        _path(client.app, name, params)


def test_a_link_is_escaped_once_in_a_page(client):
    """url_for gives HTML: a parameter with markup in it stays text, and what is already
    escaped is not escaped again. (Starlette itself ignores a Host header that is no host.)"""
    from starlette.requests import Request

    template = templates.env.from_string(
        '<a href="{{ url_for(\'static\', path=p) }}">{{ url_for(\'home\') ~ \'?q=<b>\' }}</a>')
    scope = {"type": "http", "method": "GET", "path": "/", "root_path": "", "query_string": b"",
             "headers": [(b"host", b"example.org")], "scheme": "http", "server": ("x", 80),
             "app": client.app, "router": client.app.router}
    html = template.render(request=Request(scope), p='/x"><script>&.css')
    assert html == ('<a href="http://example.org/static/x&#34;&gt;&lt;script&gt;&amp;.css">'
                    'http://example.org/?q=&lt;b&gt;</a>')


def test_a_page_links_to_its_own_institution(client, db):
    from tests import factories

    inst = factories.institution(db)
    db.commit()
    page = client.get(f"/institutions/{inst.id}").text
    assert f'href="http://testserver/institutions/{inst.id}/print"' in page


def test_dates_in_pages_are_strftimes_of_the_citys_time():
    import random
    from datetime import UTC, date, datetime, timedelta

    from portal.core.settings import get_settings
    from portal.core.templating import _FORMATS, _deadline, _local, _ymd

    tz = get_settings().timezone
    start = datetime(1999, 12, 31, 15, 59, 30, tzinfo=UTC)
    instants = [start + timedelta(seconds=random.randrange(40 * 365 * 86400)) for _ in range(2000)]
    for instant in [start, *instants]:
        local = instant.astimezone(tz)
        for fmt in [*_FORMATS, "%Y年%m月%d日", "%H:%M:%S"]:
            assert _local(instant, fmt) == local.strftime(fmt)
        assert _local(instant) == local.strftime("%Y-%m-%d %H:%M")
        assert _deadline(instant) == (local - timedelta(seconds=1)).strftime("%Y-%m-%d") + " 24:00"
        assert _ymd(local.date()) == local.strftime("%Y-%m-%d")
    assert _local(None) == _ymd(None) == _deadline(None) == ""
    assert _ymd(date(2026, 1, 2)) == "2026-01-02"
