"""Links in templates: the route lookup is made once per route, and gives the router's paths."""

from __future__ import annotations

import random

from portal.templating import _path_for


def test_links_with_ids_are_the_routers_paths_from_one_lookup_per_route(client):
    router = client.app.router
    routes = [("institutions:detail", "institution_id"), ("staff:detail", "complaint_id"),
              ("institutions:print", "institution_id")]
    ids = [0, 1, 7, 10, 99, 400_000, 2**31 - 1, *random.sample(range(1, 10**7), 3000)]
    for name, param in routes:
        for i in ids:
            assert _path_for(router, name, {param: i}) == str(router.url_path_for(name, **{param: i}))
    # One shape per route, not one cache entry per id (400,000 institutions' links missed it).
    assert len(router.__dict__["_portal_url_shapes"]) == len(routes)
    assert len(router.__dict__.get("_portal_url_paths", {})) < 10


def test_links_with_other_parameters_are_the_routers_paths(client):
    router = client.app.router
    for name, params in [("static", {"path": "/css/site.css"}), ("home", {}),
                         ("institutions:detail", {"institution_id": True})]:
        assert _path_for(router, name, params) == str(router.url_path_for(name, **params))


def test_a_page_links_to_its_own_institution(client, db):
    from tests import factories

    inst = factories.institution(db)
    db.commit()
    page = client.get(f"/institutions/{inst.id}").text
    assert f'href="http://testserver/institutions/{inst.id}/print"' in page
