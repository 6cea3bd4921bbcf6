"""Start-up: what the app builds once is kept out of the cyclic collector's full collections."""

from __future__ import annotations

import gc

import pytest


def test_startup_objects_are_frozen_out_of_the_collector(client):
    assert client.get("/healthz").status_code == 200
    # Modules, templates and routes: hundreds of thousands of objects a full collection would
    # otherwise walk with the GIL held.
    assert gc.get_freeze_count() > 10_000


def test_requests_run_on_the_configured_number_of_threads(env, monkeypatch):
    import anyio.to_thread
    from starlette.testclient import TestClient

    import portal.core.settings
    from portal.app import create_app

    monkeypatch.setenv("PORTAL_WEB_THREADS", "3")
    monkeypatch.setattr(portal.core.settings, "_settings", None)
    with TestClient(create_app()) as test_client:
        assert test_client.get("/healthz").status_code == 200
        tokens = test_client.portal.call(
            lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
    assert tokens == 3


@pytest.mark.parametrize("name", [
    "PORTAL_WEB_THREADS", "PORTAL_SESSION_MAX_AGE", "PORTAL_ANSWER_WORKING_DAYS",
    "PORTAL_URGENT_WORKING_DAYS", "PORTAL_SIGN_WORKING_DAYS", "PORTAL_FEEDBACK_WINDOW_DAYS",
    "PORTAL_BACKUP_KEEP", "PORTAL_TRACKING_LINK_DAYS",
    "PORTAL_CREDIT_LOOKBACK_DAYS"])
def test_a_bad_whole_number_setting_is_refused_with_its_name(monkeypatch, name):
    from portal.core.settings import load_settings

    for bad in ("0", "-2", "many"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ValueError, match=name):
            load_settings()


def test_credit_lookback_is_read_from_the_environment(monkeypatch):
    from portal.core.settings import load_settings

    monkeypatch.delenv("PORTAL_CREDIT_LOOKBACK_DAYS", raising=False)
    assert load_settings().credit_lookback_days == 365
    monkeypatch.setenv("PORTAL_CREDIT_LOOKBACK_DAYS", "730")
    assert load_settings().credit_lookback_days == 730


def test_requests_share_one_session_class_per_database(client, db):
    """A sessionmaker per request made a Session subclass per request, and SQLAlchemy set up
    every event listener again for each new class."""
    from portal.core.db import dispose_engines, get_engine, session_factory

    url = str(db.get_bind().url.render_as_string(hide_password=False))
    first = session_factory(url)
    assert client.get("/").status_code == 200
    assert session_factory(url) is first
    assert type(first()) is type(session_factory(url)())
    dispose_engines()  # a new engine: a new factory bound to it
    assert session_factory(url) is not first
    assert session_factory(url).kw["bind"] is get_engine(url)
