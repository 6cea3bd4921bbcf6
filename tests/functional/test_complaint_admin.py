"""Admins edit routing rules (with history) and load holiday years that change deadlines."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import select

from complaints.models import HolidayYear, RoutingRule, RoutingRuleChange
from portal.accounts.rules.roles import Role

from factories import PASSWORD, user
from support import csrf_token, login

YEAR_2027 = """# test schedule
year: 2027
holiday: 2027-01-01..2027-01-03 # 元旦
workday: 2027-01-09
"""


def test_routing_rule_edit_keeps_history_and_code(client, db):
    account = user(db, Role.ADMIN)
    db.commit()
    login(client, account.username, PASSWORD)
    response = client.post(
        "/admin/complaints/routing/pricing",
        data={
            "csrf_token": csrf_token(client),
            "label": "乱收费",
            "help_text": "收费问题",
            "keywords": "收费，涨价",
            "responsible_type": "development_reform",
            "co_handling_types": ["market_regulation", "development_reform"],
            "active": "1",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    rule = db.get(RoutingRule, "pricing")
    db.refresh(rule)
    assert rule.responsible_type == "development_reform"
    assert rule.co_handling_types == ["market_regulation"]
    assert rule.keywords == ["收费", "涨价"]
    change = db.scalars(select(RoutingRuleChange)).one()
    assert change.before["responsible_type"] == "market_regulation"
    assert change.after["responsible_type"] == "development_reform"


def test_routing_rule_rejects_unknown_department_type(client, db):
    account = user(db, Role.ADMIN)
    db.commit()
    login(client, account.username, PASSWORD)
    response = client.post(
        "/admin/complaints/routing/pricing",
        data={
            "csrf_token": csrf_token(client),
            "label": "乱收费",
            "responsible_type": "nope",
            "active": "1",
        },
    )
    assert response.status_code == 400
    assert "请选择负责部门类型" in response.text


def test_loading_a_year_makes_its_deadlines_final(client, db):
    before = client.get("/api/v1/clock", params={"received_at": "2026-12-31T10:00:00+08:00"}).json()
    assert before["provisional"] is True
    assert before["due_at"] == "2027-01-08T00:00:00+08:00"  # weekends only: 1,4,5,6,7 Jan
    account = user(db, Role.ADMIN)
    db.commit()
    login(client, account.username, PASSWORD)
    response = client.post(
        "/admin/complaints/calendar",
        data={"csrf_token": csrf_token(client), "text": YEAR_2027},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert db.get(HolidayYear, 2027) is not None
    after = client.get("/api/v1/clock", params={"received_at": "2026-12-31T10:00:00+08:00"}).json()
    assert after["provisional"] is False
    # 1–3 Jan holiday, Sat 9 Jan worked: 4,5,6,7,8 Jan → due 9 Jan 00:00.
    assert after["due_at"] == "2027-01-09T00:00:00+08:00"
    download = client.get("/admin/complaints/calendar/2027.txt")
    assert "year: 2027" in download.text and "workday: 2027-01-09" in download.text


def test_bad_calendar_file_is_refused_with_the_line(client, db):
    account = user(db, Role.ADMIN)
    db.commit()
    login(client, account.username, PASSWORD)
    response = client.post(
        "/admin/complaints/calendar",
        data={"csrf_token": csrf_token(client), "text": "year: 2027\nworkday: 2027-01-04\n"},
    )
    assert response.status_code == 400
    assert "第 2 行：2027-01-04 是星期一" in response.text
    assert db.get(HolidayYear, 2027) is None


class _Texts(HTMLParser):
    """The text of each element with a given class, and of each <dd>, in order."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth, self.found, self.dds = cls, 0, [], []
        self._dd = None

    def handle_starttag(self, tag, attrs):
        if self.depth:
            self.depth += 1
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth, self.found = 1, [*self.found, ""]
        if tag == "dd":
            self._dd = ""

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag == "dd" and self._dd is not None:
            self.dds.append(self._dd)
            self._dd = None

    def handle_data(self, data):
        if self.depth:
            self.found[-1] += data
        if self._dd is not None:
            self._dd += data


def texts(html: str, cls: str = "basis") -> _Texts:
    parser = _Texts(cls)
    parser.feed(html)
    return parser


def test_routing_page_cites_the_seeds_and_says_when_a_rule_departs_from_them(client, db):
    account = user(db, Role.ADMIN)
    rule = db.get(RoutingRule, "safety_incident")
    rule.responsible_type, rule.co_handling_types = "emergency_management", ["civil_affairs"]
    db.commit()
    login(client, account.username, PASSWORD)
    found = texts(client.get("/admin/complaints/routing").text).found
    assert any("第13项" in t and "征求意见稿" in t and "昆政办〔2021〕70号" in t for t in found)
    assert any("第11项" in t and t.startswith("依据") for t in found)
    departed = [t for t in found if "第28项" in t]
    assert len(departed) == 1 and departed[0].startswith("当前规则与默认规则不同")


def test_public_category_help_cites_the_seeds(client, db):
    dds = texts(client.get("/complaints/new").text).dds
    assert any("第10项" in d for d in dds) and any("第11项" in d for d in dds)
    assert any("第28项" in d and "（七）" in d for d in dds)
