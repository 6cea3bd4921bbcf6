"""A live uvicorn server on a migrated SQLite database, and Debian's chromium via Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from servers import free_port, wait_for_port

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

    from portal.db import dispose_engines, session_scope
    from portal.demo.seed import seed_demo
    from portal.orgs.models import District
    from search.pinyin import initials

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
    """The real app under uvicorn on the live database; yields its base URL."""
    url = live_db_url
    var = Path(url.removeprefix("sqlite:///")).parent
    from search.index import rebuild

    rebuild(var / "index", url)  # what a worker does at start when the index is missing
    port = free_port()
    env = os.environ | {
        "PORTAL_VAR_DIR": str(var),
        "PORTAL_DATABASE_URL": url,
        "PORTAL_REDIS_URL": redis_server.url,
        "PORTAL_SECRET_KEY": "browser-" + "y" * 40,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
