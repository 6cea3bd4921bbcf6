"""消防审验 over HTTP: the institution enters a status (validated), civil affairs approves, the
page and the API show it and the flag reads it; drafts saved before the status stay approvable."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.backoffice.models import DisclosureDraft
from portal.institutions.models import Institution, ServiceResources

from factories import PASSWORD, user
from factories.disclosures import resources
from support import login
from support import post_form as post

DRAFT_URL = re.compile(r"/manage/drafts/(\d+)")
FORM = {"caregivers": "5", "certified_caregivers": "5", "nurses": "1", "doctors": "0",
        "social_workers": "0", "elders_self_care": "15", "elders_mild": "9",
        "elders_severe": "6", "video_coverage": "1", "video_retention_days": "30",
        "food_licence": "JY13301060012345", "last_fire_drill": "2026-09-01",
        "last_emergency_drill": "2026-06-01"}


def switch(client, account) -> None:
    client.cookies.clear()
    login(client, account.username, PASSWORD)


class _Page(HTMLParser):
    """The flags' texts, each <dt>'s <dd> text, and each <select>'s selected value."""

    def __init__(self) -> None:
        super().__init__()
        self.flags: list[str] = []
        self.facts: dict[str, str] = {}
        self.selected: dict[str, str] = {}
        self._flag: list[str] | None = None
        self._dt: list[str] | None = None
        self._dd: list[str] | None = None
        self._term = ""
        self._select = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "li" and "flag" in (attrs.get("class") or "").split():
            self._flag = []
        elif tag == "dt":
            self._dt = []
        elif tag == "dd":
            self._dd = []
        elif tag == "select":
            self._select = attrs.get("id", "")
        elif tag == "option" and "selected" in attrs:
            self.selected[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "li" and self._flag is not None:
            self.flags.append(" ".join("".join(self._flag).split()))
            self._flag = None
        elif tag == "dt" and self._dt is not None:
            self._term, self._dt = "".join(self._dt).strip(), None
        elif tag == "dd" and self._dd is not None:
            self.facts[self._term], self._dd = "".join(self._dd).strip(), None

    def handle_data(self, data):
        for part in (self._flag, self._dt, self._dd):
            if part is not None:
                part.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def flags(html: str) -> list[str]:
    return parse(html).flags


def resources_fact(html: str) -> str:
    return parse(html).facts["消防审验"]


def test_no_fire_approval_is_entered_as_a_status_and_flagged(client, db):
    # The issue: "无消防手续" submitted as text and approved showed no flag.
    inst_user, reviewer = user(db, Role.INSTITUTION), user(db, Role.SUPERVISOR)
    db.commit()
    inst_id = inst_user.institution_id
    switch(client, inst_user)
    response = post(client, "/manage/resources", **FORM, fire_approval="无消防手续")
    assert response.status_code == 400 and "请选择消防审验状态" in response.text
    response = post(client, "/manage/resources", **FORM, fire_approval_status="passed",
                    fire_approval="无消防手续")
    assert response.status_code == 400
    assert "请填写消防审验文号" in response.text and "请填写消防审验取得日期" in response.text

    response = post(client, "/manage/resources", **FORM, fire_approval_status="failed",
                    fire_approval="无消防手续")
    assert response.status_code == 303, response.text[:500]
    draft_id = int(DRAFT_URL.search(response.headers["location"]).group(1))
    assert "未通过" in client.get(response.headers["location"]).text  # the diff shows the label
    assert post(client, f"/manage/drafts/{draft_id}/submit").status_code == 303
    switch(client, reviewer)
    assert post(client, f"/admin/disclosures/{draft_id}/approve").status_code == 303

    page = client.get(f"/institutions/{inst_id}").text
    fire = [f for f in flags(page) if "消防审验" in f]
    assert len(fire) == 1 and fire[0].startswith("⛔ 严重 消防审验未通过")
    assert "说明：无消防手续" in fire[0] and "苏州市苏府办〔2021〕248号" in fire[0]
    assert resources_fact(page) == "未通过；说明：无消防手续"
    # 6 / 9 / 15 elders need exactly 5.0 caregivers and 5 are present: no ratio flag.
    assert not [f for f in flags(page) if "护理员配比" in f]
    api = client.get(f"/api/v1/institutions/{inst_id}").json()
    assert api["resources"]["fire_approval_status"] == "failed"
    assert [f["code"] for f in api["flags"] if f["code"].startswith("fire")] == ["fire_approval"]


def test_passed_fire_approval_shows_its_number_and_date_and_raises_nothing(client, db):
    inst_user = user(db, Role.INSTITUTION)
    resources(db, db.get(Institution, inst_user.institution_id))
    db.commit()
    page = client.get(f"/institutions/{inst_user.institution_id}").text
    assert resources_fact(page) == (
        "通过，文号 示住建消验字〔2020〕第0012号，取得日期 2020-05-20；说明：消防验收合格")
    assert not [f for f in flags(page) if "消防审验" in f]


def test_a_resources_draft_pending_from_before_the_status_is_still_approvable(client, db):
    inst_user, reviewer = user(db, Role.INSTITUTION), user(db, Role.SUPERVISOR)
    # The payload validate_resources produced before migration 0015: free text only.
    old_payload = {**{k: int(v) for k, v in FORM.items() if v.isdigit()},
                   "video_coverage": True, "fire_approval": "办理中",
                   "food_licence": FORM["food_licence"], "last_fire_drill": "2026-09-01",
                   "last_emergency_drill": "2026-06-01"}
    draft = DisclosureDraft(institution_id=inst_user.institution_id, section="resources",
                            status="submitted", author_id=inst_user.id, payload=old_payload,
                            submitted_at=datetime(2026, 11, 1, 9, tzinfo=UTC))
    db.add(draft)
    db.commit()
    switch(client, reviewer)
    review = client.get(f"/admin/disclosures/{draft.id}")
    assert review.status_code == 200 and "办理中" in review.text
    assert post(client, f"/admin/disclosures/{draft.id}/approve").status_code == 303
    db.expire_all()
    row = db.scalars(select(ServiceResources).where(
        ServiceResources.institution_id == inst_user.institution_id)).one()
    assert (row.fire_approval_status, row.fire_approval) == ("in_progress", "办理中")
    page = client.get(f"/institutions/{inst_user.institution_id}").text
    assert [f for f in flags(page) if f.startswith("⚠ 警示 消防审验尚在办理")]
    # The institution's form opens with the status chosen.
    switch(client, inst_user)
    form = parse(client.get("/manage/resources").text)
    assert form.selected["f-resources-fire_approval_status"] == "in_progress"
