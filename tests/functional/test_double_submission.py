"""Double submission: the public form posted twice, retried Open311 calls, racing requests."""

from __future__ import annotations

import re
import threading

from sqlalchemy import func, select
from starlette.testclient import TestClient

from complaints.models import Complaint
from complaints.services.filing import build_services
from complaints.views.public import submission_key
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.app import create_app
from portal.core.db import session_scope
from portal.core.jobs import OutboxJob
from portal.core.notify import Notification
from portal.core.settings import get_settings

from consistency import complaint_input, problems, seed_city
from factories import user

NONCE_RE = re.compile(r'name="form_nonce" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def rendered_form(client) -> dict[str, str]:
    html = client.get("/complaints/new").text
    return {"csrf_token": CSRF_RE.search(html).group(1),
            "form_nonce": NONCE_RE.search(html).group(1)}


def counts(db) -> tuple[int, int, int]:
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(m))
                 for m in (Complaint, Notification, OutboxJob))


def filed(response) -> str:
    """The complaint a post led to: the payload of its signed tracking link (/complaints/t/
    <payload>.<time>.<signature>), without the time, which differs when two posts straddle
    a second."""
    assert response.status_code == 303
    return response.headers["location"].split("/complaints/t/")[1].split(".")[0]


def test_the_same_public_form_posted_twice_files_one_complaint(client, env, db):
    inst_id = seed_city(env)
    form = rendered_form(client)
    data = {**form, "action": "submit", "institution_id": str(inst_id),
            "category": "service_quality", "description": "夜班护工睡觉，呼叫铃没人应",
            "complainant_phone": "13900001111"}
    first = client.post("/complaints/new", data=data, follow_redirects=False)
    again = client.post("/complaints/new", data=data, follow_redirects=False)
    assert filed(first) == filed(again)
    assert counts(db) == (1, 1, 1)  # one complaint, one SMS, one delivery job

    # Going back and changing the form files a second complaint, not the first one again.
    changed = client.post("/complaints/new", data={**data, "description": "另一件事：饭菜是凉的"},
                          follow_redirects=False)
    assert filed(changed) != filed(first)
    # A fresh rendering of the form is a new submission even with the same content.
    fresh = client.post("/complaints/new", data={**data, **rendered_form(client)},
                        follow_redirects=False)
    assert filed(fresh) not in (filed(first), filed(changed))
    assert counts(db) == (3, 3, 3)
    assert problems(env) == []


def test_a_nonce_copied_into_another_browser_does_not_reveal_the_first_complaint(client, env, db):
    inst_id = seed_city(env)
    data = {"action": "submit", "institution_id": str(inst_id), "category": "service_quality",
            "description": "夜班护工睡觉，呼叫铃没人应", "complainant_phone": "13900002222"}
    mine = client.post("/complaints/new", data={**data, **rendered_form(client)},
                       follow_redirects=False)
    nonce = NONCE_RE.search(client.get("/complaints/new").text).group(1)
    with TestClient(create_app()) as other:
        form = rendered_form(other)
        theirs = other.post("/complaints/new", data={**data, **form, "form_nonce": nonce},
                            follow_redirects=False)
    assert filed(theirs) != filed(mine)
    assert counts(db)[0] == 2


def test_a_form_error_keeps_the_nonce_so_the_corrected_post_still_files_once(client, env, db):
    inst_id = seed_city(env)
    form = rendered_form(client)
    bad = client.post("/complaints/new", data={**form, "action": "submit",
                                               "institution_id": str(inst_id), "category": ""})
    assert bad.status_code == 400
    assert NONCE_RE.search(bad.text).group(1) == form["form_nonce"]
    fixed = {**form, "action": "submit", "institution_id": str(inst_id),
             "category": "service_quality", "description": "夜班护工睡觉，呼叫铃没人应"}
    for _ in range(2):
        assert client.post("/complaints/new", data=fixed, follow_redirects=False).status_code == 303
    assert counts(db)[0] == 1


def test_submission_key_needs_a_wellformed_nonce_and_a_token():
    inp = complaint_input(1, 1)
    assert submission_key("tok", "short", inp) is None
    assert submission_key("", "a" * 22, inp) is None
    key = submission_key("tok", "a" * 22, inp)
    assert key.startswith("web:") and len(key) <= 100
    assert key != submission_key("other", "a" * 22, inp)


def test_a_retried_open311_call_files_once_and_queues_one_sms(client, env, db):
    inst_id = seed_city(env)
    operator = user(db, Role.OPERATOR)
    secret = AccountService(db).create_api_key(operator, "12345").secret
    db.commit()
    data = {"service_code": "service_quality", "description": "护理员打骂老人，家属亲眼看见",
            "attribute[institution_id]": str(inst_id), "phone": "13900003333"}
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "12345-retry-7"}
    replies = [client.post("/open311/v2/requests.json", data=data, headers=headers)
               for _ in range(3)]
    assert [r.status_code for r in replies] == [201, 200, 200]
    assert len({r.json()[0]["service_request_id"] for r in replies}) == 1
    assert counts(db) == (1, 1, 1)


def test_racing_requests_with_one_idempotency_key_file_one_complaint(env):
    """Four requests with one key at the same instant (a client retrying on a timeout)."""
    inst_id = seed_city(env)
    barrier = threading.Barrier(4)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    # On SQLite a writing session holds the database from its first statement (BEGIN
    # IMMEDIATE, portal/core/db.py): the requests start together there and the database orders them.
    sqlite = env.startswith("sqlite")

    def submit() -> None:
        try:
            with session_scope(env) as db:
                if sqlite:
                    barrier.wait(timeout=10)
                intake, _ = build_services(db, get_settings())
                if not sqlite:
                    barrier.wait(timeout=10)
                complaint, created = intake.submit(complaint_input(inst_id, 1, key="race-1"))
                results.append((complaint.id, created))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert len({cid for cid, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert problems(env) == []
    with session_scope(env) as db:
        assert counts(db) == (1, 1, 1)


def test_a_retry_after_its_category_was_withdrawn_still_returns_its_complaint(env, db):
    """The key is not looked up before filing (the unique constraint refuses the repeat), but
    an input refused as invalid is: a retry gets its complaint even if the rules changed."""
    from sqlalchemy import update

    from complaints.exceptions import InvalidComplaint
    from complaints.models import RoutingRule

    from consistency import CATEGORY

    inst_id = seed_city(env)
    with session_scope(env) as s:
        intake, _ = build_services(s, get_settings())
        first, created = intake.submit(complaint_input(inst_id, 1, key="retry-after-change"))
        assert created
        number = first.tracking_no
    with session_scope(env) as s:
        s.execute(update(RoutingRule).where(RoutingRule.code == CATEGORY).values(active=False))
    with session_scope(env) as s:
        intake, _ = build_services(s, get_settings())
        again, created = intake.submit(complaint_input(inst_id, 1, key="retry-after-change"))
        assert (again.tracking_no, created) == (number, False)
        try:
            intake.submit(complaint_input(inst_id, 2, key="a-new-key"))
        except InvalidComplaint as exc:
            assert "category" in exc.errors
        else:
            raise AssertionError("a new complaint in a withdrawn category was filed")
    assert counts(db) == (1, 1, 1)
