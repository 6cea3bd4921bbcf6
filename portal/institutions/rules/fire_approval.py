"""Fire-safety approval (消防审验) as a structured status, and the reading of the free text
institutions published before it (migration 0015 and drafts saved before it).

Pure: no database, no request. The flags are in portal.institutions.rules.checks, indicator 4.9 in
portal.opendata.rules.indicators, the form's rules in portal.backoffice.forms.

From the seeds: 住房城乡建设部门 "负责养老服务机构消防设计审查、消防验收、备案工作" (seed 001
株洲, 部门职责); 苏州 (seed 000) 任务分解表第 4 项 "排查整治未依法取得消防许可从事相关经营活动的";
酉阳 (seed 004) (二) "继续解决消防审验突出问题" and 评估表 4.9 "辖区内养老机构完成消防审验或备案情况
（……对未完成的分类说明原因）" — hence a status per institution instead of a sentence.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from portal.institutions.vocab import FIRE_APPROVAL_STATUSES as STATUSES

__all__ = ["DATE_LABELS", "DOC_LABELS", "STATUSES", "legacy_status", "summary", "upgrade_payload"]

# What each status means is explained on the back-office form (templates/backoffice/
# _form_resources.html). 无需办理: seed 001 makes 消防设计审查、验收、备案 duties of construction
# works, so a service point that builds or alters nothing has none to obtain; a 养老机构 always
# has premises to approve (4.9 counts every one of them) and cannot choose it.

# What the date and the number are for each status.
DATE_LABELS = {
    "passed": "取得日期",
    "failed": "不合格意见日期",
    "in_progress": "申请日期",
}
DOC_LABELS = {
    "passed": "文号",
    "failed": "不合格意见书文号",
    "in_progress": "受理凭证号",
}

# Reading the free text of before: first match wins, in this order. Words of refusal come
# before words of success ("未通过" contains "通过"); unknown text keeps no status.
_LEGACY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("not_required", ("无需", "不需", "不涉及")),
    ("failed", ("未通过", "没有通过", "不通过", "不合格", "未取得", "没有", "无消防", "未办理")),
    ("in_progress", ("办理中", "申请中", "审核中", "审查中", "正在办理", "在办")),
    ("passed", ("通过", "合格", "已办理", "已备案", "已取得", "已验收")),
)
_LEGACY_NONE = ("无", "否", "暂无")  # the whole text


def legacy_status(text: str) -> str | None:
    """The status a free-text disclosure stands for; None when empty or not understood."""
    text = text.strip()
    if not text:
        return None
    if text in _LEGACY_NONE:
        return "failed"
    for status, words in _LEGACY_WORDS:
        if any(word in text for word in words):
            return status
    return None


def upgrade_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A resources draft saved before the status existed, with the status its text stands for
    (the text stays as the note). Newer payloads are returned unchanged."""
    if not payload or "fire_approval_status" in payload:
        return payload
    text = payload.get("fire_approval") or ""
    return {**payload, "fire_approval_status": legacy_status(text),
            "fire_approval_doc_no": "", "fire_approval_date": None}


def summary(status: str | None, doc_no: str, when: date | None, note: str) -> str:
    """One line for the page, the diff and the indicator's records: '通过（文号…，取得日期…）'."""
    if status is None:
        return f"未按规定公开（原填写：{note}）" if note else "未公开"
    parts = []
    if doc_no:
        parts.append(f"{DOC_LABELS.get(status, '文号')} {doc_no}")
    if when is not None:
        parts.append(f"{DATE_LABELS.get(status, '日期')} {when.isoformat()}")
    if note:
        parts.append(f"说明：{note}")
    label = STATUSES.get(status, status)
    return f"{label}（{'，'.join(parts)}）" if parts else label
