"""Role checks as a matrix: every protected route × every role (and anonymous)."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount, Route

from portal.accounts.rules.roles import Role
from portal.app import create_app

from factories import PASSWORD, user
from support import csrf_token, login


def protected_routes():
    """(method, path template, allowed roles) for every route whose endpoint declares roles."""
    found = []

    def walk(routes, prefix=""):
        for route in routes:
            if isinstance(route, Mount):
                walk(route.routes, prefix + route.path)
            elif isinstance(route, Route):
                allowed = getattr(route.endpoint, "allowed_roles", None)
                if allowed is not None:
                    for method in sorted(route.methods - {"HEAD"}):
                        found.append((method, prefix + route.path, allowed))

    walk(create_app().routes)
    return found


def route_id(value) -> str:
    return ",".join(sorted(r.value for r in value)) if isinstance(value, frozenset) else str(value)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


# Role checks do not depend on the database engine: run the matrix on SQLite only.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_there_are_protected_routes_to_check():
    assert len(protected_routes()) >= 3


@sqlite_only
@pytest.mark.parametrize("method,path,allowed", protected_routes(), ids=route_id)
def test_anonymous_is_sent_to_login(client, method, path, allowed):
    token = csrf_token(client)
    response = client.request(
        method,
        concrete(path),
        data={"csrf_token": token} if method == "POST" else None,
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/accounts/login?next=")


@sqlite_only
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("method,path,allowed", protected_routes(), ids=route_id)
def test_role_matrix(client, db, role, method, path, allowed):
    account = user(db, role)
    db.commit()
    login(client, account.username, PASSWORD)
    token = csrf_token(client)
    response = client.request(
        method,
        concrete(path),
        data={"csrf_token": token} if method == "POST" else None,
        follow_redirects=False,
    )
    if role in allowed:
        assert response.status_code in {200, 303, 400, 404}, response.text[:300]
        assert response.status_code != 403
    else:
        assert response.status_code == 403
        assert "没有权限" in response.text
