"""SQL injection and junk in every filter, search and path parameter: a 200 or a friendly 400,
never a 500, and the data unchanged. Runs on both engines (they reject different junk: NUL
bytes, integer overflow).

The GET routes are walked from the app. Every route gets every payload in every query parameter
at once. The JSON and GeoReport APIs stop at the first bad parameter, so each of their
parameters is also sent alone: every (route, parameter) pair SINGLES times, the payloads rotated
so that every payload still goes alone to every route, and to every parameter in each API family
(/api/v1, /open311) — asserted and printed below. (Sending every payload alone in every parameter
of every route, 4,700 requests, cost 45 s a database and proved no more: the twins .json/.xml
and the routes of one family parse a parameter with the same code.)
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from complaints.models import Complaint
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.settings import get_settings
from portal.institutions.models import Institution
from portal.reviews.models import Review
from search.services.index import rebuild

from factories import PASSWORD
from security_world import app_routes, build_world
from support import csrf_token, login, server_error

PAYLOADS = [
    "' OR 1=1 --",
    "1; DROP TABLE institutions; --",
    "1' UNION SELECT password_hash FROM users --",
    "＇ OR ＇1＇=＇1",  # fullwidth quotes
    "’ OR ‘1’=‘1",  # typographic quotes
    "a\x00b",  # PostgreSQL refuses NUL in text
    "99999999999999999999999",  # beyond BIGINT
    "%_\\",  # LIKE wildcards and the escape character
    "1²",  # str.isdigit() says digits, int() refuses (a 500 on /institutions?page=², issue 19)
]
# Every query parameter any page or API reads (grep query_params / params.get).
PARAM_NAMES = [
    "q", "page", "per_page", "district", "street", "kind", "nature", "grade", "filing", "level",
    "price_min", "price_max", "vacant", "admits", "medical", "sort", "price", "vacancies",
    "limit", "ids", "month", "days", "tab", "category", "due", "view", "office", "period",
    "institution", "institution_q", "linked", "phone", "service_request_id", "service_code",
    "status", "start_date", "end_date", "received_at", "working_days", "year", "next", "api_key",
]
ROLES = {None: None, Role.DEPARTMENT: "a_staff", Role.SUPERVISOR: "supervisor",
         Role.OPERATOR: "operator"}


def get_routes(role: Role | None) -> list[str]:
    """GET paths this role may open; int path parameters filled with 1, others with {}."""
    paths = []
    for method, path, endpoint in app_routes():
        allowed = getattr(endpoint, "allowed_roles", None)
        if method != "GET" or (allowed is not None and role not in allowed):
            continue
        if role is not None and allowed is None:
            continue  # public routes are checked once, anonymously
        path = re.sub(r"\{\w+:int\}", "1", path)
        paths.append(re.sub(r"\{\w+(?::\w+)?\}", "{}", path))
    return paths


def counts(db) -> tuple[int, ...]:
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(model))
                 for model in (Institution, Complaint, User, Review))


SINGLES = 2  # payloads sent alone per (API route, parameter)


def family(path: str) -> str:
    return "/open311/" if path.startswith("/open311/") else "/api/"


def singles(routes: list[str]) -> list[tuple[str, str, str]]:
    """(route, parameter, payload) for the single-parameter requests to the API routes: every
    (route, parameter) pair SINGLES times, with payloads rotated by the route's place in its
    family and the parameter's place in PARAM_NAMES."""
    plan = []
    places: dict[str, int] = {}
    for path in routes:
        if not path.startswith(("/api/", "/open311/")):
            continue
        place = places[family(path)] = places.get(family(path), -1) + 1
        for i, name in enumerate(PARAM_NAMES):
            for j in range(SINGLES):
                plan.append((path, name, PAYLOADS[(place * SINGLES + i + j) % len(PAYLOADS)]))
    return plan


def assert_spread(plan: list[tuple[str, str, str]]) -> None:
    """The coverage the rotation promises (see the module docstring)."""
    routes = {path for path, _, _ in plan}
    pairs = {(path, name) for path, name, _ in plan}
    assert pairs == {(path, name) for path in routes for name in PARAM_NAMES}
    for path in routes:
        assert {payload for p, _, payload in plan if p == path} == set(PAYLOADS), path
    for fam in {family(path) for path in routes}:
        sent = {(name, payload) for path, name, payload in plan if family(path) == fam}
        assert sent == {(name, payload) for name in PARAM_NAMES for payload in PAYLOADS}, fam


def check(response, url: str, failures: list) -> None:
    if server_error(url, response.status_code):
        failures.append((url, response.status_code))
    elif response.status_code == 400:
        body = response.text
        api = url.startswith(("/api/", "/open311/"))
        # JSON errors, or GeoReport's XML ones (<errors><error><description>) at a .xml path.
        friendly = (any(mark in body for mark in ('"error"', '"description"', "<description>"))
                    if api else "zh-CN" in body)
        if not friendly:
            failures.append((url, 400, body[:200]))


@pytest.mark.parametrize("role", list(ROLES), ids=lambda r: r.value if r else "anonymous")
def test_junk_in_every_parameter_never_breaks_a_page(client, db, role, capsys):
    world = build_world(db)
    rebuild(get_settings().index_dir, get_settings().database_url)  # so junk reaches whoosh
    if role is not None:
        who = {"a_staff": world.a.staff, "supervisor": world.supervisor,
               "operator": world.operator}[ROLES[role]]
        login(client, who.username, PASSWORD)
    before = counts(db)
    failures: list = []
    routes = get_routes(role)
    for path in routes:
        # Every payload in every parameter at once first, before any rate limit (the typeahead's)
        # can answer 429 instead of parsing.
        for payload in PAYLOADS:
            url = path.replace("{}", quote(payload, safe=""))
            query = {name: payload for name in PARAM_NAMES}
            check(client.get(url, params=query, follow_redirects=False), url, failures)
    plan = singles(routes)
    for path, name, payload in plan:
        url = path.replace("{}", quote(payload, safe=""))
        response = client.get(url, params={name: payload}, follow_redirects=False)
        check(response, f"{url}?{name}", failures)
    if plan:
        assert_spread(plan)
    with capsys.disabled():
        print(f"\n[injection] {role.value if role else 'anonymous'}: {len(routes)} GET routes x "
              f"{len(PAYLOADS)} payloads in all {len(PARAM_NAMES)} parameters at once, and "
              f"{len(plan)} single-parameter requests to the APIs; failures: {len(failures)}")
    assert not failures
    assert counts(db) == before


def test_junk_in_the_public_forms_is_a_friendly_400(client, db):
    world = build_world(db)
    before = counts(db)
    failures: list = []
    for payload in PAYLOADS:
        forms = {
            "/complaints/track": {"tracking_no": payload, "secret": payload},
            "/complaints/new": {"institution_id": payload, "district_id": payload,
                                "category": payload, "description": payload,
                                "complainant_phone": payload, "institution_q": payload},
            f"/reviews/new/{world.a.institution.id}": {"text": payload, "phone": payload,
                                                       "rating_care": payload},
            f"/opendays/{world.a.open_day.id}/signup": {"name": payload, "phone": payload,
                                                        "identity": payload,
                                                        "party_size": payload},
        }
        for url, data in forms.items():
            response = client.post(url, data={**data, "csrf_token": csrf_token(client)},
                                   follow_redirects=False)
            if response.status_code >= 500 or response.status_code == 303:
                failures.append((url, payload, response.status_code))
    assert not failures
    assert counts(db) == before
