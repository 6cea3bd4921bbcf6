"""No personal data leaves the staff pages: the complainants', open-day visitors' and reviewers'
full names and phone numbers are searched for in every public page and API answer, the open-data
downloads, every staff export, the search index, and everything logged meanwhile (the SMS
sender's lines included).

Public GET routes are walked from the app, so a new public page is searched at once (and fails
until its path parameters are filled in below).
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from rq import Queue, SimpleWorker

from complaints.services.tokens import tracking_tokens
from portal.accounts.rules.roles import Role
from portal.core.jobs import redis_connection
from portal.core.settings import get_settings
from portal.institutions.services.lists import LISTS
from portal.opendata.services.datasets import DATASETS
from portal.opendata.views.public import FORMATS
from portal.opendays.models import Signup
from portal.opendays.services.events import OpenDayService
from search.services.index import rebuild, searcher_for

from factories import PASSWORD
from security_world import World, app_routes, build_world
from support import login, server_error

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def path_values(world: World, db) -> dict[str, list[str]]:
    """Every value each public path parameter is tried with (records of side A and B)."""
    settings = get_settings()
    signups = OpenDayService(db, settings.secret_key)
    signup_tokens = [signups.cancel_tokens.dumps(str(s.id)) for s in db.query(Signup)]
    feedback_tokens = [signups.feedback_tokens.dumps(str(s.id)) for s in db.query(Signup)]
    sides = (world.a, world.b)
    return {
        "institution_id": [str(s.institution.id) for s in sides],
        "open_day_id": [str(s.open_day.id) for s in sides],
        "name": list(LISTS),
        "code": ["service_quality", *DATASETS],
        "request_id": [s.complaint.tracking_no for s in sides],
        "fmt": list(FORMATS),
        # Signed links: the complainant's tracking page, the visitor's sign-up and feedback.
        "token": [tracking_tokens(settings).dumps(str(s.complaint.id)) for s in sides]
        + signup_tokens + feedback_tokens,
    }


def public_urls(world: World, db) -> list[str]:
    values = path_values(world, db)
    urls = []
    for method, path, endpoint in app_routes():
        if method != "GET" or getattr(endpoint, "allowed_roles", None) is not None:
            continue
        if "{path:path}" in path:
            continue  # the .xml catch-all answers with an error only
        names = re.findall(r"\{(\w+)(?::\w+)?\}", path)
        for name in names:
            assert name in values, f"public path parameter {name!r}: give it values above"
        combos = [path]
        for name in names:
            combos = [re.sub(r"\{" + name + r"(?::\w+)?\}", v, c, count=1)
                      for c in combos for v in values[name]]
        urls += combos
    return urls


def text_of(response) -> str:
    """The body as text; an XLSX is unzipped and its XML searched."""
    body = response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return body.decode("utf-8", "replace")


def leaks(text: str, world: World) -> list[str]:
    return [value for value in world.personal_values if value in text]


def index_text() -> str:
    """Every stored field and every term of the search index."""
    searcher = searcher_for(get_settings().index_dir)
    stored = [str(v) for fields in searcher.all_stored_fields() for v in fields.values()]
    terms = [t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t)
             for _field, t in searcher.reader().all_terms()]
    return "\n".join(stored + terms)


@sqlite_only
def test_no_personal_data_in_any_public_page_api_download_export_index_or_log(
        client, db, caplog):
    caplog.set_level(logging.DEBUG)
    world = build_world(db)
    settings = get_settings()
    rebuild(settings.index_dir, settings.database_url)
    # Deliver the queued SMS (confirmations, receipts) through the logging sender.
    SimpleWorker([Queue("default", connection=redis_connection())],
                 connection=redis_connection()).work(burst=True)
    found: list[tuple[str, list[str]]] = []

    urls = public_urls(world, db)
    assert any(u.startswith("/opendata/") for u in urls) and any("/t/" in u for u in urls)
    for url in urls:
        response = client.get(url)
        assert not server_error(url, response.status_code), url
        if leak := leaks(text_of(response), world):
            found.append((url, leak))

    exports = {
        world.a.staff.username: ["/staff/queue.csv", "/staff/queue.xlsx",
                                 "/staff/queue.csv?tab=all", "/dashboard/office"],
        world.supervisor.username: ["/staff/supervision.csv?view=all",
                                    "/staff/supervision.xlsx?view=all", "/indicators/export.xlsx",
                                    "/indicators/export.csv", "/dashboard/offices",
                                    f"/dashboard/institutions/{world.b.institution.id}"],
    }
    for username, paths in exports.items():
        client.cookies.clear()
        login(client, username, PASSWORD)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            if leak := leaks(text_of(response), world):
                found.append((path, leak))

    # Searching for a person finds nothing (the answer echoes the query, so it is not searched).
    for value in world.personal_values:
        assert client.get("/api/v1/search", params={"q": value}).json()["total"] == 0, value
        suggested = client.get("/api/v1/institutions/suggest", params={"q": value[:4]})
        assert suggested.status_code == 200 and suggested.json()["results"] == [], value
    if leak := leaks(index_text(), world):
        found.append(("search index", leak))
    # The portal's own log lines (the test client's request log is the test's, not the app's).
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "notification" in logged  # the SMS sender did log its (masked) lines
    if leak := leaks(logged, world):
        found.append(("log", leak))
    assert found == []


@sqlite_only
def test_the_search_above_can_fail_staff_pages_do_show_the_handler_the_phone(client, db):
    """The assigned office's handler sees the complainant unmasked on request (audited): the
    values searched for above are really in the data, so the test above can fail."""
    world = build_world(db)
    login(client, world.a.staff.username, PASSWORD)
    complaint = world.a.complaint
    page = client.get(f"/staff/complaints/{complaint.id}")
    assert "13511112222" not in page.text  # masked until revealed
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    revealed = client.post(f"/staff/complaints/{complaint.id}/reveal",
                           data={"csrf_token": token}, follow_redirects=True)
    assert "13511112222" in revealed.text and "欧阳守秘" in revealed.text
    assert leaks(revealed.text, world)
    assert Role.DEPARTMENT.value == world.a.staff.role
