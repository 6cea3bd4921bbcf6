"""The compare tray: a selection of up to three institutions kept across the directory's
filters and pages and the institution page's 加入对比 (issue 21, item 7)."""

from __future__ import annotations

import re

from factories import institution
from support import csrf_token

HX = {"HX-Request": "true"}
TRAY = re.compile(r'<section id="compare-tray"[^>]*data-ids="([^"]*)"')


def tray_ids(html: str) -> list[int]:
    match = TRAY.search(html)
    assert match, "no compare tray on the page"
    return [int(i) for i in match.group(1).split()]


def post(client, page: str, headers=None, **data):
    token = csrf_token(client, page)
    return client.post("/institutions/compare/selection", follow_redirects=False,
                       headers={**(headers or {}), "X-CSRF-Token": token},
                       data={"csrf_token": token, "next": page, **data})


def test_the_institution_pages_button_adds_to_the_selection_without_javascript(client, db):
    a, b = institution(db, name="对比甲院"), institution(db, name="对比乙院")
    db.commit()
    page = client.get(f"/institutions/{a.id}").text
    assert f"/institutions/compare?ids={a.id}" not in page  # no one-institution compare
    assert 'name="add"' in page and "加入对比" in page
    response = post(client, f"/institutions/{a.id}", add=str(a.id))
    assert response.status_code == 303 and response.headers["location"] == f"/institutions/{a.id}"
    post(client, f"/institutions/{b.id}", add=str(b.id))
    # The tray shows both on every page; the directory ticks them; the button turns to 移出.
    again = client.get(f"/institutions/{a.id}").text
    assert tray_ids(again) == [a.id, b.id] and "移出对比" in again
    directory = client.get("/institutions/", params={"q": "对比甲院"}).text
    assert tray_ids(directory) == [a.id, b.id]
    # 甲 is on this page and ticked; 乙 is not, and goes along with the no-JS compare form.
    assert f'value="{a.id}" data-compare-pick checked' in directory
    assert f'name="ids" value="{b.id}" data-compare-kept' in directory
    assert f'ids={a.id}&amp;ids={b.id}' in directory  # the tray's 对比 link
    compared = client.get("/institutions/compare").text
    assert "对比甲院" in compared and "对比乙院" in compared and "2 家机构对比" in compared


def test_the_selection_survives_filters_and_pages_and_a_fourth_is_refused(client, db):
    homes = [institution(db, name=f"对比{n}院") for n in "甲乙丙丁"]
    db.commit()
    ids = [h.id for h in homes]
    for inst in homes[:3]:
        # A directory check box with htmx: the tray comes back, the cookie keeps the choice.
        tray = post(client, "/institutions/", headers=HX, pick=str(inst.id), ids=str(inst.id))
        assert tray.status_code == 200 and 'id="compare-tray"' in tray.text
    refused = post(client, "/institutions/?page=2", headers=HX, pick=str(ids[3]), ids=str(ids[3]))
    assert tray_ids(refused.text) == ids[:3] and "最多放 3 家" in refused.text
    # Another filter, another page, the htmx results alone: still ticked from the selection.
    for params in ({"kind": "residential"}, {"page": "2"}, {"q": "对比"}):
        assert tray_ids(client.get("/institutions/", params=params).text) == ids[:3]
    results = client.get("/institutions/", params={"q": "对比"}, headers=HX).text
    assert len(re.findall(r"data-compare-pick checked", results)) == 3
    # Unticking removes; without JavaScript a refusal is said on the page it came from.
    assert tray_ids(post(client, "/institutions/", headers=HX, pick=str(ids[0])).text) == ids[1:3]
    post(client, "/institutions/", add=str(ids[0]))
    plain = post(client, "/institutions/?kind=residential", add=str(ids[3]))
    assert plain.headers["location"] == "/institutions/?kind=residential&compare=full"
    assert "最多放 3 家" in client.get(plain.headers["location"]).text


def test_tray_entries_are_removable_and_cleared(client, db):
    a, b = institution(db, name="对比甲院"), institution(db, name="对比乙院")
    db.commit()
    post(client, "/institutions/", add=str(a.id))
    post(client, "/institutions/", add=str(b.id))
    html = client.get("/institutions/").text
    assert f'name="remove" value="{a.id}"' in html and "从对比栏移除对比甲院" in html
    post(client, "/institutions/", remove=str(a.id))
    assert tray_ids(client.get("/institutions/").text) == [b.id]
    post(client, "/institutions/", clear="1")
    empty = client.get("/institutions/").text
    assert tray_ids(empty) == [] and re.search(r'<section id="compare-tray"[^>]*hidden', empty)


def test_a_bad_cookie_or_a_gone_institution_shows_an_empty_tray(client, db):
    a = institution(db, name="对比甲院")
    db.commit()
    client.cookies.set("portal_compare", f"x.{a.id}.999999.-1")
    assert tray_ids(client.get("/institutions/").text) == [a.id]
    assert client.get("/institutions/compare").status_code == 200
    response = post(client, "/institutions/", add="nope", next="//evil.example/")
    assert response.status_code == 303 and response.headers["location"] == "/institutions/"
