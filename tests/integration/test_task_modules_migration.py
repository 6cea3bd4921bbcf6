"""Migration 0022 on rows already there, on SQLite and PostgreSQL: an outbox job recorded before
the issue-19 layout names its task by the old module (`portal.notify:send_notification`); after
the upgrade it names the moved one and still resolves to the task, other rows are untouched, and
the downgrade gives the old names back."""

from __future__ import annotations

from sqlalchemy import select

from portal.core.jobs import OutboxJob, resolve_task

BEFORE = {
    "portal.notify:send_notification": "portal.core.notify:send_notification",
    "portal.institutions.page_jobs:refresh_page": "portal.institutions.tasks:refresh_page",
    "portal.opendays.signups:send_reminder": "portal.opendays.services.signups:send_reminder",
    "portal.signed_counts:fold_signed_counts": "portal.core.signed_counts:fold_signed_counts",
    "complaints.tasks:sweep_clocks": "complaints.tasks:sweep_clocks",  # did not move
}


def _funcs(db) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(OutboxJob.func).order_by(OutboxJob.id)))


def test_migration_0022_renames_pending_jobs_task_paths(db, env):
    from alembic import command

    from portal.core.migrate import alembic_config, upgrade

    db.close()
    command.downgrade(alembic_config(env), "0021")
    with db.get_bind().begin() as conn:
        conn.execute(OutboxJob.__table__.insert(),
                     [{"func": old, "args": [], "queue": "default"} for old in BEFORE])
    upgrade(env)

    assert _funcs(db) == list(BEFORE.values())
    for path in BEFORE.values():
        assert resolve_task(path).is_portal_task
    db.close()

    command.downgrade(alembic_config(env), "0021")
    assert _funcs(db) == list(BEFORE)
    db.close()
    upgrade(env)
    assert _funcs(db) == list(BEFORE.values())
