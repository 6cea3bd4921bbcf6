"""The search page, its JSON API and the type-ahead, over HTTP with a real index and database."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest

from portal.core.settings import get_settings
from portal.institutions.models import Inspection, Penalty
from search.rules.pinyin import initials
from search.services.index import rebuild

from factories import department, district, institution

ODD_QUERIES = ["", "AND (", "*", '"', "养" * 200, "name:x", "<script>alert(1)</script>", "%_\\"]


class Page(HTMLParser):
    """Tags, label targets and the text of <mark> elements of an HTML page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.marks: list[str] = []
        self.result_titles: list[str] = []
        self._in: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)
        if tag == "h2" and any(a.get("class") == "result" for t, a in self.tags if t == "li"):
            self.result_titles.append("")

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data):
        if "mark" in self._in:
            self.marks.append(data)
        if "h2" in self._in and self.result_titles:
            self.result_titles[-1] += data

    def ids(self, tag: str) -> set[str]:
        return {a["id"] for t, a in self.tags if t == tag and "id" in a}


def inspected(db, inst, findings: str) -> None:
    db.add(
        Inspection(
            institution_id=inst.id,
            inspected_on=date(2026, 3, 2),
            department_id=department(db).id,
            items_checked="双随机抽查",
            findings=findings,
        )
    )


def penalised(db, inst, violation: str) -> None:
    db.add(
        Penalty(
            institution_id=inst.id,
            decision_no=f"示罚〔2026〕{inst.id}号",
            department_id=department(db).id,
            decided_on=date(2026, 4, 1),
            violation=violation,
            basis="《消防法》",
            penalty="罚款",
        )
    )


def build_index(env: str) -> None:
    rebuild(get_settings().index_dir, env)


def api(client, **params) -> dict:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_word_inside_an_inspection_finding_is_found_and_highlighted(client, db, env):
    inst = institution(db, name="幸福养老院")
    inspected(db, inst, "发现消防安全隐患两处，已责令整改")
    institution(db, name="无关颐养院")
    db.commit()
    build_index(env)

    response = client.get("/search", params={"q": "消防"})
    assert response.status_code == 200
    page = Page(response.text)
    assert page.result_titles == ["幸福养老院"]
    assert "消防" in page.marks
    body = api(client, q="消防")
    assert [r["name"] for r in body["results"]] == ["幸福养老院"]
    assert any("<mark" in h["html"] for h in body["results"][0]["highlights"])


def test_a_name_match_ranks_above_a_mention_in_a_penalty(client, db, env):
    mentioned = institution(db, name="康宁护理院")
    penalised(db, mentioned, "消防设施未保持完好有效，消防通道堵塞")
    institution(db, name="消防示范养老院")
    db.commit()
    build_index(env)
    assert [r["name"] for r in api(client, q="消防")["results"]] == ["消防示范养老院", "康宁护理院"]


def test_type_ahead_finds_a_name_by_pinyin_initials_and_by_characters(client, db):
    for name in ["幸福养老院", "幸运颐养院", "和平敬老院"]:
        institution(db, name=name, name_initials=initials(name))
    db.commit()
    cases = {
        "xfyly": ["幸福养老院"],
        "XFY": ["幸福养老院"],
        "yly": ["幸福养老院"],
        "幸": ["幸福养老院", "幸运颐养院"],
        "敬老": ["和平敬老院"],
    }
    for q, expected in cases.items():
        response = client.get("/api/v1/institutions/suggest", params={"q": q})
        assert response.status_code == 200
        results = response.json()["results"]
        assert sorted(r["name"] for r in results) == sorted(expected), q
        assert set(results[0]) == {"id", "name", "district", "address"}


def test_type_ahead_returns_at_most_ten_and_escapes_like_wildcards(client, db):
    for n in range(12):
        institution(db, name=f"同名养老院{n}", name_initials=initials(f"同名养老院{n}"))
    db.commit()
    assert len(client.get("/api/v1/institutions/suggest?q=tmyly").json()["results"]) == 10
    assert client.get("/api/v1/institutions/suggest", params={"q": "%"}).json()["results"] == []


def test_changning_is_read_chang_in_type_ahead_and_found_by_district(client, db, env):
    changning = district(db, name="长宁区")
    institution(
        db, district_=changning, name="长宁区康乐养老院", name_initials=initials("长宁区康乐养老院")
    )
    institution(db, name="别处养老院")
    db.commit()
    build_index(env)
    suggested = client.get("/api/v1/institutions/suggest?q=cnq").json()["results"]
    assert [r["name"] for r in suggested] == ["长宁区康乐养老院"]
    assert [r["district"] for r in suggested] == ["长宁区"]
    assert [r["name"] for r in api(client, q="长宁")["results"]] == ["长宁区康乐养老院"]
    assert [r["name"] for r in api(client, q="cnqkl")["results"]] == ["长宁区康乐养老院"]


def test_type_ahead_finds_rare_substrings_and_other_readings_through_the_index(
    client, db, env
):
    changning = district(db, name="长宁区")
    target = institution(
        db, district_=changning, name="长宁区康乐养老院", name_initials=initials("长宁区康乐养老院")
    )
    for n in range(5):
        institution(db, name=f"平安养老院{n}", name_initials=initials(f"平安养老院{n}"))
    db.commit()
    build_index(env)
    for q in ["klyl", "康乐", "znqkl"]:  # znq…: 长 read zhǎng, only the index knows it
        results = client.get("/api/v1/institutions/suggest", params={"q": q}).json()["results"]
        assert [r["id"] for r in results] == [target.id], q


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_queries_get_a_friendly_page_never_an_error(client, db, env, q):
    institution(db, name="平安养老院")
    db.commit()
    build_index(env)
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get("/search", params={"q": q}, headers=headers)
        assert response.status_code == 200, (q, headers)
        assert "Traceback" not in response.text and "<script>alert" not in response.text
        assert "机构" in response.text


def test_odd_queries_in_the_api_are_answered_or_refused_in_json(client, db, env):
    institution(db, name="平安养老院")
    db.commit()
    build_index(env)
    for q in ODD_QUERIES:
        response = client.get("/api/v1/search", params={"q": q})
        if len(q) > 100:
            assert response.status_code == 400
            assert response.json()["error"]["field"] == "q"
        else:
            assert response.status_code == 200, q
            assert isinstance(response.json()["results"], list)
    assert {n["code"] for n in api(client, q="AND (")["notices"]} == {"no_terms"}


def test_long_queries_on_the_page_are_cut_with_a_notice(client, db, env):
    institution(db, name="平安养老院")
    db.commit()
    build_index(env)
    assert "只按前 100 个字搜索" in client.get("/search", params={"q": "养" * 200}).text


def test_facet_counts_and_filters_on_a_small_set(client, db, env):
    east, west = district(db, name="东城区"), district(db, name="西城区")
    institution(db, district_=east, name="东一养老院", kind="residential", beds_vacant=0)
    institution(db, district_=east, name="东二养老院", kind="residential", beds_vacant=5)
    institution(db, district_=east, name="东三日间照料中心", kind="community", beds_vacant=0)
    institution(db, district_=west, name="西一养老院", kind="residential", nature="public")
    db.commit()
    build_index(env)

    def counts(body, facet):
        return {f["label"]: f["count"] for f in body["facets"][facet] if f["count"]}

    everything = api(client)
    assert everything["total"] == 4
    assert counts(everything, "district") == {"东城区": 3, "西城区": 1}
    assert counts(everything, "kind") == {"养老机构": 3, "居家社区养老服务机构": 1}
    assert counts(everything, "nature") == {"民办非营利": 3, "公办": 1}
    assert counts(everything, "vacancies") == {"有空余床位": 2}  # the factory's default is 10
    assert counts(everything, "price") == {"2000 元以下": 4}  # the factory's 1,800 bed fee

    east_only = api(client, district=east.id)
    assert east_only["total"] == 3
    # The chosen facet still counts the other choices; the others count within 东城区.
    assert counts(east_only, "district") == {"东城区": 3, "西城区": 1}
    assert counts(east_only, "kind") == {"养老机构": 2, "居家社区养老服务机构": 1}
    narrowed = api(client, district=east.id, kind="residential", vacancies="1")
    assert [r["name"] for r in narrowed["results"]] == ["东二养老院"]
    assert api(client, q="养老院", nature="public")["total"] == 1


def test_pages_of_results(client, db, env):
    for n in range(25):
        institution(db, name=f"福寿养老院{n:02d}")
    db.commit()
    build_index(env)
    first, second = api(client, q="福寿"), api(client, q="福寿", page=2)
    assert (first["total"], first["pages"], len(first["results"])) == (25, 2, 20)
    assert len(second["results"]) == 5
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    assert api(client, q="福寿", page=99)["page"] == 2  # past the end: the last page
    assert "第 2 / 2 页" in client.get("/search", params={"q": "福寿", "page": "2"}).text


def test_htmx_gets_the_fragment_and_everyone_else_the_page(client, db, env):
    institution(db, name="平安养老院")
    db.commit()
    build_index(env)
    full = client.get("/search?q=平安")
    fragment = client.get("/search?q=平安", headers={"HX-Request": "true"})
    assert "<html" in full.text and "<html" not in fragment.text
    assert 'id="search-app"' in fragment.text and "平安" in fragment.text
    assert fragment.headers["vary"] == "HX-Request"
    restore = client.get(
        "/search?q=平安", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


def test_search_page_is_accessible_and_has_no_inline_code(client, db, env):
    institution(db, name="平安养老院")
    db.commit()
    build_index(env)
    page = Page(client.get("/search?q=平安&kind=residential").text)
    labelled = {a.get("for") for t, a in page.tags if t == "label"}
    for tag in ("input", "select"):
        for t, attrs in page.tags:
            if t == tag and attrs.get("type") != "hidden":
                assert attrs.get("id") in labelled, attrs
    for tag, attrs in page.tags:
        assert "style" not in attrs and not any(a.startswith("on") for a in attrs)
        if tag == "script":
            assert attrs.get("src")
    form = next(a for t, a in page.tags if t == "form" and a.get("role") == "search")
    assert form["method"] == "get" and form["action"].endswith("/search")  # works without JS
    assert form["hx-push-url"] == "true"


def test_names_and_texts_are_escaped_in_highlights(client, db, env):
    inst = institution(db, name="<b>阳光</b>养老院")
    inspected(db, inst, "<img src=x onerror=alert(1)>阳光房消防隐患")
    db.commit()
    build_index(env)
    html = client.get("/search?q=阳光").text
    assert "<img src=x" not in html and "<b>阳光" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_bad_api_input_is_a_json_400_naming_the_field(client):
    for params, field in [
        ({"kind": "casino"}, "kind"),
        ({"page": "abc"}, "page"),
        ({"per_page": "500"}, "per_page"),
        ({"district": "-1"}, "district"),
        ({"price": "free"}, "price"),
    ]:
        response = client.get("/api/v1/search", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"] == {
            "status": 400,
            "message": response.json()["error"]["message"],
            "field": field,
        }
    for params in [{}, {"q": "  "}, {"q": "长" * 51}, {"q": "x", "limit": "11"}]:
        response = client.get("/api/v1/institutions/suggest", params=params)
        assert response.status_code == 400, params
        assert response.json()["error"]["field"] in {"q", "limit"}


def test_without_an_index_search_is_politely_unavailable(client, db):
    response = client.get("/search?q=消防")
    assert response.status_code == 503
    assert "搜索服务正在维护" in response.text
    assert client.get("/search?q=消防", headers={"HX-Request": "true"}).status_code == 200
    api_response = client.get("/api/v1/search?q=消防")
    assert api_response.status_code == 503 and api_response.json()["error"]["status"] == 503
    # The type-ahead reads the database, so it still works.
    assert client.get("/api/v1/institutions/suggest?q=x").status_code == 200


def test_the_monthly_fee_in_search_is_the_directorys(client, db, env):
    """One definition of 每月约 (portal/institutions/rules/facts.py): a quarterly row counts by
    the month, a row not yet in force does not, room types are alternatives."""
    from datetime import date as day
    from decimal import ROUND_HALF_UP, Decimal

    from factories.disclosures import fee

    inst = institution(db, name="季付颐养院")
    fee(db, inst, "床位费（双人间）", "1500.00")
    fee(db, inst, "床位费（单人间）", "2400.00")
    fee(db, inst, "护理费", "2700.00", cycle="季")  # 900 a month
    fee(db, inst, "餐费", "9999.00", effective_from=day(2999, 1, 1))  # not yet in force
    db.commit()
    build_index(env)
    listed = client.get("/api/v1/institutions", params={"q": "季付颐养院"}).json()["items"]
    fee_shown = listed[0]["monthly_fee"]
    whole = [int(Decimal(fee_shown[k]).quantize(Decimal(1), ROUND_HALF_UP)) for k in ("low", "high")]
    assert whole == [2400, 3300]
    found = api(client, q="季付颐养院")["results"][0]
    assert [found["monthly_price"]["min"], found["monthly_price"]["max"]] == whole
    assert "每月约 2,400–3,300 元" in client.get("/search", params={"q": "季付颐养院"}).text
