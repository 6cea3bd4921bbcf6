"""The OpenAPI document covers every API route, and real responses validate against it."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from starlette.routing import Mount, Route

from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.app import create_app
from portal.core.openapi import document

from factories import department, district, institution, user


def api_paths():
    found = []

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes, prefix + route.path)
            elif isinstance(route, Route) and prefix.startswith(("/api/", "/open311/")):
                if route.path.endswith("}.xml") or "{path" in route.path:
                    continue
                found.append(prefix + route.path)

    walk(create_app().routes)
    return found


def normalise(path: str) -> str:
    import re

    return re.sub(r"\{[^}:]+(:[^}]+)?\}", "{}", path)


def test_every_api_route_is_documented():
    documented = {normalise(p) for p in document()["paths"]}
    missing = [p for p in api_paths() if normalise(p) not in documented and not p.endswith("openapi.json")]
    assert missing == []


def validator(name: str) -> Draft202012Validator:
    doc = document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return Draft202012Validator(schema)


def array_of(name: str) -> Draft202012Validator:
    doc = document()
    return Draft202012Validator({"type": "array", "items": {"$ref": f"#/components/schemas/{name}"},
                                 "components": doc["components"]})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_open311_and_clock_responses_match_the_schemas(client, db):
    d = district(db)
    department(db, "civil_affairs")
    inst = institution(db, district_=d)
    key = AccountService(db).create_api_key(user(db, Role.OPERATOR), "test").secret
    db.commit()
    array_of("Service").validate(client.get("/open311/v2/services.json").json())
    created = client.post("/open311/v2/requests.json", headers={"Authorization": f"Bearer {key}"},
                          data={"service_code": "other", "description": "测试接口格式是否一致",
                                "attribute[institution_id]": str(inst.id)})
    validator("Created").validate(created.json())
    number = created.json()[0]["service_request_id"]
    array_of("ServiceRequest").validate(client.get(f"/open311/v2/requests/{number}.json").json())
    array_of("ServiceRequest").validate(client.get("/open311/v2/requests.json",
                                                   headers={"Authorization": f"Bearer {key}"}).json())
    validator("Open311Error").validate(client.get("/open311/v2/requests/nope.json").json())
    validator("Clock").validate(client.get("/api/v1/clock", params={
        "received_at": "2026-05-01T08:00:00+08:00"}).json())
    validator("Error").validate(client.get("/api/v1/clock", params={"received_at": "x"}).json())
    assert client.get("/api/v1/openapi.json").json()["openapi"] == "3.1.0"


def operation_schema(path: str, status: str = "200") -> Draft202012Validator:
    doc = document()
    schema = doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_search_and_suggest_responses_match_the_schemas(client, db, env):
    from portal.core.settings import get_settings
    from search.services.index import rebuild

    institution(db, name="幸福颐养院")
    db.commit()
    rebuild(get_settings().index_dir, env)
    operation_schema("/api/v1/search").validate(client.get("/api/v1/search", params={"q": "幸福"}).json())
    operation_schema("/api/v1/institutions/suggest").validate(
        client.get("/api/v1/institutions/suggest", params={"q": "xf"}).json())
    operation_schema("/api/v1/search", "400").validate(
        client.get("/api/v1/search", params={"kind": "nope"}).json())
