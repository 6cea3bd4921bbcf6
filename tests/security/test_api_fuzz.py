"""schemathesis against the OpenAPI document: generated requests (valid and invalid) to every
documented operation never get a 500, and documented answers match their schemas.

The operations are walked in one test (schemathesis's pytest plugin does not collect under this
pytest); each runs its own hypothesis search, and every failure is reported at the end.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from security_world import build_world

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
EXAMPLES = 50  # per operation; `bench/` is the place for long fuzz runs

# Seeds: date parameters at the edges of what datetime can hold (year 1 with an offset, year 9999
# with -23:59, a date minus the 90-day search window): each once answered a 500.
DATE_EXTREMES = ("0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00+08:00",
                 "9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59.999999+00:00",
                 "1969-12-31T23:59:59Z")


def seeds(operation, key: str) -> list[dict]:
    """Hand-picked cases each operation runs before the generated ones."""
    method, path = operation.method.upper(), operation.path
    if method == "GET" and path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        return [{"query": {name: value}} for name in ("start_date", "end_date")
                for value in DATE_EXTREMES]
    if method == "POST" and path in ("/open311/v2/requests.json", "/open311/v2/requests.xml"):
        return [{"headers": {"Authorization": f"Bearer {key}"},
                 "media_type": "application/x-www-form-urlencoded",
                 "body": {"service_code": "other", "description": "院里的路灯坏了一个月",
                          "attribute[received_at]": value}} for value in DATE_EXTREMES]
    if method == "GET" and path == "/api/v1/clock":
        return [{"query": {"received_at": value}} for value in DATE_EXTREMES]
    return []


@sqlite_only
def test_fuzzed_api_requests_never_break_the_server(db, capsys):
    from portal.accounts.rules.roles import Role
    from portal.accounts.services import AccountService
    from portal.app import create_app
    from portal.core.settings import get_settings
    from search.services.index import rebuild

    from factories import user

    build_world(db)  # institutions, complaints, open days and reviews to find
    key = AccountService(db).create_api_key(user(db, Role.OPERATOR), "fuzz seeds").secret
    db.commit()
    rebuild(get_settings().index_dir, get_settings().database_url)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app())
    labels, failures, seeded = [], [], []
    tally = {"inputs": 0, "500s": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case) -> None:
            response = case.call()
            tally["inputs"] += 1
            tally["500s"] += response.status_code >= 500
            case.validate_response(response, checks=[not_a_server_error,
                                                     response_schema_conformance])

        for kwargs in seeds(operation, key):
            run = example(case=operation.Case(**kwargs))(run)
            seeded.append(operation.label)
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append((operation.label, str(exc)[:800]))
    with capsys.disabled():
        print(f"\n[bad inputs] API fuzz: {len(labels)} operations, {tally['inputs']} inputs tried "
              f"({len(seeded)} seeded), 500s: {tally['500s']}, failed checks: {len(failures)}")
    assert tally["500s"] == 0
    assert "GET /api/v1/institutions/{institution_id}" in labels
    assert any(label.startswith("POST /open311/v2/requests") for label in labels), labels
    assert "GET /open311/v2/requests.xml" in seeded and "POST /open311/v2/requests.json" in seeded
    assert failures == []


# Seeds: page requests that once answered 500 (issue 18, item 8). Each must get a clear 400
# with a Chinese message instead; one world per database, every seed tried, failures listed.
HUGE_ID = "1" * 30
SEEDS = [
    # (who, method, path, form, expected status, expected text)
    ("public", "GET", "/opendays/calendar?month=0001-01", None, 400, "只能查看 2000 年至 2099 年"),
    ("public", "GET", "/opendays/calendar?month=9999-12", None, 400, "只能查看 2000 年至 2099 年"),
    ("public", "POST", "/complaints/track", {"tracking_no": "{tracking_no}", "secret": "验证码"},
     400, "投诉编号或验证信息不正确"),
    ("staff", "POST", "/staff/complaints/{complaint_id}/co-request",
     {"department_id": HUGE_ID}, 400, "请选择另一个会办部门"),
    ("supervisor", "POST", "/staff/complaints/{complaint_id}/reassign",
     {"department_id": HUGE_ID, "reason": "改派到别的部门"}, 400, "请选择承办部门"),
    ("admin", "POST", "/admin/users",
     {"username": "seed-user-1", "display_name": "种子", "password": "Seed-pass-2026",
      "role": "department", "department_id": HUGE_ID}, 400, "部门不存在"),
    ("admin", "POST", "/admin/users",
     {"username": "seed-user-2", "display_name": "种子", "password": "Seed-pass-2026",
      "role": "department", "department_id": "987654"}, 400, "部门不存在"),
    # Past PostgreSQL's 32-bit INTEGER ids: no such row (and no overflow).
    ("public", "GET", "/opendays/3000000000", None, 404, "页面不存在"),
    ("staff", "GET", "/staff/complaints/3000000000", None, 404, "页面不存在"),
]


def test_seeded_bad_page_inputs_get_a_clear_400(client, db, capsys):
    from factories import PASSWORD
    from support import csrf_token, login

    world = build_world(db)
    accounts = {"staff": world.a.staff, "supervisor": world.supervisor, "admin": world.admin}
    names = {"tracking_no": world.a.complaint.tracking_no, "complaint_id": world.a.complaint.id}
    failures = []
    for who, method, path, form, status, text in SEEDS:
        client.cookies.clear()
        if who != "public":
            login(client, accounts[who].username, PASSWORD)
        data = None
        if form is not None:
            data = {k: v.format(**names) for k, v in form.items()}
            data["csrf_token"] = csrf_token(client)
        response = client.request(method, path.format(**names), data=data,
                                  follow_redirects=False)
        if response.status_code != status or text not in response.text:
            failures.append((method, path, form, response.status_code))
    with capsys.disabled():
        print(f"\n[bad inputs] page seeds: {len(SEEDS)} tried, wrong answers: {len(failures)}")
    assert failures == []
