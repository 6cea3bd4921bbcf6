"""The public type-ahead is limited per address with a Chinese JSON error; API-key clients (a
hotline's servers, many call-takers behind one address) are not."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from search import views as search_views

from factories import user

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@sqlite_only
def test_typeahead_answers_429_in_chinese_past_the_limit_per_address(client, db, monkeypatch):
    monkeypatch.setattr(search_views, "SUGGEST_PER_MINUTE", 3)
    for _ in range(3):
        assert client.get("/api/v1/institutions/suggest", params={"q": "xf"}).status_code != 429
    blocked = client.get("/api/v1/institutions/suggest", params={"q": "xf"})
    assert blocked.status_code == 429
    assert blocked.json()["error"]["message"].startswith("输入提示请求过于频繁")
    with TestClient(client.app, client=("203.0.113.7", 40000)) as elsewhere:
        assert elsewhere.get("/api/v1/institutions/suggest",
                             params={"q": "xf"}).status_code != 429


@sqlite_only
def test_typeahead_with_an_api_key_is_not_limited_per_address(client, db, monkeypatch):
    monkeypatch.setattr(search_views, "SUGGEST_PER_MINUTE", 2)
    secret = AccountService(db).create_api_key(user(db, Role.OPERATOR), "12345 hand-over").secret
    db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    answers = [client.get("/api/v1/institutions/suggest", params={"q": "xf"}, headers=headers)
               for _ in range(5)]
    assert all(r.status_code != 429 for r in answers)
    assert client.get("/api/v1/institutions/suggest", params={"q": "xf"}).status_code != 429
