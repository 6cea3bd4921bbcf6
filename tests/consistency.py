"""Reliability-test helpers: a small city to file into, and whole-database consistency checks.

`problems()` lists every way the complaint tables can be half-written: a complaint without its
tracking number, routing, clock, or its 'received'/'assigned' steps (exactly one each), an event
or co-handling row without its complaint, a complaint with a phone but no acknowledgement SMS.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.engine import make_url

from complaints.models import CoHandling, Complaint, ComplaintEvent, QueueCount
from complaints.rules.intake import ComplaintInput
from portal.core.db import get_engine, session_scope
from portal.core.notify import Notification

from factories import department, district, institution

CATEGORY = "service_quality"  # routed to civil affairs (city office as fall-back)


def seed_city(url: str) -> int:
    """A district, the civil-affairs offices and one institution; returns the institution id."""
    with session_scope(url) as db:
        d = district(db, name="可靠区")
        department(db, "civil_affairs")
        department(db, "civil_affairs", d)
        return institution(db, district_=d, name="可靠颐养院").id


def phone_for(n: int) -> str:
    return f"139{n:08d}"


def complaint_input(inst_id: int, n: int, key: str | None = None) -> ComplaintInput:
    return ComplaintInput(channel="open311", category_code=CATEGORY, institution_id=inst_id,
                          description=f"第 {n} 号可靠性测试投诉：夜间无人值守",
                          complainant_phone=phone_for(n), idempotency_key=key)


def problems(url: str) -> list[str]:
    """Every inconsistency in the complaint tables (empty list: consistent)."""
    found: list[str] = []
    with session_scope(url) as db:
        complaint_ids = set(db.scalars(select(Complaint.id)))
        kinds = Counter(db.execute(select(ComplaintEvent.complaint_id, ComplaintEvent.kind)).all())
        for c in db.scalars(select(Complaint)):
            # The day and 8 digits that do not count up (complaints/rules/numbers.py).
            if not c.tracking_no or not re.fullmatch(r"20\d{14}", c.tracking_no):
                found.append(f"complaint {c.id}: tracking number {c.tracking_no!r}")
            if c.responsible_department_id is None:
                found.append(f"complaint {c.id}: not routed")
            if c.due_at is None or c.sign_due_at is None or c.due_at <= c.received_at:
                found.append(f"complaint {c.id}: clock not started")
            for kind in ("received", "assigned"):
                if kinds[(c.id, kind)] != 1:
                    found.append(f"complaint {c.id}: {kinds[(c.id, kind)]} '{kind}' events")
        orphans = {cid for cid, _ in kinds} - complaint_ids
        orphans |= set(db.scalars(select(CoHandling.complaint_id))) - complaint_ids
        if orphans:
            found.append(f"rows for missing complaints {sorted(orphans)}")
        with_phone = db.scalar(select(func.count()).select_from(Complaint)
                               .where(Complaint.complainant_phone != ""))
        sms = db.scalar(select(func.count()).select_from(Notification)
                        .where(Notification.channel == "sms"))
        if with_phone != sms:
            found.append(f"{with_phone} complaints with a phone but {sms} SMS notifications")
        found += queue_count_problems(db)
    return found


def counted_queues(db) -> Counter:
    """{(office, bucket): n} counted from the complaints and co-handling requests themselves:
    what the trigger-kept queue counts must say."""
    actual: Counter = Counter()
    for office, status, n in db.execute(
            select(Complaint.responsible_department_id, Complaint.status, func.count())
            .group_by(Complaint.responsible_department_id, Complaint.status)):
        actual[(office, status)] = n
    for office, n in db.execute(
            select(CoHandling.department_id, func.count())
            .where(CoHandling.replied_at.is_(None), CoHandling.settled_at.is_(None))
            .group_by(CoHandling.department_id)):
        actual[(office, "co")] = n
    return actual


def queue_count_problems(db) -> list[str]:
    """Where the trigger-kept queue counts disagree with the complaints and requests."""
    actual = counted_queues(db)
    kept = Counter({(office, bucket): n for office, bucket, n in db.execute(
        select(QueueCount.office_id, QueueCount.bucket, func.sum(QueueCount.n))
        .group_by(QueueCount.office_id, QueueCount.bucket)) if n})
    return [f"queue count of office {office} '{bucket}': {kept[(office, bucket)]} kept, "
            f"{actual[(office, bucket)]} counted"
            for office, bucket in sorted(set(actual) | set(kept))
            if kept[(office, bucket)] != actual[(office, bucket)]]


def table_rows(url: str, tables: list[str]) -> dict[str, set[str]]:
    """Each table's rows as comparable strings (JSON values and dates rendered as text)."""
    meta = MetaData()
    meta.reflect(get_engine(url), only=tables)
    with get_engine(url).connect() as conn:
        return {
            name: {json.dumps(dict(row), sort_keys=True, default=str)
                   for row in conn.execute(select(meta.tables[name])).mappings()}
            for name in tables
        }


def count(url: str, table: str) -> int:
    with get_engine(url).connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608


def fresh_database(like_url: str, directory: Path, name: str) -> str:
    """An empty database (no tables) next to `like_url`: a new SQLite file or PostgreSQL DB."""
    url = make_url(like_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{directory / (name + '.sqlite3')}"
    with psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.set(database=name).render_as_string(hide_password=False)


def portal_cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `portal ARGS` in a subprocess with a hard timeout."""
    return subprocess.run([sys.executable, "-m", "portal.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (run scripts/setup.sh)"
    return binary
