"""Issue 18 item 5, the probe: every office (each department type, at city level and in each of
two districts) tries to record every kind of government record (grade, inspection, penalty,
credit-list entry, 履约评价) for an institution in each district, over HTTP. No attempt by a
district office for an institution of the other district may be accepted, nor anything written
in its name there; the counts are printed (attempts, cross-district, accepted: 0).

The oracle is independent of the rule under test: only the offices' and institutions' districts.
SQLite only: the check is a WHERE on district ids, the same on both engines.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.institutions.models import CreditEntry, FulfilmentAssessment, Grade, Inspection, Penalty
from portal.orgs.models import Department
from portal.orgs.vocab import DEPARTMENT_TYPES

from factories import PASSWORD, department, district, institution, user
from support import csrf_token, login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

_numbers = itertools.count(1)


def forms() -> dict[str, tuple[str, dict[str, str]]]:
    """(path suffix, a valid form) per kind, so only the jurisdiction check can refuse it."""
    n = next(_numbers)
    return {
        "grade": ("grades", {"level": "3", "awarded_by": "", "awarded_on": "2024-05-20",
                             "valid_until": "", "gb38600_compliant": "1"}),
        "inspection": ("inspections", {"inspected_on": "2026-03-10", "items_checked": "消防通道",
                                       "outcome": "no_findings", "findings": "",
                                       "rectification_status": "none_required"}),
        "penalty": ("penalties", {"decision_no": f"探测罚〔2026〕{n}号", "decided_on": "2026-04-01",
                                  "violation": "消防设施未保持完好有效", "basis": "《消防法》第六十条",
                                  "penalty": "罚款", "amount": "50000", "status": "decided"}),
        "credit": ("credit", {"list_type": "black", "reason": "拒不履行行政处罚决定",
                              "legal_basis": "民发〔2019〕103号", "listed_on": "2026-05-01",
                              "expires_on": "", "repair_status": ""}),
        "assessment": ("fulfilment", {"result": "breach", "assessed_on": "2026-05-01",
                                      "basis": "检查发现消防通道堵塞"}),
    }


def misplaced(db) -> int:
    """Records named for a district office about an institution of another district."""
    from portal.institutions.models import Institution

    found = 0
    for model in (Inspection, Penalty, CreditEntry, FulfilmentAssessment):
        found += len(db.execute(
            select(model.id).join(Department, Department.id == model.department_id)
            .join(Institution, Institution.id == model.institution_id)
            .where(Department.district_id.is_not(None),
                   Department.district_id != Institution.district_id)).all())
    return found


@sqlite_only
def test_no_office_records_for_another_districts_institution(client, db, capsys):
    east, west = district(db, name="探测东区"), district(db, name="探测西区")
    homes = {east.id: institution(db, district_=east, name="探测东区颐养院"),
             west.id: institution(db, district_=west, name="探测西区颐养院")}
    offices = [department(db, code, place) for code in DEPARTMENT_TYPES
               for place in (None, east, west)]
    staff = {o.id: user(db, Role.DEPARTMENT, department_id=o.id) for o in offices}
    db.commit()
    attempts = cross = accepted = cross_accepted = 0
    wrong: list[tuple[str, str, str]] = []
    for office in offices:
        client.cookies.clear()
        login(client, staff[office.id].username, PASSWORD)
        for district_id, home in homes.items():
            for kind, (suffix, form) in forms().items():
                response = client.post(
                    f"/gov/institutions/{home.id}/{suffix}",
                    data={"csrf_token": csrf_token(client), **form}, follow_redirects=False)
                attempts += 1
                is_cross = office.district_id is not None and office.district_id != district_id
                cross += is_cross
                if response.status_code == 303:
                    accepted += 1
                    if is_cross:
                        cross_accepted += 1
                        wrong.append((office.name, kind, home.name))
                elif response.status_code != 403:
                    wrong.append((office.name, kind, f"answered {response.status_code}"))
    db.expire_all()
    with capsys.disabled():
        print(f"\nrecords jurisdiction probe: {len(offices)} offices, {attempts} attempts, "
              f"{cross} cross-district, accepted in reach: {accepted}, "
              f"cross-district accepted: {cross_accepted}")
    assert attempts == len(offices) * len(homes) * 5 and cross == len(DEPARTMENT_TYPES) * 2 * 5
    assert not wrong and cross_accepted == 0
    assert misplaced(db) == 0
    # The refusals mean something: offices in reach with the duty were accepted.
    assert accepted > 0
    assert db.scalars(select(Grade)).all()  # the civil affairs offices graded
    fire_in_place = db.scalars(select(Penalty).join(Department).where(
        Department.type_code == "fire_rescue", Department.district_id.is_not(None))).all()
    assert len(fire_in_place) == 2  # each district's brigade fined its own district's home
