"""Demo open days (开放日): upcoming events at the institutions with demo logins, and a few held
ones, so the public list, the calendar and the sign-up form have something to show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from portal.opendays.models import HELD, SCHEDULED

Row = dict[str, Any]

PLACES = ("一楼多功能厅", "二楼活动室", "康复训练中心", "门厅接待处", "庭院花园")
DESCRIPTION = ("参观居住区、餐厅和康复室，了解护理服务流程和收费标准；机构负责人现场答疑，"
               "欢迎老年人、家属、人大代表、政协委员和媒体监督。")
ACCESS = "无障碍通道和电梯可用，现场提供轮椅和老花镜；附近有公交站。"


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tz).astimezone(ZoneInfo("UTC"))


def open_day_rows(hosts: list[tuple[int, int | None, str]], today: date, tz: ZoneInfo) -> list[Row]:
    """One upcoming open day per host (institution id, creating user id, name), a week apart,
    and a held one two months ago at every other host."""
    rows: list[Row] = []
    for n, (inst_id, creator_id, name) in enumerate(hosts):
        day = today + timedelta(days=7 + 5 * n)
        common = {"institution_id": inst_id, "created_by_id": creator_id,
                  "place": PLACES[n % len(PLACES)], "description": DESCRIPTION,
                  "accessibility_notes": ACCESS, "seats_taken": 0}
        rows.append({**common, "title": f"{name}开放日", "status": SCHEDULED,
                     "starts_at": _local(day, 9, 30, tz), "ends_at": _local(day, 11, 30, tz),
                     "signup_deadline": _local(day - timedelta(days=1), 17, 0, tz),
                     "capacity": 20 + 10 * (n % 3), "created_at": _local(today, 9, 0, tz)})
        if n % 2 == 0:
            held = today - timedelta(days=60 + n)
            rows.append({**common, "title": f"{name}家属开放日", "status": HELD,
                         "starts_at": _local(held, 14, 0, tz), "ends_at": _local(held, 16, 0, tz),
                         "signup_deadline": _local(held - timedelta(days=1), 17, 0, tz),
                         "capacity": 30, "created_at": _local(held - timedelta(days=14), 9, 0, tz)})
    return rows


# Demo sign-ups: made-up people with made-up numbers (139 0000 xxxx is not handed out).
PEOPLE = (("王秀兰", "家属"), ("张建国", "人大代表"), ("李桂芳", "公众"), ("刘志强", "新闻媒体"),
          ("陈玉梅", "政协委员"))


def signup_rows(events: list[Row]) -> list[Row]:
    """Confirmed sign-ups (as if each phone had entered its SMS code) for the inserted events
    (id, status, created_at, ends_at): two to four each; the held ones rated. The events'
    seats_taken is the sum of their party sizes (`seats_by_event`)."""
    rows: list[Row] = []
    for k, event in enumerate(events):
        for j in range(2 + k % 3):
            name, identity = PEOPLE[(k + j) % len(PEOPLE)]
            created = event["created_at"] + timedelta(hours=1 + j)
            row: Row = {"open_day_id": event["id"], "name": name,
                        "phone": f"1390000{k % 100:02d}{j:02d}", "identity": identity,
                        "party_size": 1 + (k + j) % 2, "status": "confirmed",
                        "created_at": created, "confirmed_at": created + timedelta(minutes=2),
                        "code_attempts": 1, "feedback_text": "", "feedback_rating": None,
                        "feedback_at": None}  # every row has every key (one executemany)
            if event["status"] == HELD:
                row.update(feedback_rating=5 - (k + j) % 2,
                           feedback_at=event["ends_at"] + timedelta(days=1))
            rows.append(row)
    return rows


def seats_by_event(signups: list[Row]) -> dict[int, int]:
    seats: dict[int, int] = {}
    for row in signups:
        seats[row["open_day_id"]] = seats.get(row["open_day_id"], 0) + row["party_size"]
    return seats
