"""GET /api/v1/categories/suggest and the operator console's suggestions (issue 21 item 6)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import update

from complaints.models import RoutingRule
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core.openapi import document

from factories import user
from support import sign_in

URL = "/api/v1/categories/suggest"
ISSUE_EXAMPLES = [
    ("护工推搡老人，老人手臂有淤青", "elder_abuse"),
    ("楼道堆满杂物，安全出口锁着", "fire_safety"),
    ("不给老人打扫房间，也不打电话通知家属", "service_quality"),
]


def schema(status: str = "200") -> Draft202012Validator:
    doc = document()
    answer = doc["paths"][URL]["get"]["responses"][status]["content"]["application/json"]
    return Draft202012Validator({**answer["schema"], "components": doc["components"]})


def api_key(db, role: Role = Role.OPERATOR) -> str:
    secret = AccountService(db).create_api_key(user(db, role), "hotline").secret
    db.commit()
    return secret


class Buttons(HTMLParser):
    """The values of the console's suggestion buttons, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.values: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "button" and a.get("name") == "pick_category":
            self.values.append(a["value"])


@pytest.mark.parametrize("text,expected", ISSUE_EXAMPLES)
def test_the_console_suggests_the_issues_examples_first(client, db, text, expected):
    sign_in(client, db, Role.OPERATOR)
    response = client.get("/operator/suggest-category", params={"description": text},
                          headers={"HX-Request": "true"})
    assert Buttons(response.text).values[:1] == [expected]


@pytest.mark.parametrize("text,expected", ISSUE_EXAMPLES)
def test_an_operator_session_gets_ranked_codes_labels_and_scores(client, db, text, expected):
    sign_in(client, db, Role.OPERATOR)
    response = client.get(URL, params={"text": text})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    schema().validate(body)
    found = body["suggestions"]
    assert found[0]["code"] == expected and len(found) == 3
    labels = {r.code: r.label for r in db.query(RoutingRule)}
    assert [s["label"] for s in found] == [labels[s["code"]] for s in found]
    scores = [s["score"] for s in found]
    assert scores == sorted(scores, reverse=True) and 0 <= scores[-1] <= scores[0] <= 1


@pytest.mark.parametrize("header", ["Authorization", "X-API-Key"])
def test_an_api_key_works_in_either_header(client, db, header):
    key = api_key(db)
    value = f"Bearer {key}" if header == "Authorization" else key
    response = client.get(URL, params={"text": "电梯经常困人", "limit": "5"},
                          headers={header: value})
    assert response.status_code == 200
    codes = [s["code"] for s in response.json()["suggestions"]]
    assert codes[0] == "special_equipment" and len(codes) == 5


def test_without_a_session_or_with_a_bad_key_the_answer_is_401(client, db):
    for headers in ({}, {"Authorization": "Bearer pk_nope_nope"}, {"X-API-Key": "junk"}):
        response = client.get(URL, params={"text": "电梯困人"}, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["status"] == 401


def test_an_institution_account_may_not_use_it(client, db):
    sign_in(client, db, Role.INSTITUTION)
    assert client.get(URL, params={"text": "电梯困人"}).status_code == 403
    client.cookies.clear()
    key = api_key(db, Role.INSTITUTION)
    response = client.get(URL, params={"text": "电梯困人"}, headers={"X-API-Key": key})
    assert response.status_code == 403


@pytest.mark.parametrize("params,field", [
    ({}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "电" * 4001}, "text"),
    ({"text": "电梯困人", "limit": "0"}, "limit"),
    ({"text": "电梯困人", "limit": "many"}, "limit"),
])
def test_bad_input_is_a_json_error_naming_the_field(client, db, params, field):
    key = api_key(db)
    response = client.get(URL, params=params, headers={"X-API-Key": key})
    assert response.status_code == 400
    schema("400").validate(response.json())
    assert response.json()["error"]["field"] == field


def test_the_longest_text_allowed_is_answered(client, db):
    key = api_key(db)
    text = ("护工推搡老人，老人手臂有淤青。" * 300)[:4000]
    response = client.get(URL, params={"text": text}, headers={"X-API-Key": key})
    assert response.status_code == 200
    assert response.json()["suggestions"][0]["code"] == "elder_abuse"


def test_a_vague_text_gets_no_suggestion(client, db):
    key = api_key(db)
    response = client.get(URL, params={"text": "我想反映一个情况"}, headers={"X-API-Key": key})
    assert response.status_code == 200 and response.json() == {"suggestions": []}


def test_an_inactive_category_is_never_suggested(client, db):
    db.execute(update(RoutingRule).where(RoutingRule.code == "fire_safety").values(active=False))
    db.commit()
    key = api_key(db)
    response = client.get(URL, params={"text": "消防通道堵塞，灭火器过期"},
                          headers={"X-API-Key": key})
    codes = [s["code"] for s in response.json()["suggestions"]]
    assert codes and "fire_safety" not in codes
