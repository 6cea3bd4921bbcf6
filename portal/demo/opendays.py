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
