"""Unregistered places (未登记/未备案场所, issue 20): where a place found operating without
registration or filing stands, what may follow it, and its on-site check deadline.

A place is an `institutions` row with `discovered_on` (when, by whom and how it was found:
vocab.DISCOVERY_CHANNELS). Civil affairs follows it to 已登记 (converted: the same row gets
its registration and filing, so its history stays), 已取缔 or 已转介; each step is a
`PlaceFollowUp` row, the newest its state. 已转介 may still end in 已登记 or 已取缔 (the
department it went to reports back); 已登记 and 已取缔 end the follow-up.

The on-site check is due N working days after the discovery, the day itself not counted:
seed 001 (株洲, 征求意见稿) (一) "对未备案的，自发现其收住老年人之日起20个工作日内…进行现场
检查"; seed 002 (昆明 昆政办〔2021〕70号) (一) 3 says 10 个工作日; seed 004 评估表 2.6 says 20.
N is the setting PORTAL_CHECK_ONSITE_CHECK_WORKING_DAYS (thresholds.onsite_check_working_days,
default 20), the same deadline indicator 2.6 counts with (`check_deadline`).

Pure: no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from portal.opendata.rules.indicator_types import Period
from portal.opendata.rules.inspection_indicators import check_deadline

OUTCOMES = {"registered": "已登记", "banned": "已取缔", "referred": "已转介"}
OPEN_LABEL = "跟进中"
# What may follow each state (None: no follow-up yet). 已登记 only by converting the place.
NEXT: dict[str | None, tuple[str, ...]] = {
    None: ("registered", "banned", "referred"),
    "referred": ("registered", "banned", "referred"),
    "registered": (),
    "banned": (),
}
# Recorded with the follow-up form; 已登记 is the conversion's.
FOLLOWED = ("banned", "referred")
ONSITE_SOURCE = ("株洲市养老服务综合监管实施方案（征求意见稿）（一）：20 个工作日；"
                 "昆明市昆政办〔2021〕70号（一）3：10 个工作日")


def state_label(outcome: str | None) -> str:
    return OUTCOMES.get(outcome or "", OPEN_LABEL)


def follow_up_problems(current: str | None, outcome: str, decided_on: date | None,
                       discovered_on: date | None, last_on: date | None,
                       note: str) -> dict[str, str]:
    """Why a follow-up may not be recorded ({field: message}; {} when it may)."""
    problems: dict[str, str] = {}
    allowed = NEXT.get(current, ())
    if outcome not in allowed:
        problems["outcome"] = (f"该场所{state_label(current)}，不能再记录为{state_label(outcome)}"
                               if not allowed else
                               f"该场所{state_label(current)}，只能记录为"
                               + "、".join(state_label(o) for o in allowed))
    if outcome in ("banned", "referred") and not note:
        problems["note"] = ("请写明取缔的依据或文书（如：责令停止经营通知书文号）" if outcome == "banned"
                            else "请写明转介给哪个部门及原因（如：转市场监管部门查处无照经营）")
    if decided_on is not None:
        if discovered_on is not None and decided_on < discovered_on:
            problems["decided_on"] = f"不能早于发现日期 {discovered_on.isoformat()}"
        elif last_on is not None and decided_on < last_on:
            problems["decided_on"] = f"不能早于上一次跟进的日期 {last_on.isoformat()}"
    return problems


def conversion_problems(credit_code: str | None, filing_status: str) -> dict[str, str]:
    """A converted place must be registered: its 统一社会信用代码 and a registration or
    filing (the filing status the converted row gets)."""
    if not credit_code:
        return {"credit_code": "转为登记机构须填写统一社会信用代码"}
    if filing_status == "unregistered":
        return {"filing_status": "转为登记机构后备案状态不能是“未登记”"}
    return {}


@dataclass(frozen=True)
class Check:
    """The on-site check of a place: due by, done on (civil affairs' first check from the
    discovery), and how it stands."""

    due: date
    provisional: bool  # the year's holidays are not published yet
    done_on: date | None
    status: str  # 按期检查 / 逾期检查 / 未检查（已超期） / 未到期


def onsite_check(discovered_on: date, civil_checks: Sequence[date], period: Period) -> Check:
    """As indicator 2.6 judges it: the first civil-affairs check on or after the discovery."""
    due, provisional = check_deadline(discovered_on, period)
    first = next((d for d in sorted(civil_checks) if discovered_on <= d <= period.today), None)
    if first is not None:
        status = "按期检查" if first <= due else "逾期检查"
    else:
        status = "未检查（已超期）" if period.today > due else "未到期"
    return Check(due, provisional, first, status)
