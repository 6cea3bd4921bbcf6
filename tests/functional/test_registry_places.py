"""Unregistered places in the back office (issue 20): civil affairs adds a place found by an
inspection, a complaint or a market-regulation record; its on-site check deadline and
indicator 2.6 count from the day it was found (the issue's acceptance line), N working days
by the setting (seed 001: 20, seed 002: 10); it is followed to 已取缔 / 已转介, or converted into
a registered institution keeping its row and history; audited; friendly errors."""

from __future__ import annotations

import random
import re
from datetime import date

from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.settings import reset_settings
from portal.institutions.models import Inspection, Institution
from portal.institutions.rules import creditcode
from portal.registry.models import PlaceFollowUp

from factories import department, district
from factories.disclosures import inspection
from support import post_form as post
from support import sign_in

_rng = random.Random(26)
FOUND = date(2025, 8, 8)  # a Friday; no holiday until 中秋/国庆


def a_code() -> str:
    return creditcode.generate(_rng, registration_dept="9", org_type="2", region_code="330102")


def found_place(home, **over) -> dict[str, str]:
    values = {"discovered_via": "inspection", "discovered_on": FOUND.isoformat(),
              "discovered_by": f"{home.name}民政局", "name": "无证托老所", "kind": "residential",
              "nature": "private_forprofit", "district": home.name,
              "street": f"{home.name}第一街道", "address": "老街12号", "beds_total": "20"}
    values.update(over)
    return values


def add(client, db, home, **over) -> Institution:
    response = post(client, "/admin/registry/places/new", **found_place(home, **over))
    assert response.status_code == 303, response.text[:2000]
    db.expire_all()
    return db.scalars(select(Institution).where(Institution.name == "无证托老所")).one()


def indicator(client, code: str, year: int) -> str:
    page = client.get(f"/indicators/{code}?year={year}").text
    return re.search(r'id="indicator-value">([^<]*)<', page).group(1)


def test_a_place_found_by_inspection_counts_from_that_date(client, db, monkeypatch):
    home = district(db)
    civil = department(db, "civil_affairs", home)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    place = add(client, db, home)
    assert (place.filing_status, place.credit_code, place.discovered_on, place.discovered_via,
            place.discovered_by, place.operating_status) == (
        "unregistered", None, FOUND, "inspection", f"{home.name}民政局", "operating")
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "place.create")).one()
    assert event.object_id == str(place.id) and event.detail["discovered_on"] == "2025-08-08"

    # 20 working days after Fri 2025-08-08 (the day not counted): Fri 2025-09-05.
    page = client.get(f"/admin/registry/places/{place.id}").text
    assert "现场检查期限：2025-09-05；未检查（已超期）" in page
    assert "株洲市养老服务综合监管实施方案（征求意见稿）（一）" in page and "昆明市昆政办〔2021〕70号" in page
    listing = client.get("/admin/registry/places/").text
    assert "无证托老所" in listing and "跟进中" in listing

    inspection(db, db.get(Institution, place.id), civil, inspected_on=date(2025, 8, 29))
    db.commit()
    page = client.get(f"/admin/registry/places/{place.id}").text
    assert "现场检查期限：2025-09-05；按期检查，民政部门 2025-08-29 现场检查" in page
    assert indicator(client, "2.6", 2025).startswith("按期检查 1 家，应检查 1 家")
    assert "发现 2025-08-08，应于 2025-09-05 前检查" in client.get("/indicators/2.6?year=2025").text

    # Seed 002's 10 working days: due Fri 2025-08-22, so the check on 08-29 is late.
    monkeypatch.setenv("PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS", "10")
    reset_settings()
    page = client.get(f"/admin/registry/places/{place.id}").text
    assert "现场检查期限：2025-08-22；逾期检查" in page and "10 个工作日" in page
    assert indicator(client, "2.6", 2025).startswith("按期检查 0 家，应检查 1 家")


def test_a_place_is_followed_and_converted_keeping_its_history(client, db):
    home = district(db)
    civil = department(db, "civil_affairs", home)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    place = add(client, db, home, discovered_via="complaint", discovered_by="12345热线")
    inspection(db, place, civil, inspected_on=date(2025, 8, 20))
    db.commit()
    follow = f"/admin/registry/places/{place.id}/follow-up"
    refused = post(client, follow, outcome="referred", decided_on="2025-08-01", note="")
    assert refused.status_code == 400
    assert "请写明转介给哪个部门及原因" in refused.text and "不能早于发现日期 2025-08-08" in refused.text
    assert post(client, follow, outcome="referred", decided_on="2025-08-25",
                note="转区市场监管局查处无照经营").status_code == 303

    convert = f"/admin/registry/places/{place.id}/convert"
    refused = post(client, convert, name="无证托老所", nature="private_forprofit",
                   credit_code="", decided_on="2025-10-10")
    assert refused.status_code == 400 and "统一社会信用代码" in refused.text
    code = a_code()
    done = post(client, convert, name="无证托老所", nature="private_forprofit", credit_code=code,
                legal_representative="李某", filing_no="测民养备〔2025〕0009号",
                filing_date="2025-10-10", decided_on="2025-10-10", note="已办理备案")
    assert done.status_code == 303, done.text[:2000]
    db.expire_all()
    inst = db.get(Institution, place.id)
    assert (inst.filing_status, inst.credit_code, inst.filing_date, inst.discovered_on) == (
        "filed", code, date(2025, 10, 10), FOUND)
    assert db.scalars(select(Inspection.inspected_on).where(
        Inspection.institution_id == place.id)).all() == [date(2025, 8, 20)]
    assert [u.outcome for u in db.scalars(select(PlaceFollowUp).order_by(PlaceFollowUp.id))] == [
        "referred", "registered"]
    actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))
               if e.action != "login"]
    assert actions == ["place.create", "place.follow_up", "institution.update",
                       "place.follow_up"]
    page = client.get(f"/admin/registry/places/{place.id}").text
    assert "跟进状态：<strong>已登记</strong>" in page and "转为登记机构</button>" not in page
    again = post(client, follow, outcome="banned", decided_on="2025-10-11", note="取缔")
    assert again.status_code == 400 and "该场所已登记，不能再记录为已取缔" in again.text
    # Filed now: indicator 2.5 counts it from its filing, 2.6 no more.
    assert "应检查 0 家" in indicator(client, "2.6", 2025)
    assert "无证托老所" in client.get("/indicators/2.5?year=2025").text


def test_adding_a_place_is_checked_and_kept_to_civil_affairs(client, db):
    home = district(db)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, "/admin/registry/places/new", **found_place(
        home, discovered_via="", discovered_on="2099-01-01", discovered_by="", name="",
        credit_code="123", district="火星区"))
    assert response.status_code == 400
    for message in ("请选择发现途径", "发现日期不能晚于今天", "请填写发现单位或人员",
                    "统一社会信用代码"):
        assert message in response.text, message
    market = post(client, "/admin/registry/places/new", **found_place(
        home, discovered_via="market_record", credit_code=a_code(), kind="residential"))
    assert market.status_code == 303
    db.expire_all()
    assert db.scalars(select(Institution.filing_status)).all() == ["registered_unfiled"]

    sign_in(client, db, Role.DEPARTMENT, department_id=department(db, "market_regulation", home).id)
    listing = client.get("/admin/registry/places/")  # civil affairs' places: none of its own
    assert listing.status_code == 200 and "无证托老所" not in listing.text
    refused = post(client, "/admin/registry/places/new", **found_place(home, name="另一处"))
    assert refused.status_code == 403


def test_a_district_office_lists_and_opens_its_own_places_only(client, db):
    home, other = district(db), district(db)
    own_office = department(db, "civil_affairs", home)
    db.commit()
    sign_in(client, db, Role.SUPERVISOR)
    mine = add(client, db, home)
    theirs = post(client, "/admin/registry/places/new",
                  **found_place(other, name="别区托老点", discovered_on="2025-09-01"))
    assert theirs.status_code == 303
    db.expire_all()
    theirs_id = db.scalars(select(Institution.id).where(Institution.name == "别区托老点")).one()
    sign_in(client, db, Role.DEPARTMENT, department_id=own_office.id)
    listing = client.get("/admin/registry/places/").text
    assert "无证托老所" in listing and "别区托老点" not in listing
    assert client.get(f"/admin/registry/places/{mine.id}").status_code == 200
    assert client.get(f"/admin/registry/places/{theirs_id}").status_code == 403
