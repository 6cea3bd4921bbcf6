"""How data reads on the public pages (issue 21 items 9 and 12): addresses name district and
street once, the unregistered list is newest first, names sort in pinyin order, the directory's
name box takes pinyin initials, the search help's example finds something, one price format."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from test_institution_pages import result_ids
from test_search import Page, build_index

from portal.core.templating import templates
from portal.institutions.models import Inspection
from portal.orgs.models import Street
from search.rules.pinyin import initials

from factories import department, district, institution
from factories.opendays import scheduled_open_day


def test_institution_page_and_lists_name_district_and_street_once(client, db):
    d = district(db, name="东城区")
    street = Street(district_id=d.id, name="东华街道")
    db.add(street)
    db.flush()
    full = institution(db, district_=d, street_id=street.id, name="重复地址颐养院",
                       address="东城区东华街道文化路12号")
    place = institution(db, district_=d, street_id=street.id, name="无证托老所",
                        filing_status="unregistered", address="东城区文化路3号")
    db.commit()
    page = client.get(f"/institutions/{full.id}").text
    assert "东城区东华街道文化路12号" in page
    assert "东城区东城区" not in page and "东华街道东华街道" not in page
    listed = client.get("/institutions/lists/unregistered").text
    assert "东城区东华街道文化路3号" in listed and "东城区东城区" not in listed
    assert place.name in listed


def test_event_page_shows_the_address(client, db):
    event = scheduled_open_day(db)
    inst = event.institution
    inst.address = "文化路8号"
    db.commit()
    html = client.get(f"/opendays/{event.id}").text
    assert "<dt>地址</dt>" in html
    assert f"{inst.district.name}文化路8号" in html


def test_unregistered_list_is_newest_first_by_what_is_known(client, db):
    d = district(db)
    market = department(db, "market_regulation")
    old = institution(db, district_=d, name="甲场所", filing_status="unregistered",
                      discovered_on=date(2025, 1, 1))
    middle = institution(db, district_=d, name="乙场所", filing_status="unregistered",
                         discovered_on=date(2026, 3, 1))
    # Found date not recorded, but inspected last: known since then at the latest.
    recent = institution(db, district_=d, name="丙场所", filing_status="unregistered")
    db.add(Inspection(institution_id=recent.id, inspected_on=date(2026, 9, 9),
                      department_id=market.id, items_checked="无证经营检查"))
    unknown = institution(db, district_=d, name="丁场所", filing_status="unregistered")
    db.commit()
    html = client.get("/institutions/lists/unregistered").text
    order = [html.index(i.name) for i in (recent, middle, old, unknown)]
    assert order == sorted(order)
    assert "不晚于 2026-09-09（首次检查）" in html


def test_directory_sorts_names_in_pinyin_order(client, db):
    d = district(db)
    # Code point order: 幸 (U+5E78) < 爱 (U+7231) < 长 (U+957F); pinyin: ai < chang < xing.
    ids = {name: institution(db, district_=d, name=name).id
           for name in ["幸福颐养院", "爱心护理院", "长青老年公寓"]}
    db.commit()
    assert result_ids(client, district=d.id, sort="name") == [
        ids["爱心护理院"], ids["长青老年公寓"], ids["幸福颐养院"]]


def test_directory_name_box_takes_pinyin_initials_like_search(client, db):
    d = district(db)
    happy = institution(db, district_=d, name="幸福养老院")
    institution(db, district_=d, name="清泉园护理院")
    institution(db, district_=d, name="长者之家")
    db.commit()
    assert result_ids(client, q="xfyly") == [happy.id]
    assert result_ids(client, q="XFYLY") == [happy.id]
    # The type-ahead's rule: initials from the start of a word, not a run of one letter.
    assert result_ids(client, q="qqqq") == []
    assert result_ids(client, q="幸福") == [happy.id]


def test_search_help_example_finds_what_it_names(client, db, env):
    d = district(db)
    for name in ["示范市颐和园养老中心", "康宁护理院"]:
        institution(db, district_=d, name=name, name_initials=initials(name))
    db.commit()
    build_index(env)
    help_html = client.get("/search").text
    match = re.search(r"例如 <a href=\"[^\"]*\?q=([a-z]+)\">\1</a>（([^）]+)）", help_html)
    assert match, help_html[:2000]
    letters, name = match.groups()
    assert letters != "xfyly"
    found = Page(client.get("/search", params={"q": letters}).text).result_titles
    assert name in found


def test_one_price_format_everywhere():
    money = templates.env.filters["money"]
    assert money(Decimal("6489.5")) == "6,489.50"
    assert money(Decimal("6489.505")) == "6,489.51"  # half up to the fen, as facts.yuan
    assert money(6490) == "6,490.00"
    # The "每月约" estimates in whole yuan, the same figure in the directory and in search.
    assert money(Decimal("6489.50"), whole=True) == "6,490" == money(6490, whole=True)
    assert money(None) == "—"
    for name in ["search/_results.html", "institutions/_results.html", "institutions/_page.html"]:
        source = templates.env.loader.get_source(templates.env, name)[0]
        estimates = re.findall(r"每月约 \{\{[^}]*\}\}", source)
        assert estimates and all("money(whole=True)" in e for e in estimates), name
