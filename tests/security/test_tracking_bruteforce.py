"""The probe's tracking brute force against the real server (issue 18, item 2).

The probe tried 2,800 secrets in 17 s, each from a new forged X-Forwarded-For address, found
the complainant's 4 phone digits and posted "satisfied", closing someone else's complaint. Here
the same attack runs against the web server as production starts it (uvicorn with
`--proxy-headers --forwarded-allow-ips=$PORTAL_TRUSTED_PROXIES`, tests/servers.py), twice:
- behind a trusted proxy (PORTAL_TRUSTED_PROXIES=127.0.0.1), so every guess really comes from a
  different address and no per-address limit applies: the per-complaint lock must stop it;
- with no proxy configured: the forged header must not change the address that is counted.
Each run prints its counts.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import select, update

from complaints.intake import ComplaintInput
from complaints.models import Complaint
from complaints.services import build_services
from complaints.tracking import MAX_FAILURES
from complaints.views_tracking import TRACK_LOOKUPS_PER_HOUR
from portal.accounts.roles import Role
from portal.db import utcnow
from portal.notify import Notification
from portal.settings import get_settings

from factories import department, district, institution, user
from servers import portal_env, start_portal
from support import csrf_token

PHONE = "13566667777"
SECRET = PHONE[-4:]
GUESSES = 120


def answered_complaint(db) -> Complaint:
    d = district(db, name="西城区")
    office = department(db, "civil_affairs", d)
    department(db, "civil_affairs")
    inst = institution(db, district_=d, name="西城颐年养老院")
    handler = user(db, Role.DEPARTMENT, department_id=office.id)
    db.commit()
    intake, handling = build_services(db, get_settings())
    complaint, _ = intake.submit(ComplaintInput(
        channel="phone", category_code="service_quality", institution_id=inst.id,
        description="夜里没人巡房，老人摔倒后很久才被发现", complainant_phone=PHONE))
    handling.answer(handler, complaint, "经核查属实，已增加夜班护理员。", "substantiated")
    db.commit()
    return complaint


def forged(n: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}


def serve(env_db: str, redis_url: str, tmp_path: Path, **extra: str):
    var = Path(env_db.removeprefix("sqlite:///")).parent
    env = portal_env(env_db, redis_url, get_settings().secret_key, var)
    env.pop("PORTAL_TRUSTED_PROXIES", None)
    return start_portal(env | extra, log=tmp_path / "serve.log")


def stop(proc) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_guesses_from_many_addresses_find_no_secret_and_cannot_give_feedback(
        db, env, redis_server, tmp_path, capsys):
    complaint = answered_complaint(db)
    number = complaint.tracking_no
    # The right secret comes once the lock has fallen, and again at the end.
    secrets = [f"{n:04d}" for n in range(GUESSES)]
    secrets[GUESSES // 2] = secrets[-1] = SECRET
    proc, base = serve(env, redis_server.url, tmp_path, PORTAL_TRUSTED_PROXIES="127.0.0.1")
    try:
        with httpx2.Client(base_url=base, follow_redirects=False) as http:
            token = csrf_token(http, "/complaints/track")
            codes = [http.post("/complaints/track", headers=forged(n), data={
                "csrf_token": token, "tracking_no": number, "secret": secret}).status_code
                for n, secret in enumerate(secrets)]
            db.expire_all()
            told = db.scalars(select(Notification).where(
                Notification.recipient == PHONE,
                Notification.subject == "投诉查询多次验证失败")).all()
            checked = db.get(Complaint, complaint.id).track_failures
            successes = codes.count(303)
            with capsys.disabled():
                print(f"\ntracking brute force: {len(codes)} guesses from {len(codes)} addresses "
                      f"(right secret at guesses {GUESSES // 2 + 1} and {GUESSES}); "
                      f"checked: {checked}; successes: {successes}; "
                      f"per-address refusals: {codes.count(429)}; complainant SMS: {len(told)}")
            assert successes == 0 and codes == [400] * GUESSES
            assert len(told) == 1 and checked == MAX_FAILURES

            # The lock over, the complainant (or anyone with number + secret) looks it up: the
            # status link shows the answer but posting "satisfied" with it is refused.
            db.execute(update(Complaint).where(Complaint.id == complaint.id)
                       .values(track_locked_until=utcnow() - timedelta(seconds=1)))
            db.commit()
            found = http.post("/complaints/track", headers=forged(GUESSES), data={
                "csrf_token": token, "tracking_no": number, "secret": SECRET})
            assert found.status_code == 303
            link = found.headers["location"]
            closing = http.post(link + "/feedback", data={
                "csrf_token": token, "satisfied": "satisfied"})
            with capsys.disabled():
                print(f"feedback with number + secret only: HTTP {closing.status_code}")
            assert closing.status_code == 400
    finally:
        stop(proc)
    db.expire_all()
    assert db.get(Complaint, complaint.id).status == "answered"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_forged_forwarded_for_does_not_change_the_counted_address(
        db, env, redis_server, tmp_path, capsys):
    tries = TRACK_LOOKUPS_PER_HOUR + 5
    proc, base = serve(env, redis_server.url, tmp_path)
    try:
        with httpx2.Client(base_url=base, follow_redirects=False) as http:
            token = csrf_token(http, "/complaints/track")
            codes = [http.post("/complaints/track", headers=forged(n), data={
                "csrf_token": token, "tracking_no": "2026120700000000", "secret": "0000"})
                .status_code for n in range(tries)]
    finally:
        stop(proc)
    with capsys.disabled():
        print(f"\nforged X-Forwarded-For, no trusted proxy: {tries} lookups from {tries} forged "
              f"addresses, {codes.count(400)} checked, {codes.count(429)} refused as one address")
    assert codes == [400] * TRACK_LOOKUPS_PER_HOUR + [429] * 5
