"""The report of an import, as the command prints it and the back office shows it: the summary
lines and the problems by row and column, in Chinese (any kind's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from portal.registry.rules.imports import Problem


@dataclass
class Summary:
    file: str
    encoding: str
    total: int
    bad: int
    added: int
    updated: int
    unchanged: int
    ignored: list[str]
    written: bool

    def lines(self) -> list[str]:
        kept = f"未保存的列：{'、'.join(self.ignored)}" if self.ignored else "文件的每一列都已对应"
        if self.written:
            done = f"已写入：新增 {self.added}，更新 {self.updated}，无变化 {self.unchanged}"
        else:
            done = (f"未写入任何数据；有效行中可新增 {self.added}，可更新 {self.updated}，"
                    f"无变化 {self.unchanged}")
        return [
            f"文件：{self.file}（{self.encoding}）",
            f"数据行 {self.total}，有错误 {self.bad}，有效 {self.total - self.bad}",
            done,
            kept,
        ]


REPORT_HEADER = ("行", "列", "问题")


def report_rows(problems: Iterable[Problem]) -> list[tuple[int, str, str]]:
    """The problems sorted by row, for printing or writing as a table."""
    return [(p.row, p.column, p.message) for p in sorted(problems, key=lambda p: p.row)]
