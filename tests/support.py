"""Helpers shared by tests: artifacts folder, CSRF tokens, form posts, signing in."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.core.db import reading_engine

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def server_error(url: str, status: int) -> bool:
    """A 5xx that is a fault: /healthz/scheduler answers 503 by design while no scheduler ticks
    (tests that walk every page run none)."""
    return status >= 500 and not (url.split("?")[0] == "/healthz/scheduler" and status == 503)


def at_once(n: int, body: Callable[[Callable[[], None]], object]) -> list:
    """Run `body(go)` in n threads; each calls `go()` when it is ready (after reading what it
    needs), and all go on together. Each thread's result, or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list = []

    def run() -> None:
        try:
            results.append(body(lambda: barrier.wait(timeout=30)))
        except BaseException as exc:  # counted by the caller
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def csrf_token(client, path: str = "/") -> str:
    match = CSRF_RE.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, **data):
    """A form POST with this browser's CSRF token, redirects not followed."""
    return client.post(path, data={"csrf_token": csrf_token(client), **data},
                       follow_redirects=False)


def sign_in(client, db, role, **overrides):
    """A new user of `role` (factory overrides allowed), committed and signed in afresh."""
    from factories import PASSWORD, user

    account = user(db, role, **overrides)
    db.commit()
    client.cookies.clear()
    login(client, account.username, PASSWORD)
    return account


def index_jobs(db, institution_id: int) -> int:
    """Outbox jobs that redo this institution's search document."""
    from sqlalchemy import select

    from portal.core.jobs import OutboxJob, task_path
    from search.tasks import index_institution

    db.expire_all()
    jobs = db.scalars(select(OutboxJob).where(OutboxJob.func == task_path(index_institution)))
    return sum(1 for job in jobs if job.args == [institution_id])


def login(client, username: str, password: str) -> None:
    token = csrf_token(client, "/accounts/login")
    response = client.post(
        "/accounts/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


DEMO_PASSWORD = "Demo-2026-pass"  # every demo account's (README)


def browser_file_complaint(page, base: str, *, typed: str, home: str, text: str,
                           phone: str, category: str = "service_quality") -> str:
    """File a complaint through the public form in a Playwright page (the name typed, the home
    taken from the type-ahead); its 16-digit tracking number from the read-back."""
    import re

    page.goto(base + "/complaints/new")
    page.get_by_label("机构名称（输入名称中的字或拼音首字母）").fill(typed)
    page.get_by_role("radio", name=re.compile(home)).check()  # htmx type-ahead
    page.get_by_label("问题类别").select_option(category)
    page.get_by_label("具体情况（时间、地点、经过）").fill(text)
    page.get_by_label("手机号码").fill(phone)
    page.get_by_role("button", name="提交投诉").click()
    page.wait_for_load_state()
    assert page.get_by_text("投诉已受理").is_visible()
    number = page.locator(".readback .big-number").first.inner_text().strip()
    assert re.fullmatch(r"\d{16}", number), number
    return number


def browser_login(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form in a Playwright page."""
    page.goto(base + "/accounts/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def open_filters(page) -> None:
    """On a phone (below 48rem) the directory's filters fold behind 筛选 (issue 21 item 2):
    unfold them as a user would. Wider, the button is hidden and the fields show already."""
    summary = page.locator(".filter-fold > summary")
    if summary.is_visible() and page.locator("#filter-fold").get_attribute("open") is None:
        summary.click()


@contextmanager
def statements(bind) -> Iterator[list[str]]:
    """The SQL statements run on an engine, or a session's engine (any session's), inside the
    block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        # Not SQLite's BEGIN, which portal/core/db.py sends through SQLAlchemy: psycopg sends
        # PostgreSQL's unseen, and the counts of both databases stay alike.
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    engine = bind.get_bind() if isinstance(bind, Session) else bind
    # The engine itself, not a variant of it with other options (conftest.py: observing),
    # whose listeners would hear its own connections only.
    engine = getattr(engine, "_proxied", engine)
    # On PostgreSQL, GET requests read through the engine's read-only twin (portal/core/db.py).
    engines = [engine] + ([reading_engine(engine)] if engine.dialect.name == "postgresql" else [])
    for one in engines:
        event.listen(one, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for one in engines:
            event.remove(one, "before_cursor_execute", record)
