"""The complaint rules' reference data (complaints/services/reference.py) is read once per change: a
session reads one number, and any change of the rules, the offices or the calendar years, by the
services, the ORM or plain SQL, is seen by the next session (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text, update

from complaints.models import HolidayYear, RoutingRule
from complaints.rules.calendar import YearSchedule
from complaints.rules.intake import ComplaintInput
from complaints.services.calendar_store import load_calendar, save_year
from complaints.services.filing import active_rules, build_services, office_map
from complaints.services.reference import reference
from portal.core.db import session_factory
from portal.core.settings import get_settings
from portal.orgs.models import Department

from factories import department, district, institution
from support import statements


def fresh(env: str):
    return session_factory(get_settings().database_url)()


def test_a_session_reads_one_number_while_nothing_changed(db, env):
    with fresh(env) as one:  # a session of the portal's engine, as the other is
        first = reference(one)
    with fresh(env) as other, statements(other) as seen:
        again = reference(other)
        load_calendar(other), active_rules(other), office_map(other)
    assert again is first
    assert len(seen) == 1 and "reference_version" in seen[0]


def test_rule_changes_by_orm_and_by_sql_reach_the_next_session(db, env):
    assert active_rules(db)["food_safety"].responsible_type == "market_regulation"
    db.commit()
    with fresh(env) as admin:
        admin.get(RoutingRule, "food_safety").label = "食品安全（改）"
        admin.commit()
    with fresh(env) as other:
        assert active_rules(other)["food_safety"].label == "食品安全（改）"
    with fresh(env) as admin:
        admin.execute(update(RoutingRule).where(RoutingRule.code == "land_use")
                      .values(active=False))
        admin.commit()
    with fresh(env) as other:
        assert "land_use" not in active_rules(other)
        assert list(active_rules(other))[0] == "service_quality"  # still in their order


def test_a_changed_rule_routes_the_next_complaint(db, env):
    d = district(db, name="东城区")
    civil = department(db, "civil_affairs", d)
    market = department(db, "market_regulation", d)
    inst = institution(db, district_=d)
    db.commit()

    def file() -> int:
        with fresh(env) as s:
            intake, _ = build_services(s, get_settings())
            complaint, _ = intake.submit(ComplaintInput(
                channel="web", category_code="food_safety", description="饭菜变质，老人吃了拉肚子",
                institution_id=inst.id, anonymous=True))
            s.commit()
            return complaint.responsible_department_id

    assert file() == market.id
    with fresh(env) as admin:
        admin.execute(text("UPDATE routing_rules SET responsible_type = 'civil_affairs' "
                           "WHERE code = 'food_safety'"))
        admin.commit()
    assert file() == civil.id


def test_new_offices_and_calendar_years_reach_the_next_session(db, env):
    d = district(db)
    db.commit()
    known = dict(office_map(db))
    db.commit()
    with fresh(env) as admin:
        office = department(admin, "health", d)
        admin.commit()
    with fresh(env) as other:
        offices = office_map(other)
        assert offices[("health", d.id)] == office.id and len(offices) == len(known) + 1
        assert reference(other).office_names[office.id] == office.name
    with fresh(env) as admin:
        admin.execute(update(Department).where(Department.id == office.id).values(name="改名"))
        admin.commit()
    with fresh(env) as other:
        assert reference(other).office_names[office.id] == "改名"

    assert 2031 not in load_calendar(db).known_years()
    db.commit()
    with fresh(env) as admin:
        save_year(admin, YearSchedule(2031, frozenset({date(2031, 1, 1)}), frozenset(), "测试"),
                  None)
        admin.commit()
    with fresh(env) as other:
        assert not load_calendar(other).is_workday(date(2031, 1, 1))
    with fresh(env) as admin:
        admin.execute(text("DELETE FROM holiday_years WHERE year = 2031"))
        admin.commit()
    with fresh(env) as other:
        assert 2031 not in load_calendar(other).known_years()


def test_a_session_sees_its_own_changes(db):
    assert 2032 not in load_calendar(db).known_years()
    db.add(HolidayYear(year=2032, holidays=["2032-01-01"], makeup_workdays=[], source="测试"))
    db.flush()
    assert 2032 in load_calendar(db).known_years()
    db.rollback()
    assert 2032 not in load_calendar(db).known_years()


def test_a_signed_in_request_reads_the_number_with_its_session(client, db, env):
    """The session lookup brings the number (portal.core.reference_version): a queue view runs no
    statement of its own for it, and still sees a rule changed just before it."""
    from portal.accounts.rules.roles import Role

    from support import sign_in

    office = department(db, "civil_affairs")
    sign_in(client, db, Role.DEPARTMENT, department_id=office.id)
    assert client.get("/staff/queue").status_code == 200
    with fresh(env) as admin:
        admin.execute(update(RoutingRule).where(RoutingRule.code == "food_safety")
                      .values(label="食品安全（新）"))
        admin.commit()
    with statements(db) as seen:
        page = client.get("/staff/queue")
    assert page.status_code == 200 and "食品安全（新）" in page.text
    lookups = [s for s in seen if "user_sessions" in s]
    assert len(lookups) == 1 and "reference_version" in lookups[0]
    assert not [s for s in seen if "reference_version" in s and "user_sessions" not in s]


def test_an_open311_filing_reads_the_number_with_its_api_key(client, db):
    from portal.accounts.rules.roles import Role
    from portal.accounts.services import AccountService

    from factories import user

    d = district(db, name="西城区")
    department(db, "civil_affairs")
    department(db, "market_regulation", d)
    inst = institution(db, district_=d, name="西城颐养院")
    key = AccountService(db).create_api_key(user(db, Role.OPERATOR), "12345").secret
    db.commit()
    with statements(db) as seen:
        filed = client.post("/open311/v2/requests.json", headers={"X-API-Key": key}, data={
            "service_code": "food_safety", "description": "午饭的肉有异味",
            "attribute[institution_id]": str(inst.id)})
    assert filed.status_code == 201, filed.text
    lookups = [s for s in seen if "api_keys" in s and s.lstrip().startswith("SELECT")]
    assert len(lookups) == 1 and "reference_version" in lookups[0]
    again = [s for s in seen if "reference_version" in s and "api_keys" not in s
             and s.lstrip().startswith("SELECT")]
    # On SQLite the key's last use is written after the request's transaction, which holds
    # the write lock, is ended (portal/core/db.py: own_transaction): the next one reads the number
    # again, once (no round trip there).
    assert len(again) == (1 if db.get_bind().dialect.name == "sqlite" else 0), again


def test_the_directory_keeps_the_districts_until_they_change(client, db, env):
    """The districts and streets of the directory's selects come under the same number
    (migration 0013): a directory view reads none of them while nothing changed, and sees a
    new street (ORM) and a renamed district (plain SQL) at its next view."""
    from portal.orgs.models import District, Street

    d = district(db, name="东湖区")
    institution(db, district_=d, name="东湖颐养院")
    db.commit()
    assert "东湖区第一街道" in client.get("/institutions/").text
    with statements(db) as seen:
        assert "东湖颐养院" in client.get("/institutions/").text
    assert not [s for s in seen if "FROM districts" in s and "institutions" not in s]
    assert not [s for s in seen if "reference_version" in s and "institutions" not in s]
    with fresh(env) as admin:
        admin.add(Street(district_id=d.id, name="东湖区新街道"))
        admin.commit()
    assert "东湖区新街道" in client.get("/institutions/").text
    with fresh(env) as admin:
        admin.execute(update(District).where(District.id == d.id).values(name="东湖新区"))
        admin.commit()
    page = client.get("/institutions/").text
    assert "东湖新区" in page and "东湖区<" not in page


def test_what_a_transaction_read_after_its_own_change_is_not_kept(db, env):
    """A session that renamed a district sees its rename, but what it read is not kept for
    others: it rolls back, another change takes the same number, and the others see that one."""
    from portal.institutions.services.queries import InstitutionQueries
    from portal.orgs.models import District

    d = district(db, name="南湖区")
    db.commit()
    with fresh(env) as editor:
        editor.get(District, d.id).name = "南湖甲区"
        editor.flush()
        assert "南湖甲区" in [x.name for x in InstitutionQueries(editor).districts()]
        editor.rollback()
    with fresh(env) as admin:
        admin.execute(update(District).where(District.id == d.id).values(name="南湖乙区"))
        admin.commit()
    with fresh(env) as other:
        assert "南湖乙区" in [x.name for x in InstitutionQueries(other).districts()]


def test_rules_read_after_a_transactions_own_change_are_not_kept(db, env):
    assert active_rules(db)["food_safety"].label != "食品安全（甲）"
    db.commit()
    with fresh(env) as editor:
        editor.get(RoutingRule, "food_safety").label = "食品安全（甲）"
        editor.flush()
        assert active_rules(editor)["food_safety"].label == "食品安全（甲）"
        editor.rollback()
    with fresh(env) as admin:
        admin.execute(update(RoutingRule).where(RoutingRule.code == "food_safety")
                      .values(label="食品安全（乙）"))
        admin.commit()
    with fresh(env) as other:
        assert active_rules(other)["food_safety"].label == "食品安全（乙）"
