"""The registry lifecycle over HTTP (issue 20): civil affairs changes an institution's operating
status with its 安置 plan and records 安置 progress; friendly errors; audited; the page and the
API show the status and the progress; a closed institution leaves the default directory and its
trigger-kept counts, keeps its page and its history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.settings import get_settings
from portal.institutions.models import Institution
from portal.institutions.services import pagedoc
from portal.registry.models import StatusChange

from factories import department, district, institution
from factories.complaints import complaint_row
from factories.disclosures import inspection, resources
from support import post_form as post
from support import sign_in


def today() -> date:
    return datetime.now(get_settings().timezone).date()


def suspend(**over) -> dict[str, str]:
    values = {"status": "suspended", "effective_on": (today() - timedelta(days=3)).isoformat(),
              "reason": "消防隐患，停业整顿", "elders_in_care": "12", "resettle_to": "市社会福利院",
              "resettle_by": (today() + timedelta(days=30)).isoformat()}
    values.update(over)
    return values


def status_url(inst_id: int) -> str:
    return f"/admin/registry/institutions/{inst_id}/status"


def version(db, inst_id: int) -> int:
    db.expire_all()
    return db.get(Institution, inst_id).records_version


def test_supervisor_suspends_with_a_plan_and_records_progress(client, db):
    inst = institution(db, name="暂停测试颐养院")
    sign_in(client, db, Role.SUPERVISOR)
    before = version(db, inst.id)
    response = post(client, status_url(inst.id), **suspend())
    assert response.status_code == 303, response.text[:800]
    db.expire_all()
    assert db.get(Institution, inst.id).operating_status == "suspended"
    change = db.scalars(select(StatusChange)).one()
    assert (change.previous_status, change.elders_to_resettle, change.resettle_to) == (
        "operating", 12, "市社会福利院")
    assert version(db, inst.id) > before
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "institution.status")).one()
    assert event.detail["old"] == "operating" and event.detail["new"] == "suspended"

    page = client.get(f"/admin/registry/institutions/{inst.id}").text
    assert "需安置 12 人" in page and "已安置 0 人" in page
    before = version(db, inst.id)
    response = post(client, f"/admin/registry/changes/{change.id}/progress",
                    resettled_count="12", resettled_on=today().isoformat())
    assert response.status_code == 303, response.text[:800]
    db.expire_all()
    assert db.get(StatusChange, change.id).resettled_count == 12
    assert version(db, inst.id) > before
    assert db.scalars(select(AuditEvent).where(
        AuditEvent.action == "institution.resettlement")).one().detail["new_count"] == 12


def test_friendly_errors_and_nothing_written(client, db):
    inst = institution(db)
    sign_in(client, db, Role.SUPERVISOR)
    assert post(client, status_url(inst.id), **suspend()).status_code == 303
    # A date before the previous change, and reopening is fine otherwise.
    early = (today() - timedelta(days=10)).isoformat()
    response = post(client, status_url(inst.id), status="operating", effective_on=early)
    assert response.status_code == 400
    assert "不能早于上一次状态变更的生效日期" in response.text
    # Exit without a plan while elders remain.
    response = post(client, status_url(inst.id), **suspend(status="closed", resettle_to="",
                                                            resettle_by=""))
    assert response.status_code == 400
    assert "仍有在住老人 12 人，终止（注销）前请填写安置去向" in response.text
    # A bad date and a count that is no number: the fields' own messages.
    response = post(client, status_url(inst.id), **suspend(status="closed",
                                                            effective_on="2026-13-40",
                                                            elders_in_care="十二"))
    assert response.status_code == 400
    assert "生效日期格式应为 年-月-日" in response.text and "应为整数" in response.text
    db.expire_all()
    assert db.get(Institution, inst.id).operating_status == "suspended"
    assert len(db.scalars(select(StatusChange)).all()) == 1
    # Progress beyond the plan.
    change = db.scalars(select(StatusChange)).one()
    response = post(client, f"/admin/registry/changes/{change.id}/progress",
                    resettled_count="13")
    assert response.status_code == 400 and "不能多于需安置人数（12）" in response.text


def test_only_civil_affairs_in_reach_may_change(client, db):
    home, other = district(db), district(db)
    inst = institution(db, district_=home)
    sign_in(client, db, Role.DEPARTMENT,
            department_id=department(db, "civil_affairs", other).id)
    assert post(client, status_url(inst.id), **suspend()).status_code == 403
    sign_in(client, db, Role.DEPARTMENT,
            department_id=department(db, "fire_rescue").id)
    assert post(client, status_url(inst.id), **suspend()).status_code == 403
    sign_in(client, db, Role.DEPARTMENT,
            department_id=department(db, "civil_affairs", home).id)
    assert post(client, status_url(inst.id), **suspend()).status_code == 303
    db.expire_all()
    assert db.get(Institution, inst.id).operating_status == "suspended"


def _main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_page_and_api_show_the_status_and_resettlement_from_the_document_too(client, db):
    inst = institution(db, name="安置公开颐养院")
    resources(db, inst)
    assert pagedoc.refresh(db, inst.id)
    db.commit()
    assert "运营状态：<strong class=\"op-status op-status-operating\">运营</strong>" in client.get(
        f"/institutions/{inst.id}").text
    sign_in(client, db, Role.SUPERVISOR)
    assert post(client, status_url(inst.id), **suspend()).status_code == 303
    change = db.scalars(select(StatusChange)).one()
    assert post(client, f"/admin/registry/changes/{change.id}/progress",
                resettled_count="5").status_code == 303
    client.cookies.clear()
    live = _main(client.get(f"/institutions/{inst.id}").text)  # the document is stale: rows
    for text in ("暂停服务", "消防隐患，停业整顿", "需安置 12 人", "市社会福利院", "已安置 <strong>5</strong> 人",
                 "苏府办〔2021〕248号 二(九)"):
        assert text in live, text
    db.expire_all()
    assert pagedoc.refresh(db, inst.id)  # rebuilt, as the job does
    db.commit()
    assert pagedoc.shown_page(db, inst.id, today()).fragments  # from the document now
    assert _main(client.get(f"/institutions/{inst.id}").text) == live
    data = client.get(f"/api/v1/institutions/{inst.id}").json()
    assert data["operating_status"] == "suspended"
    assert data["operating_status_since"] == suspend()["effective_on"]
    assert data["resettlement"] == {
        "elders_to_resettle": 12, "resettle_to": "市社会福利院",
        "resettle_by": suspend()["resettle_by"], "resettled": 5, "resettled_on": None,
        "done": False}
    assert [c["status"] for c in data["status_history"]] == ["suspended"]


def directory_total(client, **params) -> int:
    data = client.get("/api/v1/institutions", params=params).json()
    return data["total"]


def test_closing_leaves_the_default_directory_and_its_counts_and_keeps_the_history(client, db):
    home = district(db)
    insts = [institution(db, district_=home, name=f"关停测试{n}号院") for n in range(3)]
    closing = insts[0]
    dept = department(db)
    inspection(db, closing, dept, findings="消防通道堆放杂物")
    complaint = complaint_row(db, dept, datetime.now(UTC) - timedelta(days=20))
    complaint.institution_id, complaint.tracking_no = closing.id, "20261201000001"
    db.commit()
    # The counted total (district only: directory_counts) and a counted one (by name).
    assert directory_total(client, district=home.id) == 3
    assert directory_total(client, q="关停测试") == 3
    sign_in(client, db, Role.SUPERVISOR)
    closed = suspend(status="closed", reason="举办者申请注销", elders_in_care="0",
                     resettle_to="", resettle_by="")
    assert post(client, status_url(closing.id), **closed).status_code == 303
    client.cookies.clear()
    assert directory_total(client, district=home.id) == 2
    assert directory_total(client, q="关停测试") == 2
    assert directory_total(client, district=home.id, closed="1") == 3
    assert directory_total(client, q="关停测试", closed="1") == 3
    page = client.get("/institutions/", params={"district": home.id}).text
    assert closing.name not in page and "共 2 家机构" in page
    page = client.get("/institutions/", params={"district": home.id, "closed": "1"}).text
    assert closing.name in page and "终止（注销）" in page and "共 3 家机构" in page
    # Its page stays, with its history: records, complaint figures, the status and its reason.
    page = _main(client.get(f"/institutions/{closing.id}").text)
    for text in ("终止（注销）", "举办者申请注销", "消防通道堆放杂物", "近 12 个月收到投诉 1 件",
                 "停止服务时没有在住老人"):
        assert text in page, text
    assert client.get(f"/api/v1/institutions/{closing.id}").json()["operating_status"] == "closed"
    # Closed is final.
    sign_in(client, db, Role.SUPERVISOR)
    response = post(client, status_url(closing.id), status="operating",
                    effective_on=today().isoformat())
    assert response.status_code == 400 and "不能再变更状态" in response.text
