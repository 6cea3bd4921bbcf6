"""Bulk generator for the benchmark's big data set: N already-routed, clocked complaints.

Runs against a database that `portal seed-demo --institutions 400000` has filled. It does not go
through ComplaintService (2,000,000 calls would take hours); instead it computes the same
routing (`complaints.rules.routing.route`) and the same clock (`complaints.rules.clock.compute_deadline`,
cached per local receipt day) and writes rows with executemany (SQLite) or COPY (PostgreSQL):

- complaints spread over the last 360 days, almost all closed (signed, answered, closed with
  feedback), the last 20 days partly still open;
- one "hot" office (a district office with a demo login) gets `hot_open` extra open complaints
  (assigned / signed / returned), which is the department-queue scenario;
- every complaint has its `received` and `assigned` events, its co-handling rows and
  `co_handling_requested` events, and, when handled, `signed` / `answered` / `closed` events.

Usage: python -m bench.bigdata DATABASE_URL [--complaints 2000000] [--hot-open 20000]
Prints the hot office's id and its demo login as JSON on the last line.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from complaints.models import CoHandling, Complaint, ComplaintEvent
from complaints.rules import clock
from complaints.rules.routing import NoOffice, Rule, route
from complaints.services.calendar_store import load_calendar
from complaints.services.filing import active_rules, office_map
from portal.accounts.models import User
from portal.accounts.rules.roles import Role
from portal.core.db import get_engine, session_scope
from portal.core.signed_counts import SIGNED_COUNTS, fold
from portal.institutions.models import Institution

TZ = ZoneInfo("Asia/Shanghai")
BATCH = 20_000
HISTORY_DAYS = 360
OPEN_WINDOW_DAYS = 20
DESCRIPTIONS = [
    "护理员夜里不巡房，老人摔倒半小时才发现",
    "午饭的肉有异味，几位老人腹泻",
    "楼道堆满杂物，消防通道被堵",
    "护理费一年涨了三次，没有公示",
    "入住收了五万元押金，说不退",
    "有人在院里给老人推销保健品，说能治病",
    "电梯经常停在半层，困过老人",
    "医务室没有医生，护工给老人打针",
]
FELL_BACK = {False: '{"fell_back_to_city": false}', True: '{"fell_back_to_city": true}'}
ANSWER = "经现场核查，情况属实，已责令机构限期整改，并将跟踪复查。"
COMPLAINT_COLS = [
    "id", "tracking_no", "channel", "idempotency_key", "institution_id", "place_name",
    "place_address", "district_id", "category_code", "description", "urgent", "anonymous",
    "complainant_name", "complainant_phone", "access_code", "status",
    "responsible_department_id", "received_at", "created_at", "created_by_id", "working_days",
    "due_at", "due_last_day", "provisional", "sign_due_at", "extension_days", "signed_at",
    "answered_at", "answer_text", "closed_at", "satisfaction", "reopened_count", "supervised_at",
]
EVENT_COLS = [
    "id", "complaint_id", "at", "actor_id", "actor_role", "department_id", "kind",
    "from_status", "to_status", "public", "note", "data",
]
CO_COLS = ["id", "complaint_id", "department_id", "requested_at", "reply", "replied_at",
           "settled_at"]


class Generator:
    """Produces complaint, event and co-handling rows as tuples in the column orders above."""

    def __init__(self, database_url: str, now: datetime, seed: int, sqlite: bool) -> None:
        self.now = now
        # Values go to the driver in storage form: SQLite gets SQLAlchemy's text layout.
        self.dt = _sqlite_dt if sqlite else _same
        self.day = date.isoformat if sqlite else _same
        self.rng = random.Random(seed)
        with session_scope(database_url) as db:
            self.rules = {
                code: Rule(r.code, r.responsible_type, tuple(r.co_handling_types))
                for code, r in active_rules(db).items()
            }
            self.offices = office_map(db)
            self.calendar = load_calendar(db)
            self.institutions = db.execute(
                select(Institution.id, Institution.district_id).order_by(Institution.id)
            ).all()
            self.operator_id = db.scalar(
                select(User.id).where(User.role == Role.OPERATOR.value).order_by(User.id))
            self.handlers = dict(db.execute(
                select(User.department_id, User.id).where(User.role == Role.DEPARTMENT.value)
            ).all())
            logins = dict(db.execute(
                select(User.department_id, User.username).where(
                    User.role == Role.DEPARTMENT.value)).all())
            self.next_complaint = (db.scalar(select(func.max(Complaint.id))) or 0) + 1
            self.next_event = (db.scalar(select(func.max(ComplaintEvent.id))) or 0) + 1
            self.next_co = (db.scalar(select(func.max(CoHandling.id))) or 0) + 1
        # The hot office: a district-level civil-affairs office with its own demo login.
        self.hot_office, self.hot_district = next(
            (office, district) for (type_code, district), office in sorted(self.offices.items(),
                                                                            key=lambda kv: kv[1])
            if type_code == "civil_affairs" and district is not None and office in logins
        )
        self.hot_login = logins[self.hot_office]
        self.hot_institutions = [i for i, d in self.institutions if d == self.hot_district]
        self.hot_codes = [c for c, r in self.rules.items() if r.responsible == "civil_affairs"]
        self.codes = sorted(self.rules)
        self._deadlines: dict[tuple[date, int], clock.Deadline] = {}

    def deadline(self, received: datetime, days: int) -> clock.Deadline:
        key = (received.astimezone(TZ).date(), days)
        if key not in self._deadlines:
            self._deadlines[key] = clock.compute_deadline(received, days, self.calendar, TZ)
        return self._deadlines[key]

    def batches(self, total: int, hot_open: int) -> Iterator[tuple[list, list, list]]:
        """Rows in receipt order, so ids, tracking numbers and time indexes grow together."""
        rng = self.rng
        plan = sorted(
            [(rng.uniform(0, HISTORY_DAYS), False) for _ in range(total - hot_open)]
            + [(rng.uniform(0, OPEN_WINDOW_DAYS), True) for _ in range(hot_open)],
            reverse=True,
        )
        complaints: list[tuple] = []
        events: list[tuple] = []
        cos: list[tuple] = []
        for days_ago, hot in plan:
            self._one(self.now - timedelta(days=days_ago), hot, complaints, events, cos)
            if len(complaints) >= BATCH:
                yield complaints, events, cos
                complaints, events, cos = [], [], []
        if complaints:
            yield complaints, events, cos

    def _one(self, received: datetime, hot: bool, complaints: list, events: list,
             cos: list) -> None:
        rng = self.rng
        if hot:
            institution_id = rng.choice(self.hot_institutions)
            district_id = self.hot_district
            code = rng.choice(self.hot_codes)
        else:
            institution_id, district_id = rng.choice(self.institutions)
            code = rng.choice(self.codes)
        try:
            routing = route(self.rules[code], district_id, self.offices)
        except NoOffice:
            return
        office = routing.responsible_office
        urgent = code == "elder_abuse" and rng.random() < 0.3
        days = 1 if urgent else 5
        deadline = self.deadline(received, days)
        sign_deadline = self.deadline(received, 1)
        age = (self.now - received).days
        if hot:
            status = rng.choices(["assigned", "signed", "returned"], [70, 28, 2])[0]
        elif age < OPEN_WINDOW_DAYS and rng.random() < 0.5:
            status = rng.choice(["assigned", "signed", "answered"])
        else:
            status = "closed"
        cid = self.next_complaint
        self.next_complaint += 1
        handler = self.handlers.get(office)
        signed_at = answered_at = closed_at = None
        if status != "assigned" and status != "returned":
            signed_at = received + timedelta(hours=rng.uniform(1, 20))
        if status in ("answered", "closed"):
            answered_at = min(received + timedelta(days=rng.uniform(0.5, 6)), self.now)
            signed_at = min(signed_at, answered_at)
        satisfaction = None
        if status == "closed":
            closed_at = min(answered_at + timedelta(days=rng.uniform(1, 15)), self.now)
            satisfaction = rng.choice(["satisfied", "satisfied", "basically_satisfied", None])
        anonymous = rng.random() < 0.2
        dt = self.dt
        phone = "" if anonymous else f"13{rng.randint(0, 9)}{rng.randint(10**7, 10**8 - 1)}"
        complaints.append((
            cid, f"{received.astimezone(TZ):%Y%m%d}{cid:06d}", "phone", None, institution_id,
            "", "", district_id, code, rng.choice(DESCRIPTIONS), urgent, anonymous,
            "" if anonymous else "王秀英", phone, f"{rng.randrange(10**6):06d}" if anonymous else "",
            status, office, dt(received), dt(received), self.operator_id, days,
            dt(deadline.due_at), self.day(deadline.last_day), deadline.provisional,
            dt(sign_deadline.due_at), 0, dt(signed_at), dt(answered_at),
            ANSWER if answered_at else "", dt(closed_at), satisfaction, 0, None,
        ))
        ev = events.append
        ev(self._event(cid, received, self.operator_id, "operator", None, "received",
                       "assigned", "assigned", '{"channel": "phone"}'))
        ev(self._event(cid, received, self.operator_id, "operator", office, "assigned",
                       "assigned", "assigned", FELL_BACK[routing.fell_back_to_city]))
        for co_office in routing.co_offices:
            # Unreplied, and settled once the complaint was answered (as the lifecycle does).
            cos.append((self.next_co, cid, co_office, dt(received), "", None, dt(answered_at)))
            self.next_co += 1
            ev(self._event(cid, received, self.operator_id, "operator", co_office,
                           "co_handling_requested", "assigned", "assigned", "{}"))
        if status == "returned":
            ev(self._event(cid, received + timedelta(hours=2), handler, "department", office,
                           "returned", "assigned", "returned", "{}"))
        if signed_at:
            ev(self._event(cid, signed_at, handler, "department", office, "signed",
                           "assigned", "signed", "{}"))
        if answered_at:
            ev(self._event(cid, answered_at, handler, "department", office, "answered",
                           "signed", "answered", "{}"))
        if closed_at:
            ev(self._event(cid, closed_at, None, "", None,
                           "confirmed" if satisfaction else "auto_closed", "answered", "closed",
                           f'{{"satisfaction": "{satisfaction}"}}' if satisfaction else "{}"))

    def _event(self, cid, at, actor, role, dept, kind, from_s, to_s, data) -> tuple:
        eid = self.next_event
        self.next_event += 1
        return (eid, cid, self.dt(at), actor, role, dept, kind, from_s, to_s, True, "", data)


def _sqlite_dt(value: datetime | None) -> str | None:
    """What SQLAlchemy's SQLite DateTime stores for UTCDateTime: naive UTC with microseconds."""
    return None if value is None else value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _same(value):
    return value


def _write_sqlite(raw, table: str, cols: list[str], rows: list[tuple]) -> None:
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
    raw.cursor().executemany(sql, rows)


def _write_pg(raw, table: str, cols: list[str], rows: list[tuple]) -> None:
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def generate(database_url: str, total: int, hot_open: int, seed: int = 0,
             now: datetime | None = None, progress=print) -> dict:
    now = now or datetime.now(UTC)
    engine = get_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"
    gen = Generator(database_url, now, seed, sqlite)
    write = _write_sqlite if sqlite else _write_pg
    raw = engine.raw_connection()
    if sqlite:
        # A big page cache keeps the secondary indexes in memory while they grow.
        raw.driver_connection.execute("PRAGMA cache_size=-1000000")
    started = time.monotonic()
    done = 0
    try:
        for complaints, events, cos in gen.batches(total, hot_open):
            write(raw.driver_connection, "complaints", COMPLAINT_COLS, complaints)
            write(raw.driver_connection, "complaint_events", EVENT_COLS, events)
            if cos:
                write(raw.driver_connection, "co_handlings", CO_COLS, cos)
            raw.commit()
            done += len(complaints)
            if done % 200_000 < BATCH:
                progress(f"complaints {done}/{total} ({time.monotonic() - started:.0f} s)")
    finally:
        raw.close()
    # The triggers added a count row per complaint and pending request: fold them, as the
    # worker's recurring job would.
    for table in SIGNED_COUNTS:
        with session_scope(database_url) as session:
            fold(session, table)
    if not sqlite:
        # Sequences follow the explicit ids; ANALYZE is what autovacuum would do shortly after.
        with engine.begin() as conn:
            for table in ("complaints", "complaint_events", "co_handlings"):
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
    return {"complaints": done, "hot_office": gen.hot_office, "hot_login": gen.hot_login,
            "hot_district": gen.hot_district, "seconds": round(time.monotonic() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--complaints", type=int, default=2_000_000)
    parser.add_argument("--hot-open", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    summary = generate(args.database_url, args.complaints, args.hot_open, args.seed,
                       progress=lambda line: print(line, flush=True))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
