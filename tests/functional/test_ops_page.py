"""/admin/ops with a real Redis and real RQ jobs: queue lengths, failed jobs with their reason and
a retry button, the last run of each periodic job, index documents vs. institutions."""

from __future__ import annotations

import re

import pytest
from rq import Queue, SimpleWorker
from rq.cron import CronJob
from sqlalchemy import select

from portal.accounts.rules.roles import Role
from portal.core.audit import AuditEvent
from portal.core.jobs import OutboxJob, redis_connection, resolve_task, sweep_outbox
from portal.core.notify import queue_notification
from portal.core.settings import get_settings
from search.services.index import rebuild

from factories import PASSWORD, institution, user
from support import csrf_token, login

# The page reads the same tables on either engine; the retry's UPDATE runs on both below.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def as_admin(client, db):
    admin = user(db, Role.ADMIN)
    db.commit()
    login(client, admin.username, PASSWORD)
    return admin


def row_text(html: str, header: str) -> str:
    """The text of the table row whose first cell is `header` (tags stripped)."""
    match = re.search(rf"<tr><th scope=\"row\">{re.escape(header)}</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {header}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@sqlite_only
def test_only_admins_see_the_page(client, db):
    operator = user(db, Role.SUPERVISOR)
    db.commit()
    login(client, operator.username, PASSWORD)
    assert client.get("/admin/ops/").status_code == 403


@sqlite_only
def test_queue_lengths_and_index_against_database(client, db):
    as_admin(client, db)
    institution(db)
    institution(db)
    queue_notification(db, "sms", "13812345678", "提醒", "明天开放日")
    db.commit()  # one job dispatched to the default queue

    page = client.get("/admin/ops/")
    assert page.status_code == 200
    assert row_text(page.text, "常规任务") == "1 0 0 0"
    assert row_text(page.text, "搜索索引") == "0 0 0 0"
    assert "索引缺失或损坏" in page.text and "不一致" in page.text

    rebuild(get_settings().index_dir, get_settings().database_url)
    page = client.get("/admin/ops/")
    assert "索引文档 <strong>2</strong>" in page.text and "机构 <strong>2</strong>" in page.text
    assert "不一致" not in page.text


def test_a_failed_outbox_job_shows_its_reason_and_the_retry_button_resubmits_it(client, db):
    as_admin(client, db)
    queue_notification(db, "sms", "13812345678", "开放日报名成功", "您已报名")
    db.commit()
    job = db.scalars(select(OutboxJob)).one()
    Queue("default", connection=redis_connection()).empty()
    job.status, job.attempts = "failed", 5
    job.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
    db.commit()

    page = client.get("/admin/ops/")
    assert "已放弃 1" in page.text
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page.text
    action = f"/admin/ops/outbox/{job.id}/retry"
    assert f'{action}"' in page.text  # url_for gives absolute URLs

    assert client.post(action, data={}, follow_redirects=False).status_code == 403  # no CSRF
    response = client.post(action, data={"csrf_token": csrf_token(client, "/admin/ops/")},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "已重新提交" in client.get(response.headers["location"]).text
    db.expire_all()
    row = db.get(OutboxJob, job.id)
    assert (row.status, row.attempts) == ("pending", 0) and row.enqueued_at is not None
    assert Queue("default", connection=redis_connection()).count == 1
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "retry")).one().actor_id
    assert sweep_outbox() == 0  # already pushed; the sweeper does not push it twice

    # A second click on a row that is no longer failed is refused politely.
    again = client.post(action, data={"csrf_token": csrf_token(client, "/admin/ops/")},
                        follow_redirects=False)
    assert again.status_code == 303  # still pending: pushing it again is harmless
    done = client.post("/admin/ops/outbox/999999/retry",
                       data={"csrf_token": csrf_token(client, "/admin/ops/")})
    assert done.status_code == 404 and "任务不存在" in done.text


@sqlite_only
def test_a_failed_rq_job_is_listed_with_its_reason_and_can_be_requeued(client, db):
    as_admin(client, db)
    conn = redis_connection()
    queue = Queue("default", connection=conn)
    failing = queue.enqueue(resolve_task, "evil.module:thing")  # raises ValueError
    SimpleWorker([queue], connection=conn).work(burst=True)
    assert failing.get_status() == "failed"

    page = client.get("/admin/ops/")
    assert row_text(page.text, "常规任务").endswith("1")  # one failed
    assert "ValueError: not a portal task: evil.module:thing" in page.text
    action = f"/admin/ops/failed/default/{failing.id}/retry"
    assert f'{action}"' in page.text  # url_for gives absolute URLs
    response = client.post(action, data={"csrf_token": csrf_token(client, "/admin/ops/")},
                           follow_redirects=False)
    assert response.status_code == 303
    assert queue.count == 1 and failing.get_status() == "queued"
    gone = client.post(action, data={"csrf_token": csrf_token(client, "/admin/ops/")})
    assert gone.status_code == 404 and "已不存在" in gone.text
    unknown = client.post("/admin/ops/failed/nope/x/retry",
                          data={"csrf_token": csrf_token(client, "/admin/ops/")})
    assert unknown.status_code == 404


@sqlite_only
def test_the_last_run_of_each_periodic_job_is_shown(client, db):
    from complaints.tasks import sweep_clocks
    from portal.cron import RECURRING

    as_admin(client, db)
    conn = redis_connection()
    page = client.get("/admin/ops/")
    assert page.text.count("尚未运行") == len(RECURRING)  # none has run yet
    assert "其他任务" not in page.text  # every recurring job has its Chinese name

    # What `rq cron` does at each tick: enqueue and record the job in the cron history.
    CronJob("default", func=sweep_outbox, interval=60).enqueue(conn)
    CronJob("default", func=sweep_clocks, cron="*/5 * * * *").enqueue(conn)
    page = client.get("/admin/ops/")
    # Jobs are named in Chinese (issue 21 item 13), not by their function.
    assert "外发任务清扫" in page.text and "排队中" in page.text
    assert "sweep_outbox" not in page.text and "portal.core" not in page.text
    SimpleWorker([Queue("default", connection=conn)], connection=conn).work(burst=True)
    page = client.get("/admin/ops/")
    row = page.text.split("外发任务清扫（补发未送出的任务）")[1].split("</tr>")[0]
    assert "完成" in row and f"每 {get_settings().outbox_sweep_seconds} 秒" in row
    assert page.text.count("尚未运行") == len(RECURRING) - 2


@sqlite_only
def test_with_redis_down_the_page_still_answers(client, db, redis_server):
    as_admin(client, db)
    redis_server.stop()
    try:
        page = client.get("/admin/ops/")
    finally:
        redis_server.start()
    assert page.status_code == 200
    assert "任务队列服务（Redis）不可用" in page.text and "外发任务" in page.text
