"""Response headers and host names: HSTS behind HTTPS, no-store on every answer that carries
personal data, and no links built from a forged Host header (issue 18, item 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from complaints.services.tokens import tracking_tokens
from portal.core.settings import get_settings, reset_settings
from portal.opendays.models import Signup
from portal.opendays.services.events import OpenDayService

from factories import PASSWORD
from security_world import build_world
from support import csrf_token, login

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
HSTS = "max-age=31536000; includeSubDomains"


def _app_with(monkeypatch, **env: str):
    from portal.app import create_app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    return create_app()


@sqlite_only
def test_hsts_is_sent_only_when_secure_cookies_are_on(client, monkeypatch):
    assert "strict-transport-security" not in client.get("/").headers
    app = _app_with(monkeypatch, PORTAL_SECURE_COOKIES="1")
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/").headers["strict-transport-security"] == HSTS


def test_every_answer_with_personal_data_is_no_store(client, db):
    world = build_world(db)
    a = world.a
    settings = get_settings()
    tracking = tracking_tokens(settings).dumps(str(a.complaint.id))
    signup = db.scalars(select(Signup).where(Signup.open_day_id == a.open_day.id)).one()
    signup_token = OpenDayService(db, settings.secret_key).cancel_tokens.dumps(str(signup.id))
    caller_phone = a.complaint.complainant_phone

    public = [f"/complaints/t/{tracking}", f"/opendays/signup/{signup_token}"]
    seen = {}
    for path in public:
        seen[path] = client.get(path)
    login(client, a.staff.username, PASSWORD)
    seen["reveal"] = client.post(f"/staff/complaints/{a.complaint.id}/reveal",
                                 data={"csrf_token": csrf_token(client)})
    seen["queue.csv"] = client.get("/staff/queue.csv")
    client.cookies.clear()
    login(client, a.institution_staff.username, PASSWORD)
    seen["signups"] = client.get(f"/opendays/{a.open_day.id}/signups")
    client.cookies.clear()
    login(client, world.operator.username, PASSWORD)
    seen["caller"] = client.get("/operator/caller", params={"phone": caller_phone},
                                headers={"hx-request": "true"})

    assert a.complaint.tracking_no in seen["caller"].text
    for what, response in seen.items():
        assert response.status_code == 200, (what, response.status_code)
        assert response.headers.get("cache-control") == "no-store", what
    client.cookies.clear()
    # Public pages without personal data stay cacheable.
    for path in ("/", f"/institutions/{a.institution.id}", "/opendays/"):
        assert "no-store" not in client.get(path).headers.get("cache-control", ""), path


@sqlite_only
def test_a_forged_host_is_refused_and_links_use_the_portal_s_names(client, monkeypatch):
    evil = {"host": "evil.example"}
    assert client.get("/", headers=evil).status_code == 400
    # Starlette's trailing-slash redirect would send the browser to the forged host.
    redirect = client.get("/opendays", headers=evil, follow_redirects=False)
    assert redirect.status_code == 400
    assert "evil.example" not in redirect.headers.get("location", "")
    # Load balancers probe by address.
    assert client.get("/healthz", headers=evil).status_code == 200

    app = _app_with(monkeypatch, PORTAL_BASE_URL="https://yl.example.gov.cn",
                    PORTAL_ALLOWED_HOSTS="portal.internal")
    for host in ("yl.example.gov.cn", "portal.internal"):
        with TestClient(app, base_url=f"https://{host}") as named:
            page = named.get("/")
            assert page.status_code == 200
            assert f'href="https://{host}/opendays/"' in page.text
    with TestClient(app, base_url="https://testserver") as other:
        assert other.get("/").status_code == 400


def test_allowed_hosts_come_from_the_base_url_and_the_setting(monkeypatch):
    from portal.core.settings import load_settings

    monkeypatch.setenv("PORTAL_BASE_URL", "https://yl.example.gov.cn:8443/")
    monkeypatch.setenv("PORTAL_ALLOWED_HOSTS", " a.example , ,*.b.example,YL.example.gov.cn")
    assert load_settings().allowed_hosts == ("yl.example.gov.cn", "a.example", "*.b.example")
    monkeypatch.setenv("PORTAL_BASE_URL", "yl.example.gov.cn")
    with pytest.raises(ValueError, match="PORTAL_BASE_URL"):
        load_settings()
