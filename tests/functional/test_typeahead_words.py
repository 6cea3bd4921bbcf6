"""The institution type-ahead of the complaint forms (issue 21 item 4): pinyin initials match
by whole words, nonsense finds nothing even where the search index's trigrams say it might,
and a single hit is offered, never chosen for the user."""

from __future__ import annotations

import re

import pytest

from portal.core.settings import get_settings
from search.rules.pinyin import initials
from search.services.index import rebuild

from factories import district, institution

NAMES = ["东城区清泉园护理院", "东城区福乐长者之家", "东城区安康长者之家", "西城区和美长者之家",
         "东城区幸福养老院"]


@pytest.fixture
def homes(db, env):
    d = district(db, name="东城区")
    rows = {name: institution(db, district_=d, name=name, name_initials=initials(name))
            for name in NAMES}
    db.commit()
    rebuild(get_settings().index_dir, env)  # the index's trigrams are where nonsense came from
    return rows


def options(client, q: str) -> str:
    response = client.get("/complaints/institution-options", params={"institution_q": q},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.text


def offered(html: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", html)


@pytest.mark.parametrize("q", ["qqqq", "zzzzzz", "qqqqqq", "qyh"])
def test_nonsense_initials_offer_no_institution(client, homes, q):
    html = options(client, q)
    assert offered(html) == [] and 'type="radio"' not in html
    assert client.get("/api/v1/institutions/suggest", params={"q": q}).json()["results"] == []


@pytest.mark.parametrize(("q", "expected"), [
    ("qqy", ["东城区清泉园护理院"]),  # a word inside the name (清泉园)
    ("hly", ["东城区清泉园护理院"]),  # 护理院
    ("dcqqq", ["东城区清泉园护理院"]),  # the name's start
    ("zzzj", ["东城区福乐长者之家", "东城区安康长者之家", "西城区和美长者之家"]),
    ("xfyly", ["东城区幸福养老院"]),
])
def test_whole_word_initials_offer_the_institution(client, homes, q, expected):
    assert sorted(offered(options(client, q))) == sorted(expected)


def test_a_single_hit_is_offered_not_chosen(client, homes):
    html = options(client, "qqy")
    assert offered(html) == ["东城区清泉园护理院"]
    radios = re.findall(r'<input type="radio"[^>]*>', html)
    assert len(radios) == 1 and "checked" not in radios[0]


def test_the_no_javascript_find_button_does_not_choose_a_single_hit_either(client, homes):
    from support import csrf_token

    token = csrf_token(client, "/complaints/new")
    page = client.post("/complaints/new", data={"csrf_token": token, "action": "find",
                                                "institution_q": "qqy"})
    assert page.status_code == 200 and "东城区清泉园护理院" in page.text
    assert not re.search(r'name="institution_id" value="\d+"\s+checked', page.text)


def test_an_institution_chosen_stays_chosen(client, homes):
    chosen = homes["东城区清泉园护理院"]
    page = client.get("/complaints/new", params={"institution": chosen.id})
    assert re.search(rf'name="institution_id" value="{chosen.id}"\s+checked', page.text)
