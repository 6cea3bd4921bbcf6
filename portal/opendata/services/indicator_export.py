"""The 养老服务监管效能评估表 as an XLSX in the form's own layout, filled from a `Report`.

Sheet 1 is the form: title, the 乡镇（街道）/联系人/时间 line (here the district), the five columns
and every row 1.1–4.21; computed rows carry their figures and definition, the others say they
need to be filled in by hand. Sheet 2 has the figures as numbers (the same as on the page), one
row per indicator and scope; sheet 3 lists the records behind each figure.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from portal.core.exports import Sheet
from portal.opendata.rules.evaluation_form import FORM_COLUMNS, FORM_NOTE, FORM_ROWS, FORM_TITLE
from portal.opendata.services.indicators import Report

MANUAL = "本平台没有该项数据，请人工填写"
FIGURE_HEADER = ("范围", "指标编号", "二级指标", "分子", "分母", "比例（%）或指标值", "结果", "定义")
RECORD_HEADER = ("范围", "指标编号", "机构编号", "机构名称", "所在区县", "状态", "计入分子", "说明")


def _form_rows(report: Report) -> Iterator[list[object]]:
    computed = {i.code: i for i in report.indicators}
    group = ""
    for row in FORM_ROWS:
        indicator = computed.get(row.code)
        first = row.group if row.group != group else ""
        group = row.group
        name = f"{row.code} {row.name}"
        if indicator is None:
            yield [first, name, "", MANUAL, row.basis]
        else:
            done = f"{indicator.value}。\n口径：{indicator.definition}\n（由本平台数据自动计算）"
            yield [first, name, done, indicator.not_recorded, row.basis]


def form_sheet(report: Report, made_on: date) -> Sheet:
    preamble = [
        [FORM_TITLE],
        [f"{'乡镇（街道）' if report.street_id is not None else '区县'}：{report.scope_name}    "
         f"统计年度：{report.period.year}    联系人：    "
         f"时间：{made_on.year}年{made_on.month}月{made_on.day}日"],
    ]

    def rows() -> Iterator[list[object]]:
        yield from _form_rows(report)
        yield [FORM_NOTE]

    return Sheet("评估表", FORM_COLUMNS, rows(), preamble=preamble, widths=(12, 48, 48, 24, 40))


def figure_rows(reports: Sequence[Report]) -> Iterator[list[object]]:
    for report in reports:
        for i in report.indicators:
            rate = i.figure if i.figure is not None else i.rate
            yield [report.scope_name, i.code, i.name, i.numerator, i.denominator,
                   rate, i.short, i.definition]


def record_rows(reports: Sequence[Report]) -> Iterator[list[object]]:
    for report in reports:
        for i in report.indicators:
            for r in i.records:
                yield [report.scope_name, i.code, r.institution_id, r.name, r.district, r.status,
                       "是" if r.counted else "否", r.note]


def workbook(report: Report, matrix: Sequence[Report], made_on: date) -> list[Sheet]:
    """The form for `report`'s scope, the figures of every scope in `matrix`, and the records."""
    return [
        form_sheet(report, made_on),
        Sheet("指标数据", FIGURE_HEADER, figure_rows(matrix)),
        Sheet("明细", RECORD_HEADER, record_rows([report])),
    ]
