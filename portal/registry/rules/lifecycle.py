"""An institution's operating status over time: 筹建 → 运营 ⇄ 暂停服务 → 终止（注销）, each change
with its effective date and reason, and for a suspension or an exit the plan to resettle the
elders in care (安置) and its progress.

Seeds:
- 苏府办〔2021〕248号 (苏州) 二(九) 强化服务退出监管, 任务分解表 第32项: 明确养老服务机构暂停、
  终止服务过渡期，指导退出的养老服务机构妥善做好老年人的服务协议解除、安置等工作 — the plan is
  required for a suspension or exit while elders remain.
- 实施方案（征求意见稿）(seed 001) (七) 加强服务退出监管: the same, 老年人安置.
- 昆政办〔2021〕70号 (昆明) (一) 3 and (十二): 停业整顿 ordered by civil affairs is a suspension
  (暂停服务) with its reason.
- 内政办发〔2021〕26号 (内蒙古) (九) and the two above: 退出财产处置 of 民办非营利 institutions is
  supervised too; not modelled here (no seed asks for it to be published).

Pure: no database, no request. portal/registry/lifecycle.py gathers the facts and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal.accounts.rules.roles import Role
from portal.institutions.vocab import OPERATING_STATUSES

# Where a status may go from each status. 终止（注销） is final: an institution opened again is
# registered anew (a new 登记, a new record).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "preparing": ("operating", "closed"),
    "operating": ("suspended", "closed"),
    "suspended": ("operating", "closed"),
    "closed": (),
}
# A change to these stops the service: its reason and, with elders in care, a 安置 plan.
STOPPING = ("suspended", "closed")
DEFAULT_STATUS = "operating"

EXIT_BASIS = ("苏府办〔2021〕248号 二(九) 强化服务退出监管、任务分解表第32项；"
              "实施方案（征求意见稿）(七) 加强服务退出监管")
SUSPENSION_BASIS = "昆政办〔2021〕70号 (一)3、(十二) 停业整顿"


def label(status: str) -> str:
    return OPERATING_STATUSES.get(status, status)


@dataclass(frozen=True)
class Previous:
    """The institution's status now and the effective date of its last change (None: never
    changed, the status it was registered or imported with)."""

    status: str
    effective_on: date | None


@dataclass(frozen=True)
class Change:
    """A requested change, as the form read it (None: blank or not valid; the form said so)."""

    status: str
    effective_on: date | None
    reason: str
    elders_in_care: int | None  # elders living there when the service stops
    resettle_to: str = ""  # where they go (institutions, home, …)
    resettle_by: date | None = None


def change_problems(previous: Previous, change: Change) -> dict[str, str]:
    """The rules between the fields and against the institution's history: {field: message}."""
    problems: dict[str, str] = {}
    if change.status == previous.status:
        problems["status"] = f"机构当前已是“{label(previous.status)}”，无需变更"
    elif change.status not in TRANSITIONS.get(previous.status, ()):
        if previous.status == "closed":
            problems["status"] = "机构已终止（注销），不能再变更状态；重新开办的请作为新机构登记"
        else:
            problems["status"] = (f"“{label(previous.status)}”的机构不能直接变更为"
                                  f"“{label(change.status)}”")
    if (change.effective_on is not None and previous.effective_on is not None
            and change.effective_on < previous.effective_on):
        problems["effective_on"] = (
            f"生效日期（{change.effective_on.isoformat()}）不能早于上一次状态变更的生效日期"
            f"（{previous.effective_on.isoformat()}）")
    if change.status in STOPPING:
        if not change.reason:
            problems["reason"] = f"请填写{label(change.status)}的原因"
        problems.update(plan_problems(change))
    return problems


def plan_problems(change: Change) -> dict[str, str]:
    """A suspension or exit with elders in care needs the 安置 plan: where and by when
    (苏府办〔2021〕248号 二(九); 实施方案 (七))."""
    problems: dict[str, str] = {}
    if change.elders_in_care is None:
        return {"elders_in_care": "请填写在住老人人数（需安置的人数，没有在住老人的填 0）"}
    if change.elders_in_care == 0:
        return problems
    what = label(change.status)
    if not change.resettle_to:
        problems["resettle_to"] = (f"仍有在住老人 {change.elders_in_care} 人，{what}前请填写安置去向"
                                   f"（依据：{EXIT_BASIS}）")
    if change.resettle_by is None:
        problems["resettle_by"] = f"仍有在住老人 {change.elders_in_care} 人，请填写安置完成期限"
    return problems


@dataclass(frozen=True)
class Progress:
    """安置 progress as typed: elders resettled so far and the day the last one was."""

    done: int | None
    done_on: date | None


def progress_problems(to_resettle: int, progress: Progress) -> dict[str, str]:
    """The rules of a progress update against its plan: {field: message}."""
    done = progress.done
    if done is None:
        return {"resettled_count": "请填写已安置人数"}
    if done > to_resettle:
        return {"resettled_count": f"已安置人数（{done}）不能多于需安置人数（{to_resettle}）"}
    if done == to_resettle and progress.done_on is None:
        return {"resettled_on": "全部安置完成的，请填写完成日期"}
    if done < to_resettle and progress.done_on is not None:
        return {"resettled_on": "尚未全部安置的，不填写完成日期"}
    return {}


def resettlement_state(to_resettle: int | None, done: int) -> str:
    """'none' (no elders to resettle), 'done', or 'open'."""
    if not to_resettle:
        return "none"
    return "done" if done >= to_resettle else "open"


# --- who may record a change ------------------------------------------------------------------

# Civil affairs keeps the registry: supervisors and administrators everywhere (苏府办〔2021〕248号
# 五(一) 民政部门牵头), a civil-affairs office's staff for the institutions in its reach
# (昆政办〔2021〕70号 (九) 属地管理: a district office for its own district, a city office city-wide).
CIVIL_AFFAIRS_TYPE = "civil_affairs"


def may_keep_registry(role: Role, office_type: str | None, office_district_id: int | None,
                      institution_district_id: int | None) -> bool:
    """May a user change this institution's registry (status, 安置, basic registration)?
    `institution_district_id` None: a new institution, any district the office reaches."""
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return True
    if role != Role.DEPARTMENT or office_type != CIVIL_AFFAIRS_TYPE:
        return False
    return (office_district_id is None or institution_district_id is None
            or office_district_id == institution_district_id)
