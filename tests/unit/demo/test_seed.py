"""The demo city: complete, valid, deterministic, and refusing to seed twice."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.seed import DEMO_PASSWORD, SeedError, demo_logins, seed_demo
from portal.accounts.models import User
from portal.accounts.rules.passwords import verify_password
from portal.accounts.rules.roles import Role
from portal.core.db import get_engine
from portal.core.settings import reset_settings
from portal.institutions.models import (
    CreditEntry,
    FeeItem,
    Grade,
    Inspection,
    Institution,
    InstitutionPageDoc,
    Penalty,
    ServiceResources,
)
from portal.institutions.rules import creditcode
from portal.institutions.vocab import (
    DISCOVERY_CHANNELS,
    FILING_STATUSES,
    INSPECTION_OUTCOMES,
    KINDS,
    NATURES,
)
from portal.opendays.models import OpenDay, Signup
from portal.orgs.models import Department, District, Street
from portal.orgs.vocab import DEPARTMENT_TYPES
from search.rules.pinyin import initials

TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module", autouse=True)
def demo_settings(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PORTAL_VAR_DIR", str(tmp_path_factory.mktemp("var")))
        mp.setenv("PORTAL_SECRET_KEY", "demo-test-" + "z" * 40)
        mp.delenv("PORTAL_CITY_NAME", raising=False)
        reset_settings()
        yield
    reset_settings()


def _fresh_db(sqlite_template: Path, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def seeded(demo_city, tmp_path_factory: pytest.TempPathFactory):
    """seed_demo(institutions=200, seed=0, today=TODAY) on a fresh database (conftest.py)."""
    assert demo_city.today == TODAY
    return demo_city.copy(tmp_path_factory.mktemp("seeded")), demo_city.summary, demo_city.lines


def _rows(url: str, stmt):
    with get_engine(url).connect() as conn:
        return conn.execute(stmt).all()


def _scalar(url: str, stmt):
    with get_engine(url).connect() as conn:
        return conn.scalar(stmt)


def test_summary_counts_match_the_database(seeded):
    url, summary, lines = seeded
    assert summary.institutions == 200
    for model, count in [
        (Institution, summary.institutions),
        (District, summary.districts),
        (Street, summary.streets),
        (Department, summary.departments),
        (User, summary.users),
        (FeeItem, summary.fee_items),
        (ServiceResources, summary.service_resources),
        (Grade, summary.grades),
        (Inspection, summary.inspections),
        (Penalty, summary.penalties),
        (CreditEntry, summary.credit_entries),
        (OpenDay, summary.open_days),
        (InstitutionPageDoc, summary.page_documents),
    ]:
        assert _scalar(url, select(func.count()).select_from(model)) == count, model
    assert summary.elapsed_seconds > 0
    assert summary.page_documents == 200
    assert lines[-2].startswith("institutions 200/200 ")
    assert lines[-1].startswith("page documents 200 ")
    assert "institutions=200" in str(summary)


def test_demo_open_days_are_upcoming_at_the_demo_institutions_and_some_held(seeded):
    url = seeded[0]
    rows = _rows(url, select(OpenDay.status, OpenDay.starts_at, OpenDay.signup_deadline,
                             OpenDay.institution_id, OpenDay.created_by_id))
    upcoming = [r for r in rows if r.status == "scheduled"]
    held = [r for r in rows if r.status == "held"]
    logins = _rows(url, select(User.id, User.institution_id).where(User.role == "institution"))
    assert len(upcoming) == len(logins) and held
    assert {(r.institution_id, r.created_by_id) for r in upcoming} == {tuple(u)[::-1]
                                                                       for u in logins}
    today = datetime.combine(TODAY, datetime.min.time(), UTC)
    assert all(r.signup_deadline < r.starts_at and r.starts_at > today for r in upcoming)
    assert all(r.starts_at < today for r in held)


def test_demo_sign_ups_are_confirmed_once_per_phone_and_fill_the_seats(seeded):
    url = seeded[0]
    signups = _rows(url, select(Signup.open_day_id, Signup.phone, Signup.party_size,
                                Signup.status, Signup.confirmed_at, Signup.code_hash,
                                Signup.feedback_rating))
    events = _rows(url, select(OpenDay.id, OpenDay.status, OpenDay.seats_taken,
                               OpenDay.capacity))
    assert signups and all(s.status == "confirmed" and s.confirmed_at for s in signups)
    assert all(s.code_hash is None for s in signups)
    assert len({(s.open_day_id, s.phone) for s in signups}) == len(signups)
    for e in events:
        taken = sum(s.party_size for s in signups if s.open_day_id == e.id)
        assert 0 < taken == e.seats_taken <= e.capacity
    held = {e.id for e in events if e.status == "held"}
    assert all(s.feedback_rating for s in signups if s.open_day_id in held)


def test_city_has_districts_with_streets_codes_and_initials(seeded):
    url = seeded[0]
    districts = _rows(
        url, select(District.id, District.name, District.code, District.pinyin_initials)
    )
    assert len(districts) >= 6
    assert len({d.code for d in districts}) == len(districts)
    for d in districts:
        assert len(d.code) == 6 and d.code.isdigit()
        assert d.pinyin_initials == initials(d.name)
        streets = _rows(url, select(Street.name).where(Street.district_id == d.id))
        assert 6 <= len(streets) <= 12, d.name
        assert all(s.name.endswith(("街道", "镇", "乡")) for s in streets)
    assert ("长宁区", "cnq") in {(d.name, d.pinyin_initials) for d in districts}


def test_every_department_type_has_a_city_office_and_one_per_district(seeded):
    url = seeded[0]
    district_ids = {d.id for d in _rows(url, select(District.id))}
    offices = Counter()
    for dept in _rows(url, select(Department.type_code, Department.district_id, Department.name)
                      .where(Department.street_id.is_(None))):
        offices[dept.type_code, dept.district_id] += 1
    for code in DEPARTMENT_TYPES:
        assert offices[code, None] == 1
        for district_id in district_ids:
            assert offices[code, district_id] == 1
    names = {d.name for d in _rows(url, select(Department.name))}
    assert "示范市民政局" in names
    assert "示范市消防救援支队" in names
    assert "长宁区消防救援大队" in names


def test_all_kinds_natures_and_filing_statuses_appear(seeded):
    url = seeded[0]
    rows = _rows(url, select(Institution.kind, Institution.nature, Institution.filing_status))
    assert {r.kind for r in rows} == set(KINDS)
    assert {r.nature for r in rows} == set(NATURES)
    assert {r.filing_status for r in rows} == set(FILING_STATUSES)
    assert {(r.kind, r.nature) for r in rows} == {(k, n) for k in KINDS for n in NATURES}
    assert Counter(r.filing_status for r in rows).most_common(1)[0][0] == "filed"


def test_credit_codes_are_valid_unique_and_follow_nature(seeded):
    url = seeded[0]
    rows = _rows(
        url,
        select(
            Institution.credit_code, Institution.nature, Institution.filing_status, District.code
        ).join(District, Institution.district_id == District.id),
    )
    codes = [r.credit_code for r in rows if r.credit_code is not None]
    assert len(codes) == len(set(codes))
    prefix = {
        "public": "12",
        "public_private": "52",
        "private_nonprofit": "52",
        "private_forprofit": "91",
    }
    for r in rows:
        if r.filing_status == "unregistered":
            assert r.credit_code is None
            continue
        assert creditcode.is_valid(r.credit_code), r.credit_code
        assert r.credit_code[:2] == prefix[r.nature]
        assert r.credit_code[2:8] == r.code


def test_institution_names_are_unique_with_initials(seeded):
    url = seeded[0]
    rows = _rows(url, select(Institution.name, Institution.name_initials))
    assert len({r.name for r in rows}) == len(rows)
    assert all(r.name_initials == initials(r.name) for r in rows)


def test_beds_and_dates_are_sane(seeded):
    url = seeded[0]
    rows = _rows(
        url,
        select(
            Institution.kind,
            Institution.beds_total,
            Institution.beds_vacant,
            Institution.registration_date,
            Institution.filing_date,
            Institution.filing_no,
            Institution.filing_status,
        ),
    )
    for r in rows:
        assert 0 <= r.beds_vacant <= r.beds_total
        if r.kind == "residential":
            assert 30 <= r.beds_total <= 600
        elif r.kind == "community":
            assert r.beds_total <= 40
        if r.filing_status == "filed":
            assert r.filing_no and r.registration_date <= r.filing_date <= TODAY
        else:
            assert not r.filing_no and r.filing_date is None


def test_fee_history_closes_the_old_price_before_the_new_one(seeded):
    url = seeded[0]
    closed = _rows(url, select(FeeItem).where(FeeItem.effective_to.is_not(None)))
    assert closed
    for old in closed:
        current = _rows(
            url,
            select(FeeItem.effective_from).where(
                FeeItem.institution_id == old.institution_id,
                FeeItem.item == old.item,
                FeeItem.care_level.is_(old.care_level)
                if old.care_level is None
                else FeeItem.care_level == old.care_level,
                FeeItem.effective_to.is_(None),
            ),
        )
        assert old.effective_from < old.effective_to < current[0].effective_from
    every_institution_has_current_fees = _scalar(
        url,
        select(func.count(func.distinct(FeeItem.institution_id))).where(
            FeeItem.effective_to.is_(None)
        ),
    )
    assert every_institution_has_current_fees == 200


def test_computed_flags_have_something_to_show(seeded):
    url = seeded[0]
    assert _scalar(url, select(func.count()).where(Institution.deposit_amount > 0))
    assert _scalar(
        url,
        select(func.count()).where(
            Institution.deposit_amount > 0, Institution.deposit_dedicated_account.is_(False)
        ),
    )
    assert _scalar(url, select(func.count()).where(Inspection.rectification_status == "overdue"))
    assert _scalar(
        url, select(func.count()).where(ServiceResources.last_fire_drill < date(2026, 5, 25))
    )
    assert _scalar(url, select(func.count()).where(ServiceResources.video_retention_days < 15))
    lists = {r.list_type for r in _rows(url, select(CreditEntry.list_type))}
    assert lists == {"red", "black"}
    assert {r.level for r in _rows(url, select(Grade.level))} <= {1, 2, 3, 4, 5}


def test_inspections_carry_every_outcome_consistent_with_their_rectification(seeded):
    url = seeded[0]
    rows = _rows(url, select(Inspection.outcome, Inspection.findings,
                             Inspection.rectification_status, Inspection.rectification_deadline))
    counts = Counter(r.outcome for r in rows)
    assert set(counts) == set(INSPECTION_OUTCOMES) and min(counts.values()) >= 5, counts
    for r in rows:
        if r.outcome == "rectification_required":
            assert r.rectification_deadline and r.rectification_status != "none_required", r
        else:
            assert r.rectification_deadline is None and r.rectification_status == "none_required"
        assert (r.outcome == "no_findings") == (r.findings == "未发现问题"), r


def test_unfiled_places_record_when_by_whom_and_how_they_were_found(seeded):
    url = seeded[0]
    places = _rows(url, select(Institution.id, Institution.filing_status, Institution.kind,
                               Institution.discovered_on, Institution.discovered_by,
                               Institution.discovered_via))
    unfiled = [p for p in places if p.filing_status == "unregistered"
               or (p.filing_status == "registered_unfiled" and p.kind == "residential")]
    assert unfiled
    for p in places:
        if p in unfiled:
            assert p.discovered_on <= TODAY and p.discovered_by, p
            assert p.discovered_via in DISCOVERY_CHANNELS, p
        else:
            assert (p.discovered_on, p.discovered_by, p.discovered_via) == (None, "", ""), p
    first = dict(_rows(url, select(Inspection.institution_id, func.min(Inspection.inspected_on))
                       .group_by(Inspection.institution_id)))
    for p in unfiled:
        if p.discovered_via == "inspection":
            assert p.discovered_on == first[p.id]
        elif p.id in first:
            assert p.discovered_on < first[p.id]  # reported before anyone went to look


def test_penalty_decision_numbers_look_official(seeded):
    url = seeded[0]
    numbers = [r.decision_no for r in _rows(url, select(Penalty.decision_no))]
    assert numbers
    assert len(numbers) == len(set(numbers))
    assert all(n.startswith("示") and "〔" in n and n.endswith("号") for n in numbers)


def test_every_role_has_a_user_and_every_documented_login_exists(seeded):
    url = seeded[0]
    users = {u.username: u for u in _rows(url, select(User))}
    assert {u.role for u in users.values()} == {r.value for r in Role}
    documented = demo_logins()
    assert {username for username, _role, _sees in documented} == set(users)
    assert all(label and sees for _u, label, sees in documented)
    assert len({u.password_hash for u in users.values()}) == 1
    assert verify_password(users["admin"].password_hash, DEMO_PASSWORD)

    city_civil = _scalar(
        url,
        select(Department.id).where(
            Department.type_code == "civil_affairs", Department.district_id.is_(None),
            Department.street_id.is_(None),
        ),
    )
    assert users["supervisor"].department_id == city_civil
    assert users["operator1"].department_id is None
    assert users["dept-fire_rescue-cnq"].department_id is not None
    first_five = [
        r.id for r in _rows(url, select(Institution.id).order_by(Institution.id).limit(5))
    ]
    assert [users[f"inst-{n}"].institution_id for n in range(1, 6)] == first_five


def test_refuses_to_seed_twice(seeded):
    url = seeded[0]
    with pytest.raises(SeedError, match="已有 200 家机构"):
        seed_demo(url, institutions=10, seed=1, today=TODAY)


def _names_and_codes(url: str):
    return _rows(url, select(Institution.name, Institution.credit_code).order_by(Institution.id))


def test_same_seed_gives_the_same_city_and_another_seed_a_different_one(
    seeded, sqlite_template: Path, tmp_path: Path
):
    again = _fresh_db(sqlite_template, tmp_path / "again")
    seed_demo(again, institutions=200, seed=0, today=TODAY)
    assert _names_and_codes(again) == _names_and_codes(seeded[0])

    other = _fresh_db(sqlite_template, tmp_path / "other")
    seed_demo(other, institutions=200, seed=1, today=TODAY)
    assert _names_and_codes(other) != _names_and_codes(seeded[0])


def test_seeds_in_batches_across_batch_boundaries(
    sqlite_template: Path, tmp_path: Path, monkeypatch
):
    monkeypatch.setattr("demo.seed.BATCH_SIZE", 7)
    url = _fresh_db(sqlite_template, tmp_path)
    lines: list[str] = []
    summary = seed_demo(url, institutions=20, seed=3, today=TODAY, progress=lines.append)
    assert summary.institutions == 20
    assert sum("institutions " in line for line in lines) == 3
    service_rows = _scalar(url, select(func.count()).select_from(ServiceResources))
    assert service_rows == 20


def test_seeds_postgresql_as_well_as_sqlite(database_url):
    summary = seed_demo(database_url, institutions=30, seed=0, today=TODAY)
    assert _scalar(database_url, select(func.count()).select_from(Institution)) == 30
    ids = [r.id for r in _rows(database_url, select(Institution.id).order_by(Institution.id))]
    owners = _rows(database_url, select(FeeItem.institution_id).distinct())
    assert {r.institution_id for r in owners} == set(ids)
    assert summary.users == len(demo_logins())


def test_the_first_institution_accounts_show_what_the_readme_promises(seeded):
    url = seeded[0]
    first = [r.id for r in _rows(url, select(Institution.id).order_by(Institution.id).limit(5))]
    red = _rows(url, select(CreditEntry.institution_id).where(CreditEntry.list_type == "red"))
    assert first[0] in {r.institution_id for r in red}
    overdue = _rows(
        url,
        select(Inspection.institution_id).where(Inspection.rectification_status == "overdue"),
    )
    assert first[4] in {r.institution_id for r in overdue}
    kinds = [_scalar(url, select(Institution.kind).where(Institution.id == i)) for i in first]
    assert kinds == ["residential", "community", "assessment", "training", "residential"]


def test_demo_publishes_every_fire_approval_status_with_numbers_and_dates(seeded):
    url = seeded[0]
    rows = _rows(url, select(ServiceResources.fire_approval_status,
                             ServiceResources.fire_approval_doc_no,
                             ServiceResources.fire_approval_date, ServiceResources.fire_approval))
    assert {r.fire_approval_status for r in rows} == {
        "passed", "failed", "in_progress", "not_required", None}
    # What the back-office form requires of each status holds for the demo's rows too.
    assert all(r.fire_approval_doc_no and r.fire_approval_date
               for r in rows if r.fire_approval_status == "passed")
    assert all(r.fire_approval and not r.fire_approval_doc_no and r.fire_approval_date is None
               for r in rows if r.fire_approval_status == "not_required")
    assert any(r.fire_approval for r in rows if r.fire_approval_status is None)  # old text only
    kinds = dict(_rows(url, select(Institution.id, Institution.kind)))
    not_required = _rows(url, select(ServiceResources.institution_id).where(
        ServiceResources.fire_approval_status == "not_required"))
    assert {kinds[r.institution_id] for r in not_required} <= {"community", "assessment",
                                                              "training"}


def test_indicator_4_9_of_the_demo_is_the_count_of_its_rows(seeded):
    """效能评估表 4.9 counted here from the rows, without the indicator's rules or the checks."""
    from decimal import ROUND_HALF_UP, Decimal
    from zoneinfo import ZoneInfo

    from sqlalchemy.orm import Session

    from portal.opendata.services.indicators import CITY, IndicatorService

    url = seeded[0]
    # 养老机构总数: residential institutions with a registration.
    homes = {r.id for r in _rows(url, select(Institution.id).where(
        Institution.kind == "residential", Institution.filing_status != "unregistered"))}
    latest: dict[int, str | None] = {}
    for r in _rows(url, select(ServiceResources.institution_id,
                               ServiceResources.fire_approval_status)
                   .order_by(ServiceResources.effective_from, ServiceResources.id)):
        latest[r.institution_id] = r.fire_approval_status
    status = Counter(latest.get(i) for i in homes)
    done, total = status["passed"], len(homes)
    assert done and status["failed"] and status["in_progress"] and status[None]
    assert not status["not_required"]
    pct = (Decimal(done) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)

    with Session(get_engine(url)) as db:
        service = IndicatorService(db, ZoneInfo("Asia/Shanghai"))
        indicator = service.report(CITY, service.period(TODAY.year, TODAY)).get("4.9")
    assert indicator is not None
    assert (indicator.numerator, indicator.denominator) == (done, total)
    assert indicator.value == (
        f"已完成 {done} 家，共 {total} 家（{pct}%）；未通过 {status['failed']} 家，"
        f"办理中 {status['in_progress']} 家，未公开 {status[None]} 家")
    assert {r.institution_id for r in indicator.records if r.counted} == {
        i for i in homes if latest.get(i) == "passed"}


def test_demo_records_respect_the_offices_reach_and_duties(seeded):
    """Every demo inspection, penalty and credit entry could have been entered by a user of the
    office it names (portal/institutions/rules/jurisdiction.py: district, duty)."""
    from portal.accounts.rules.roles import Role
    from portal.institutions.models import CreditEntry, Inspection, Institution, Penalty
    from portal.institutions.rules.jurisdiction import Office, decide

    url = seeded[0]
    checked = 0
    for model, kind in ((Inspection, "inspection"), (Penalty, "penalty"),
                        (CreditEntry, "credit")):
        rows = _rows(url, select(Department.type_code, Department.district_id,
                                 Institution.district_id.label("home"))
                     .join(model, model.department_id == Department.id)
                     .join(Institution, Institution.id == model.institution_id))
        for row in rows:
            found = decide(Role.DEPARTMENT, Office(row.type_code, row.district_id), kind,
                           row.home, decided_penalty=True, list_type="black")
            assert found.allowed, (kind, row, found.reason)
            checked += 1
    assert checked > 100


def test_the_demo_county_has_street_offices_with_logins_and_a_street_level_category(seeded):
    """Issue 20 "Street tier": three towns of 重阳县 with a 民政办 each, the 服务质量 category
    sent to them (seed 000 苏州 三(一), seed 001 (十八)), and a login per office."""
    from complaints.models import RoutingRule
    from complaints.rules.routing import Rule, route
    from complaints.services.reference import reference
    from portal.core.db import session_scope

    url = seeded[0]
    offices = _rows(url, select(Department.id, Department.name, Department.type_code,
                                Department.district_id, Street.name.label("street"),
                                Street.district_id.label("county"))
                    .join(Street, Street.id == Department.street_id).order_by(Department.id))
    county = _scalar(url, select(District.id).where(District.name == "重阳县"))
    assert [(o.street, o.type_code, o.district_id, o.county) for o in offices] == [
        ("重阳镇", "civil_affairs", None, county), ("九峰镇", "civil_affairs", None, county),
        ("桃源镇", "civil_affairs", None, county)]
    assert [o.name for o in offices] == ["重阳县重阳镇民政办", "重阳县九峰镇民政办",
                                         "重阳县桃源镇民政办"]
    street_level = _rows(url, select(RoutingRule.code).where(RoutingRule.street_level))
    assert [r.code for r in street_level] == ["service_quality"]
    users = {u.username: u.department_id for u in _rows(url, select(User.username,
                                                                    User.department_id))}
    assert [users[f"dept-civil_affairs-cyx-{s}"] for s in ("cyz", "jfz", "tyz")] == [
        o.id for o in offices]
    # A home in 重阳镇 is routed to its town's office; one in another town of the county to
    # the county's civil affairs.
    homes = _rows(url, select(Institution.id, Institution.street_id, Street.name)
                  .join(Street, Street.id == Institution.street_id)
                  .where(Institution.district_id == county).order_by(Institution.id))
    by_street = {o.street: o.id for o in offices}
    county_office = _scalar(url, select(Department.id).where(
        Department.type_code == "civil_affairs", Department.district_id == county))
    with session_scope(url) as db:
        ref = reference(db)
        rule = ref.rules["service_quality"]
        seen = set()
        for home in homes:
            routed = route(Rule(rule.code, rule.responsible_type, rule.co_handling_types,
                                rule.street_level), county, ref.offices,
                           street_id=home.street_id, street_offices=ref.street_offices)
            assert routed.responsible_office == by_street.get(home.name, county_office)
            seen.add(home.name in by_street)
    assert seen == {True, False}
