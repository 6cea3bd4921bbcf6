"""A live uvicorn server on a migrated SQLite database, and Debian's chromium via Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import serve_app

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def live_db_url(tmp_path_factory, sqlite_template) -> str:
    """The live server's database: a small demo city (demo logins work) plus three named homes."""
    import shutil
    from datetime import date

    from sqlalchemy import select

    from demo.seed import seed_demo
    from portal.core.db import dispose_engines, session_scope
    from portal.orgs.models import District
    from search.rules.pinyin import initials

    from factories import institution

    var = tmp_path_factory.mktemp("live")
    db_path = var / "portal.sqlite3"
    shutil.copy(sqlite_template, db_path)
    url = f"sqlite:///{db_path}"
    seed_demo(url, institutions=30, seed=1, today=date(2026, 11, 25))
    with session_scope(url) as db:
        first = db.scalars(select(District).order_by(District.id)).first()
        for name in ["幸福里颐养院", "康乐老年公寓", "长青社区日间照料中心"]:
            institution(db, district_=first, name=name, name_initials=initials(name))
    dispose_engines()
    return url


@pytest.fixture(scope="session")
def live_server(live_db_url, redis_server) -> Iterator[str]:
    """The real app on the live database, with a search index; yields its base URL."""
    from search.services.index import rebuild

    var = Path(live_db_url.removeprefix("sqlite:///")).parent
    rebuild(var / "index", live_db_url)  # what a worker does at start when the index is missing
    with serve_app(live_db_url, redis_server.url, "browser-" + "y" * 40) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"{executable} is missing: run scripts/setup.sh (Debian package chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone(browser, live_server) -> Iterator[object]:
    """A page in a 390 × 844 phone context (issue 21's phone tests; test_phone_layout.PHONE)."""
    from test_phone_layout import PHONE

    context = browser.new_context(locale="zh-CN", bypass_csp=True, viewport=PHONE,
                                  device_scale_factor=1, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()
