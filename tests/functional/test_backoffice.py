"""Institution back office over HTTP: draft → submitted → published or rejected (with reason),
history kept on republish, one open draft per section, institutions see only their own drafts,
only civil affairs reviews, a published change re-indexes the institution."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.accounts.rules.roles import Role
from portal.backoffice.models import DisclosureDraft, DisclosureVersion
from portal.core.audit import AuditEvent
from portal.core.settings import get_settings
from portal.institutions.models import FeeItem, Institution

from factories import PASSWORD, user
from support import index_jobs, login, sign_in
from support import post_form as post

DRAFT_URL = re.compile(r"/manage/drafts/(\d+)")


def today() -> date:
    return datetime.now(get_settings().timezone).date()


def switch(client, account) -> None:
    client.cookies.clear()
    login(client, account.username, PASSWORD)


def fee_form(fee: FeeItem, price: str, **extra) -> dict[str, str]:
    return {"rows": "4", "id-0": str(fee.id), "item-0": fee.item, "unit-0": fee.unit,
            "price-0": price, "pricing_type-0": fee.pricing_type, "cycle-0": fee.cycle,
            "care_level-0": fee.care_level or "", **extra}


def save_and_submit(client, section: str, form: dict[str, str]) -> int:
    response = post(client, f"/manage/{section}", **form)
    assert response.status_code == 303, response.text[:800]
    draft_id = int(DRAFT_URL.search(response.headers["location"]).group(1))
    assert post(client, f"/manage/drafts/{draft_id}/submit").status_code == 303
    return draft_id


@pytest.fixture
def staff(db):
    """An institution account, a civil-affairs reviewer, and the institution's one fee row."""
    inst_user = user(db, Role.INSTITUTION)
    reviewer = user(db, Role.SUPERVISOR)
    db.commit()
    fee = db.scalars(select(FeeItem).where(FeeItem.institution_id == inst_user.institution_id)
                     ).one()
    return inst_user, reviewer, fee


def test_fee_change_is_published_only_after_approval_and_history_is_kept(client, db, staff):
    inst_user, reviewer, fee = staff
    inst_id = inst_user.institution_id
    switch(client, inst_user)
    assert "1800.00" in client.get("/manage/fees").text

    response = post(client, "/manage/fees", **fee_form(fee, "2000"))
    assert response.status_code == 303
    preview = client.get(response.headers["location"]).text
    assert "1800.00" in preview and "2000.00" in preview  # the old → new diff
    draft_id = int(DRAFT_URL.search(response.headers["location"]).group(1))
    assert post(client, f"/manage/drafts/{draft_id}/submit").status_code == 303
    # Submitted is not published.
    assert "2000.00" not in client.get(f"/institutions/{inst_id}").text
    assert index_jobs(db, inst_id) == 0

    switch(client, reviewer)
    queue = client.get("/admin/disclosures/").text
    assert f"/admin/disclosures/{draft_id}" in queue
    assert "2000.00" in client.get(f"/admin/disclosures/{draft_id}").text
    assert post(client, f"/admin/disclosures/{draft_id}/approve").status_code == 303

    db.expire_all()
    rows = list(db.scalars(select(FeeItem).where(FeeItem.institution_id == inst_id)
                           .order_by(FeeItem.id)))
    assert [(str(r.price), r.effective_to is None) for r in rows] == [
        ("1800.00", False), ("2000.00", True)]
    assert rows[0].effective_to == today() - timedelta(days=1)
    assert rows[1].effective_from == today()
    assert db.get(DisclosureDraft, draft_id).status == "published"
    assert index_jobs(db, inst_id) == 1
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "disclosure.published")
                       ).one()
    assert event.actor_id == reviewer.id and event.detail["institution_id"] == inst_id

    page = client.get(f"/institutions/{inst_id}").text
    assert "2000.00" in page and "变更记录" in page and "调价记录" in page

    # Republish: a second change closes the second row and adds a second history entry.
    switch(client, inst_user)
    current = db.scalars(select(FeeItem).where(FeeItem.institution_id == inst_id,
                                               FeeItem.effective_to.is_(None))).one()
    second = save_and_submit(client, "fees", fee_form(current, "2100.50"))
    switch(client, reviewer)
    assert post(client, f"/admin/disclosures/{second}/approve").status_code == 303
    db.expire_all()
    versions = list(db.scalars(select(DisclosureVersion).where(
        DisclosureVersion.institution_id == inst_id).order_by(DisclosureVersion.id)))
    assert len(versions) == 2
    assert "2000.00" in versions[1].changes[0]["old"]
    assert "2100.50" in versions[1].changes[0]["new"]
    prices = [str(r.price) for r in db.scalars(select(FeeItem).where(
        FeeItem.institution_id == inst_id, FeeItem.effective_to.is_not(None)))]
    assert sorted(prices) == ["1800.00", "2000.00"]
    assert index_jobs(db, inst_id) == 2

    api = client.get(f"/api/v1/institutions/{inst_id}").json()
    assert len(api["change_history"]) == 2
    assert api["last_updated"] is not None
    assert reviewer.username not in str(api["change_history"])


def test_rejection_needs_a_reason_and_the_institution_resubmits(client, db, staff):
    inst_user, reviewer, _fee = staff
    inst_id = inst_user.institution_id
    switch(client, inst_user)
    basic = {"address": "新地址 8 号", "phone": "0571-87654321", "beds_total": "100",
             "beds_vacant": "10", "admits_self_care": "1"}
    draft_id = save_and_submit(client, "basic", basic)

    switch(client, reviewer)
    response = post(client, f"/admin/disclosures/{draft_id}/reject", reason="")
    assert response.status_code == 400 and "请填写退回原因" in response.text
    assert post(client, f"/admin/disclosures/{draft_id}/reject",
                reason="地址与登记证不一致").status_code == 303
    db.expire_all()
    assert db.get(DisclosureDraft, draft_id).status == "rejected"
    assert db.get(Institution, inst_id).address != "新地址 8 号"

    switch(client, inst_user)
    assert "地址与登记证不一致" in client.get("/manage/").text
    form_page = client.get("/manage/basic").text
    assert "地址与登记证不一致" in form_page and "新地址 8 号" in form_page
    again = save_and_submit(client, "basic", {**basic, "address": "登记地址 9 号"})
    assert again != draft_id

    switch(client, reviewer)
    assert post(client, f"/admin/disclosures/{again}/approve").status_code == 303
    db.expire_all()
    inst = db.get(Institution, inst_id)
    assert (inst.address, inst.phone) == ("登记地址 9 号", "0571-87654321")
    assert db.get(DisclosureDraft, draft_id).reject_reason == "地址与登记证不一致"


def test_rules_and_commitment_are_published_on_the_page_and_in_the_api(client, db, staff):
    inst_user, reviewer, _fee = staff
    inst_id = inst_user.institution_id
    switch(client, inst_user)
    rules = save_and_submit(client, "rules", {
        "rows": "3", "title-0": "入院评估制度", "body-0": "老人入院前由评估员评估能力等级。",
        "effective_on-0": "2026-01-01"})
    signed = (today() - timedelta(days=3)).isoformat()
    commitment = save_and_submit(client, "commitment", {
        "signed_on": signed, "text": "本机构承诺依法诚信经营。", "fulfilment": "自评履约良好"})
    switch(client, reviewer)
    for draft_id in (rules, commitment):
        assert post(client, f"/admin/disclosures/{draft_id}/approve").status_code == 303

    page = client.get(f"/institutions/{inst_id}").text
    assert "《入院评估制度》" in page and "本机构承诺依法诚信经营。" in page
    assert "自评履约良好" not in page  # the institution does not judge its own fulfilment
    api = client.get(f"/api/v1/institutions/{inst_id}").json()
    assert api["rules"][0]["title"] == "入院评估制度"
    assert api["credit_commitment"]["signed_on"] == signed
    assert "信用承诺书" not in api["completeness"]["missing"]
    assert "规章制度：入院评估制度" not in api["completeness"]["missing"]


def test_one_open_draft_per_section_and_no_edits_while_submitted(client, db, staff):
    inst_user, _reviewer, fee = staff
    switch(client, inst_user)
    first = post(client, "/manage/fees", **fee_form(fee, "1900"))
    second = post(client, "/manage/fees", **fee_form(fee, "1950"))
    assert first.headers["location"].split("?")[0] == second.headers["location"].split("?")[0]
    draft_id = int(DRAFT_URL.search(second.headers["location"]).group(1))
    db.expire_all()
    assert db.get(DisclosureDraft, draft_id).payload["items"][0]["price"] == "1950.00"
    assert post(client, f"/manage/drafts/{draft_id}/submit").status_code == 303
    blocked = post(client, "/manage/fees", **fee_form(fee, "1990"))
    assert blocked.status_code == 400 and "请先撤回" in blocked.text
    # Recall, then it can change again.
    assert post(client, f"/manage/drafts/{draft_id}/recall").status_code == 303
    assert post(client, "/manage/fees", **fee_form(fee, "1990")).status_code == 303
    # Nothing changed → nothing to submit.
    post(client, "/manage/fees", **fee_form(fee, "1800"))
    unchanged = post(client, f"/manage/drafts/{draft_id}/submit")
    assert unchanged.status_code == 400 and "没有改动" in unchanged.text

    # The database itself refuses a second open draft.
    db.add(DisclosureDraft(institution_id=inst_user.institution_id, section="fees",
                           status="submitted", payload={}))
    with pytest.raises(IntegrityError):
        db.flush()
    db.rollback()


def test_an_institution_cannot_see_or_touch_another_institutions_drafts(client, db, staff):
    inst_user, _reviewer, fee = staff
    other = user(db, Role.INSTITUTION)
    db.commit()
    switch(client, inst_user)
    response = post(client, "/manage/fees", **fee_form(fee, "1900"))
    draft_id = int(DRAFT_URL.search(response.headers["location"]).group(1))

    switch(client, other)
    assert client.get(f"/manage/drafts/{draft_id}").status_code == 404
    for action in ("submit", "recall", "discard"):
        assert post(client, f"/manage/drafts/{draft_id}/{action}").status_code == 404
    # Its own form does not show the other institution's fee row, and cannot close it.
    assert f'name="id-0" value="{fee.id}"' not in client.get("/manage/fees").text
    forged = post(client, "/manage/fees", **fee_form(fee, "1"))
    assert forged.status_code == 400 and "刷新页面" in forged.text
    db.expire_all()
    assert db.get(DisclosureDraft, draft_id).status == "draft"


# Role checks do not depend on the database engine.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.OPERATOR, Role.INSTITUTION])
def test_only_civil_affairs_reviews(client, db, staff, role):
    inst_user, _reviewer, fee = staff
    switch(client, inst_user)
    draft_id = save_and_submit(client, "fees", fee_form(fee, "1900"))
    sign_in(client, db, role)
    assert client.get("/admin/disclosures/").status_code == 403
    assert post(client, f"/admin/disclosures/{draft_id}/approve").status_code == 403
    assert post(client, f"/admin/disclosures/{draft_id}/reject", reason="x").status_code == 403
    db.expire_all()
    assert db.get(DisclosureDraft, draft_id).status == "submitted"


def test_form_errors_are_shown_in_chinese_next_to_the_field(client, db, staff):
    inst_user, _reviewer, fee = staff
    switch(client, inst_user)
    response = post(client, "/manage/resources", caregivers="5", certified_caregivers="9",
                    last_fire_drill=(today() + timedelta(days=1)).isoformat())
    assert response.status_code == 400
    assert "持证护理员（9）不能多于护理员总数（5）" in response.text
    assert "最近消防演练日期不能晚于今天" in response.text
    assert 'aria-invalid="true"' in response.text
    response = post(client, "/manage/fees", **fee_form(fee, "12.345"))
    assert response.status_code == 400 and "价格最多保留 2 位小数" in response.text
    assert "12.345" in response.text  # what was typed is kept
    db.expire_all()
    assert db.scalars(select(DisclosureDraft)).first() is None
