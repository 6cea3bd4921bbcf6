"""The production files in deploy/, run for real: Debian's nginx with deploy/nginx/portal.conf in
front of the web processes started by deploy/systemd/portal-web.service's own ExecStart line
with deploy/portal.env.example's settings (uvicorn, two workers) on PostgreSQL.

Chromium browses and files complaints through nginx, and Open311 clients hand complaints over,
while one web worker is killed (SIGKILL): uvicorn starts a new one; the requests the killed
worker held get 502 from nginx and are retried (the hand-overs with their Idempotency-Key).
Every complaint the browser was given a number for, and every hand-over, is in the database
exactly once. Also: gzip and brotli on text, the cache headers of static files, and the client
address the app sees (X-Forwarded-For believed from nginx only). One file for the deploy/
folder's files run for real (just over 400 lines: they share the stack fixture and helpers)."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from complaints.models import Complaint
from portal.accounts.rules.roles import Role
from portal.accounts.services import AccountService
from portal.core import nginxconf
from portal.core.db import dispose_engines, session_scope
from portal.institutions.models import Institution

from factories import user
from servers import free_port, nginx_without_upstream, portal_env, stop_process, uvicorn_workers

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
SECRET = "deploy-" + "d" * 40
FORGED = "203.0.113.9"  # TEST-NET-3: never a real client here
CLIENT = "127.0.0.5"  # a loopback address other than nginx's own 127.0.0.1


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def substitute(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy file no longer contains {old!r}: update this test"
    return text.replace(old, new)


def env_file() -> dict[str, str]:
    """deploy/portal.env.example as systemd reads it (KEY=VALUE, optional double quotes)."""
    found = {}
    for line in (DEPLOY / "portal.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return found


def web_command(env: dict[str, str], port: int) -> list[str]:
    """portal-web.service's ExecStart: ${VAR} from the environment file (here `env`), the
    checkout instead of /opt/portal, this test's port."""
    unit = (DEPLOY / "systemd" / "portal-web.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    line = re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), line.removeprefix("ExecStart="))
    argv = [a.replace("/opt/portal", str(REPO)) for a in shlex.split(line)]
    assert argv[0] == str(REPO / ".venv/bin/uvicorn")
    argv[0] = str(Path(sys.executable).parent / "uvicorn")  # this test's venv
    argv[argv.index("--port") + 1] = str(port)
    return argv


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, {k.lower(): v for k, v in response.headers.items()}, \
                response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()
    except OSError:
        return 0, {}, b""


def post_api(base: str, key: str, inst_id: int, n: int, probe: str) -> int:
    """One Open311 complaint through nginx (a hotline system's hand-over); the HTTP status, 0
    when the connection failed. The same Idempotency-Key on every retry."""
    body = urllib.parse.urlencode({
        "service_code": "service_quality", "description": f"接线 {n} 号：护理员夜间离岗 {probe}",
        "attribute[institution_id]": str(inst_id), "phone": f"139{n:08d}"}).encode()
    request = urllib.request.Request(  # noqa: S310 - 127.0.0.1 only
        f"{base}/open311/v2/requests.json", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": f"{probe}-{n}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def get_from(port: int, path: str, headers: dict[str, str]) -> int:
    """GET from the CLIENT address (not nginx's 127.0.0.1)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(CLIENT, 0))
    try:
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def pg_url(postgres_server, postgres_template) -> str:
    import psycopg

    name = "deploy_" + uuid.uuid4().hex[:10]
    with psycopg.connect(f"host=127.0.0.1 port={postgres_server.port} user=postgres "
                         "dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    return postgres_server.url(name)


@pytest.fixture
def stack(tmp_path, pg_url, redis_server):
    """PostgreSQL with a small demo city, the web unit's command, nginx; yields
    (nginx base URL, web port, uvicorn manager process, web log)."""
    import redis

    from demo.seed import seed_demo
    from search.services.index import rebuild

    if not Path(nginxconf.NGINX).exists():
        pytest.fail("nginx is missing: run scripts/setup.sh (Debian package nginx)")
    redis.Redis.from_url(redis_server.url).flushall()  # rate-limit counters of earlier tests
    var = tmp_path / "var"
    seed_demo(pg_url, institutions=12, seed=3, today=date(2026, 11, 25))
    rebuild(var / "index", pg_url)  # what `portal worker` does at start
    dispose_engines()

    web_port, nginx_port = free_port(), free_port()
    # The template's settings (PORTAL_TRUSTED_PROXIES, WEB_CONCURRENCY …), with this test's
    # database, Redis, folders and address; plain HTTP here, so no Secure cookies.
    template = env_file()
    assert template["PORTAL_TRUSTED_PROXIES"] == "127.0.0.1" and template["WEB_CONCURRENCY"] == "2"
    env = portal_env(pg_url, redis_server.url, SECRET, var)
    ours = {k: env[k] for k in ("PORTAL_DATABASE_URL", "PORTAL_REDIS_URL", "PORTAL_SECRET_KEY",
                                "PORTAL_VAR_DIR", "PORTAL_INDEX_DIR")}
    env |= template | ours | {
        "PORTAL_BASE_URL": f"http://127.0.0.1:{nginx_port}",
        "PORTAL_BACKUP_DIR": str(var / "backups"),
        "PORTAL_SECURE_COOKIES": "0",
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    web_log = tmp_path / "web.log"
    with open(web_log, "wb") as out:
        web = subprocess.Popen(web_command(env, web_port), cwd=REPO, env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    conf = nginxconf.config(prefix, nginx_port, web_port)
    nginx = subprocess.Popen(nginxconf.command(prefix, conf),
                             stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{nginx_port}"
    try:
        wait_until(lambda: nginx.poll() is None and fetch(base + "/healthz")[0] == 200
                   or nginx.poll() is not None, 90, "the portal through nginx")
        assert nginx.poll() is None, (prefix / "error.log").read_text()
        wait_until(lambda: len(uvicorn_workers(web.pid)) == 2, 60, "two web workers")
        yield base, web_port, web, web_log
    finally:
        for proc in (nginx, web):
            stop_process(proc)
        dispose_engines()
        shutil.rmtree(prefix, ignore_errors=True)


def file_complaint(page, base: str, inst_name: str, text: str) -> str | None:
    """Files one complaint in the browser; returns the number it was given, or None when the
    portal did not acknowledge it (e.g. the worker holding the connection was killed)."""
    try:
        page.goto(base + "/complaints/new")
        page.get_by_label("机构名称（输入名称中的字或拼音首字母）").fill(inst_name[:4])
        page.get_by_role("radio", name=re.compile(re.escape(inst_name))).check()
        page.get_by_label("问题类别").select_option("service_quality")
        page.get_by_label("具体情况（时间、地点、经过）").fill(text)
        page.get_by_label("手机号码").fill("13566667777")
        page.get_by_role("button", name="提交投诉").click()
        page.wait_for_load_state()
        if not page.get_by_text("投诉已受理").is_visible():
            return None
        return page.locator(".readback .big-number").first.inner_text().strip()
    except Exception:  # noqa: BLE001 - a 502 page or a reset connection: not acknowledged
        return None


def test_browser_through_nginx_with_a_web_worker_killed_loses_nothing(stack, browser, pg_url):
    base, web_port, web, web_log = stack
    with session_scope(pg_url) as db:
        inst = db.scalars(select(Institution).order_by(Institution.id)).first()
        inst_id, inst_name = inst.id, inst.name
        api_key = AccountService(db).create_api_key(user(db, Role.OPERATOR), "12345").secret

    # Text is compressed by nginx; versioned static files are cached for a year.
    status, headers, body = fetch(base + "/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip", headers
    html = gzip.decompress(body).decode()
    css = re.search(r'href="(?:http://[^/"]+)?(/static/css/site\.css\?v=[^"]+)"', html).group(1)
    assert fetch(base + "/", {"Accept-Encoding": "br"})[1].get("content-encoding") == "br"
    status, headers, _ = fetch(base + css, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert "max-age=31536000" in headers["cache-control"], headers
    status, headers, _ = fetch(base + "/static/vendor/htmx.min.js")
    assert status == 200 and headers["cache-control"] == "public, max-age=3600", headers

    # The client address: through nginx, the one nginx saw (a forged header is overwritten);
    # straight to uvicorn from an address that is not a trusted proxy, the header is ignored.
    probe = uuid.uuid4().hex[:8]
    nginx_port = int(base.rsplit(":", 1)[1])
    assert get_from(nginx_port, f"/probe-nginx-{probe}?phone=13500001111",
                    {"X-Forwarded-For": FORGED}) == 404
    assert get_from(web_port, f"/probe-direct-{probe}", {"X-Forwarded-For": FORGED}) == 404

    def logged(path: str) -> str | None:
        return next((x for x in web_log.read_text().splitlines() if path in x), None)

    for path in (f"/probe-nginx-{probe}", f"/probe-direct-{probe}"):
        line = wait_until(lambda p=path: logged(p), 30, f"the access log line of {path}")
        assert f" {CLIENT}:" in line and FORGED not in line, line
    assert "13500001111" not in web_log.read_text()  # deploy/uvicorn-log.json drops queries

    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/")
    assert page.locator("body").inner_text().strip()
    page.goto(base + "/institutions/")
    assert page.get_by_text(inst_name).first.is_visible()
    page.goto(base + f"/institutions/{inst_id}")
    assert page.get_by_role("heading", name=inst_name).first.is_visible()

    # Requests in flight while a worker is killed: a reader keeps loading pages through nginx.
    stop = threading.Event()
    statuses: list[tuple[float, int]] = []

    def reader() -> None:
        while not stop.is_set():
            statuses.append((time.monotonic(), fetch(base + "/institutions/")[0]))

    # Hotline hand-overs at the same time, so that requests are in flight on the killed
    # worker: each retried with its key until accepted.
    api_senders = 4
    api_statuses: list[int] = []
    accepted: set[int] = set()
    tried: set[int] = set()
    enough = threading.Event()  # set once the killed worker has been replaced

    def filer(first: int) -> None:
        for n in range(first, 10_000, api_senders):
            if enough.is_set():
                return
            tried.add(n)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not stop.is_set():
                status = post_api(base, api_key, inst_id, n, probe)
                api_statuses.append(status)
                if status in (200, 201):
                    accepted.add(n)
                    break
                time.sleep(0.2)
            time.sleep(0.05)  # a steady stream, not a flood: the browser shares the 2 cores

    acknowledged: dict[str, str] = {}  # number → text
    texts: list[str] = []
    threads = [threading.Thread(target=reader, daemon=True)]
    threads += [threading.Thread(target=filer, args=(i,), daemon=True) for i in range(api_senders)]
    for thread in threads:
        thread.start()

    def file(n: int) -> None:
        for attempt in range(2):  # the rate limit allows 10 an hour from one address
            text = f"第 {n} 号（{attempt}）：夜里按呼叫铃半小时没人来，老人摔倒 {probe}"
            texts.append(text)
            number = file_complaint(page, base, inst_name, text)
            if number:
                acknowledged[number] = text
                return

    try:
        file(0)
        wait_until(lambda: len(accepted) >= 8, 60, "the first hand-overs")
        killed = sorted(uvicorn_workers(web.pid))[0]  # with requests in flight
        os.kill(killed, signal.SIGKILL)
        for n in (1, 2, 3):
            file(n)
        restarted = wait_until(
            lambda: (w := uvicorn_workers(web.pid)) and len(w) == 2 and killed not in w and w,
            60, "uvicorn to start the killed worker again")
        after_restart, before = time.monotonic(), len(accepted)
        wait_until(lambda: any(t > after_restart and s == 200 for t, s in list(statuses)), 30,
                   "a page read after the restart")
        wait_until(lambda: len(accepted) >= before + 8, 60, "hand-overs after the restart")
        enough.set()
        for thread in threads[1:]:
            thread.join(timeout=120)
    finally:
        stop.set()
        enough.set()
        for thread in threads:
            thread.join(timeout=60)
        ctx.close()

    assert web.poll() is None and killed not in restarted
    assert len(acknowledged) >= 3, (acknowledged, web_log.read_text()[-3000:])
    assert all(re.fullmatch(r"\d{16}", number) for number in acknowledged)
    with session_scope(pg_url) as db:
        for number, text in acknowledged.items():
            rows = db.execute(select(Complaint.tracking_no, Complaint.description)
                              .where(Complaint.description == text)).all()
            assert rows == [(number, text)], (number, rows)  # exactly once, under its number
        # Nothing else was filed but what the browser sent (an unacknowledged one may exist).
        mine = Complaint.description.contains(f"老人摔倒 {probe}")
        filed = db.scalars(select(Complaint.description).where(mine)).all()
        assert set(filed) <= set(texts) and len(filed) == len(set(filed))
        assert db.scalar(select(func.count()).select_from(Complaint)
                         .where(Complaint.institution_id == inst_id)
                         .where(mine)) == len(filed)
    assert 200 in {s for _, s in statuses}
    # Every hand-over was accepted in the end, each stored exactly once under its key.
    assert accepted == tried, (sorted(tried - accepted), sorted(set(api_statuses)))
    with session_scope(pg_url) as db:
        keys = db.scalars(select(Complaint.idempotency_key)
                          .where(Complaint.idempotency_key.contains(f":{probe}-"))).all()
    assert sorted(k.rsplit(":", 1)[1] for k in keys) == sorted(f"{probe}-{n}" for n in tried)
    print(f"hand-overs: {len(api_statuses)} requests, not answered 2xx: "
          f"{sorted(s for s in api_statuses if s not in (200, 201))}")


def test_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """The three units as installed (paths pointing at this checkout): systemd's own check of
    every directive, executable and the environment file."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing (Debian package systemd)")
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["portal-cron.service", "portal-web.service",
                                       "portal-worker.service"]
    for unit in units:
        text = unit.read_text()
        for needed in ("Restart=always", "EnvironmentFile=/etc/portal/portal.env", "User=portal"):
            assert needed in text, (unit.name, needed)
        text = text.replace("/etc/portal/portal.env", str(DEPLOY / "portal.env.example"))
        (tmp_path / unit.name).write_text(text.replace("/opt/portal", str(REPO)))
    result = subprocess.run([analyze, "verify", *sorted(map(str, tmp_path.glob("*.service")))],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_site_passes_nginx_t_in_debians_own_nginx_conf(tmp_path):
    """deploy/nginx/portal.conf unchanged, in Debian's /etc/nginx/nginx.conf in place of
    sites-enabled/: what `nginx -t` says after the installation steps of deploy/README.md."""
    if not Path(nginxconf.NGINX).exists():
        pytest.fail("nginx is missing: run scripts/setup.sh (Debian package nginx)")
    debian = Path("/etc/nginx/nginx.conf").read_text()
    conf = tmp_path / "nginx.conf"
    conf.write_text(substitute(debian, "include /etc/nginx/sites-enabled/*;",
                               f"include {DEPLOY / 'nginx' / 'portal.conf'};"))
    result = subprocess.run([nginxconf.NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "[warn]" not in result.stderr and "[emerg]" not in result.stderr, result.stderr


def test_nginx_answers_in_chinese_while_the_web_processes_are_down(tmp_path):
    """No web process listening (a restart): the site's 502 page, in Chinese, not cached."""
    with nginx_without_upstream(tmp_path) as (nginx, port):
        status, headers, body = wait_until(
            lambda: (r := fetch(f"http://127.0.0.1:{port}/complaints/new"))[0] and r
            or nginx.poll() is not None and (0, {}, b""), 30, "nginx")
        assert status == 502, (tmp_path / "error.log").read_text()
        assert "服务暂时不可用" in body.decode() and headers["cache-control"] == "no-store"

