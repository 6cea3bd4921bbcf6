"""Demo operating statuses: a few suspended and closed institutions with their 安置 plans
(苏府办〔2021〕248号 二(九); 实施方案（征求意见稿）(七)), chosen by the institution's number so
that the rest of the demo city stays as it was (no draw from the city's random stream)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

Row = dict[str, Any]

# By institution number: (status, days before today it took effect, reason). The first five
# (the institution logins) and number 8 (the penalised one the README names) stay operating.
CHANGES: dict[int, tuple[str, int, str]] = {
    11: ("suspended", 12, "消防安全隐患突出，责令停业整顿（整改通知书 民养整〔2026〕3号）"),
    48: ("suspended", 40, "装修改造，暂停收住服务"),
    85: ("suspended", 75, "未按期整改，联合下达停业整顿通知书"),
    17: ("closed", 120, "举办者申请注销，服务协议已解除"),
    70: ("closed", 300, "场地租赁到期，终止服务并注销登记"),
    123: ("closed", 45, "经营困难，终止服务"),
}
DESTINATIONS = ("{district}社会福利院", "{district}中心敬老院及家属接回", "就近公办养老机构")


def status_rows(i: int, district_name: str, elders: int, today: date,
                now: datetime) -> tuple[str, list[Row]]:
    """The institution's operating status and its change rows (empty: operating, unchanged)."""
    if i not in CHANGES:
        return "operating", []
    status, days, reason = CHANGES[i]
    effective = today - timedelta(days=days)
    row: Row = {
        "status": status, "previous_status": "operating", "effective_on": effective,
        "reason": reason, "elders_to_resettle": elders, "resettle_to": "", "resettle_by": None,
        "resettled_count": 0, "resettled_on": None, "recorded_by_id": None, "recorded_at": now,
        "progress_at": None,
    }
    if elders:
        by = effective + timedelta(days=30)
        row["resettle_to"] = DESTINATIONS[i % len(DESTINATIONS)].format(district=district_name)
        row["resettle_by"] = by
        if by <= today:  # the plan's deadline passed: everyone resettled a few days before it
            row["resettled_count"], row["resettled_on"] = elders, by - timedelta(days=3)
        else:  # under way: about half so far
            row["resettled_count"] = elders // 2
        row["progress_at"] = now
    return status, [row]
