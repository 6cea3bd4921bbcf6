"""Links in templates: the route lookup is made once per route, and gives the router's paths,
escaped for HTML."""

from __future__ import annotations

import random

from markupsafe import escape

from portal.templating import _path_html, templates


def test_links_with_ids_are_the_routers_paths_from_one_lookup_per_route(client):
    router = client.app.router
    routes = [("institutions:detail", "institution_id"), ("staff:detail", "complaint_id"),
              ("institutions:print", "institution_id")]
    ids = [0, 1, 7, 10, 99, 400_000, 2**31 - 1, *random.sample(range(1, 10**7), 3000)]
    for name, param in routes:
        for i in ids:
            assert _path_html(router, name, {param: i}) == str(router.url_path_for(name, **{param: i}))
    # One shape per route, not one cache entry per id (400,000 institutions' links missed it).
    assert len(router.__dict__["_portal_url_shapes"]) == len(routes)
    assert len(router.__dict__.get("_portal_url_paths", {})) < 10


def test_links_with_other_parameters_are_the_routers_paths(client):
    router = client.app.router
    for name, params in [("static", {"path": "/css/site.css"}), ("home", {}),
                         ("institutions:detail", {"institution_id": True}),
                         ("static", {"path": '/x"><script>&.css'})]:
        assert _path_html(router, name, params) == escape(str(router.url_path_for(name, **params)))


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

    from portal.settings import get_settings
    from portal.templating import _FORMATS, _deadline, _local, _ymd

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
