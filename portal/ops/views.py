"""/admin/ops: the operations page for administrators, and its two retry buttons."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from portal.accounts.rules.roles import Role
from portal.core import audit
from portal.core.db import utcnow
from portal.core.endpoints import Ctx, view
from portal.core.health import read_scheduler_state
from portal.core.jobs import redis_connection
from portal.ops import services as status
from portal.ops.labels import queue_label, task_label

log = logging.getLogger(__name__)

ADMINS = [Role.ADMIN]

NOTICES = {
    "outbox": "已重新提交该外发任务。",
    "failed": "已将该失败任务放回队列。",
}


def _context(ctx: Ctx) -> dict[str, Any]:
    from portal.cron import RECURRING

    settings = ctx.settings
    data: dict[str, Any] = {
        "outbox_counts": status.outbox_counts(ctx.db),
        "outbox_problems": status.outbox_problems(ctx.db),
        "index": status.index_count(ctx.db, settings.index_dir),
        "redis_error": "",
        "queues": [],
        "failed_jobs": [],
        "periodic": [],
        # From the database: seen even while Redis is down.
        "scheduler": read_scheduler_state(ctx.db, utcnow()),
    }
    try:
        conn = redis_connection()
        conn.ping()
        data["queues"] = status.queue_lengths(conn, settings.queues)
        data["failed_jobs"] = status.failed_rq_jobs(conn, settings.queues)
        data["periodic"] = status.periodic_runs(conn, RECURRING)
    except RedisError as exc:
        log.warning("ops page: Redis unavailable: %s", exc)
        data["redis_error"] = type(exc).__name__
    return data


def _page(ctx: Ctx, status_code: int = 200, error: str = "") -> Response:
    notice = NOTICES.get(ctx.request.query_params.get("retried", ""), "")
    return ctx.render("ops/index.html", status_code=status_code, error=error, notice=notice,
                      task_label=task_label, queue_label=queue_label,
                      **_context(ctx))


@view(roles=ADMINS)
def ops_page(ctx: Ctx) -> Response:
    return _page(ctx)


@view(roles=ADMINS)
def retry_outbox(ctx: Ctx) -> Response:
    outbox_id = ctx.request.path_params["outbox_id"]
    try:
        row = status.retry_outbox(ctx.db, outbox_id)
    except status.OpsError as exc:
        ctx.db.rollback()
        return _page(ctx, 404 if "不存在" in str(exc) else 400, str(exc))
    audit.record(ctx.db, ctx.user.id, "retry", "outbox_job", row.id, func=row.func)
    ctx.db.commit()
    try:
        conn = redis_connection()
    except RedisError:
        conn = None
    status.after_outbox_retry(conn, row)
    return ctx.redirect(ctx.url("ops:index") + "?retried=outbox#outbox")


@view(roles=ADMINS)
def retry_failed(ctx: Ctx) -> Response:
    queue, job_id = ctx.request.path_params["queue"], ctx.request.path_params["job_id"]
    if queue not in ctx.settings.queues:
        raise HTTPException(404)
    try:
        job = status.retry_rq_job(redis_connection(), queue, job_id)
    except status.OpsError as exc:
        return _page(ctx, 404 if "不存在" in str(exc) else 400, str(exc))
    except RedisError:
        return _page(ctx, 400, "Redis 不可用，暂时无法重试")
    audit.record(ctx.db, ctx.user.id, "retry", "rq_job", job.id[:40], queue=queue)
    ctx.db.commit()
    return ctx.redirect(ctx.url("ops:index") + "?retried=failed#failed")


routes = [
    Route("/", ops_page, methods=["GET"], name="index"),
    Route("/outbox/{outbox_id:int}/retry", retry_outbox, methods=["POST"], name="retry_outbox"),
    Route("/failed/{queue}/{job_id}/retry", retry_failed, methods=["POST"], name="retry_failed"),
]
