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
def live_server(tmp_path_factory, sqlite_template, redis_server) -> Iterator[str]:
    """The real app under uvicorn with a few institutions; yields its base URL."""
    import shutil

    from portal.db import dispose_engines, session_scope

    from factories import institution

    var = tmp_path_factory.mktemp("live")
    db_path = var / "portal.sqlite3"
    shutil.copy(sqlite_template, db_path)
    url = f"sqlite:///{db_path}"
    with session_scope(url) as db:
        for name in ["幸福里颐养院", "康乐老年公寓", "长青社区日间照料中心"]:
            institution(db, name=name)
    dispose_engines()
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
