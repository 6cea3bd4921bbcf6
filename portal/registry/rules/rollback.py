"""When an import may be rolled back, and what stops it. Pure: the service gathers, for each row
the import wrote, how that row is now and what refers to it; this decides.

An import can be undone only while nothing depends on it. Something depends on it when:
- a later import (not itself rolled back) wrote one of the same rows: undo that one first;
- a row it wrote was changed since by anyone else (a back-office edit, a correction, a
  status change: its current values are not those the import wrote), or deleted (withdrawn);
- a row it added is now referred to by other records (a complaint, an inspection, a fee
  item, an open day, an account … about an institution it created): deleting it would
  delete or orphan them.
Rolling back writes the before-values of the rows it updated and deletes the rows it added.
The whole-file kinds (districts, offices, unregistered places, staff accounts:
portal/registry/kinds.py) keep no before-values: their imports are never rolled back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# Statuses of an import with rows to undo.
UNDOABLE = "done"
SHOWN = 20  # blockers listed by name; the rest counted
NOT_UNDOABLE = ("区县和乡镇（街道）、部门、未登记场所和工作人员账号的导入不保存导入前的数据，不能撤销；"
                "如需更正，请在后台逐条修改，或改正文件后再次导入")


@dataclass(frozen=True)
class WrittenRow:
    """One row an import wrote, with what the service found about it now."""

    label: str  # how a person knows it: 福寿院（91330100…）, 处罚决定书 杭民罚〔2026〕3号
    action: str  # added, updated
    after: dict[str, Any]  # the values the import wrote (JSON-plain)
    now: dict[str, Any] | None  # the same fields as stored now (JSON-plain); None: row gone
    later_imports: tuple[int, ...] = ()  # later imports, not rolled back, that wrote it
    references: dict[str, int] = field(default_factory=dict)  # what refers to it: {名称: n}


def changed_fields(row: WrittenRow) -> list[str]:
    """The fields whose stored value is no longer what the import wrote."""
    if row.now is None:
        return []
    return [name for name, value in row.after.items() if row.now.get(name) != value]


def row_blockers(row: WrittenRow, labels: dict[str, str] | None = None) -> list[str]:
    """Why this row keeps its import from being rolled back (in Chinese; [] when nothing)."""
    labels = labels or {}
    found: list[str] = []
    if row.later_imports:
        numbers = "、".join(f"#{n}" for n in row.later_imports)
        found.append(f"{row.label}：之后的导入 {numbers} 又写入了这一行，请先撤销之后的导入")
    # With a later import, what the row holds now is that import's: it is undone first.
    if not row.later_imports and row.now is None:
        found.append(f"{row.label}：导入后已被删除或撤销")
    elif not row.later_imports and changed_fields(row):
        names = "、".join(labels.get(name, name) for name in changed_fields(row))
        found.append(f"{row.label}：导入后又被修改（{names}）")
    if row.action == "added":
        refs = "、".join(f"{what} {n} 条" for what, n in sorted(row.references.items()) if n)
        if refs:
            found.append(f"{row.label}：已有其他记录引用（{refs}）")
    return found


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: list[str]
    more: int = 0  # blockers beyond the SHOWN listed

    @property
    def lines(self) -> list[str]:
        return self.reasons + ([f"……另有 {self.more} 处"] if self.more else [])


def decide(status: str, rows: list[WrittenRow], labels: dict[str, str] | None = None, *,
           undoable: bool = True) -> Decision:
    """Whether an import in `status`, having written `rows`, may be rolled back now;
    `undoable` False for a kind that keeps no before-values."""
    if status == "rolled_back":
        return Decision(False, ["该次导入已撤销"])
    if status != UNDOABLE:
        return Decision(False, ["该次导入没有写入数据，无需撤销"])
    if not undoable:
        return Decision(False, [NOT_UNDOABLE])
    if not rows:
        return Decision(False, ["该次导入没有改变任何数据，无需撤销"])
    reasons = [reason for row in rows for reason in row_blockers(row, labels)]
    return Decision(not reasons, reasons[:SHOWN], max(0, len(reasons) - SHOWN))


def plain(value: Any) -> Any:
    """A stored value as JSON keeps it (dates as ISO text, amounts as text)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
