"""The SVG charts are well-formed, labelled for assistive technology and escape their text."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from portal.stats.rules.charts import Series, bar_chart, column_chart, format_value, line_chart

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(chart):
    return ET.fromstring(str(chart.svg))  # noqa: S314 (our own output, not untrusted input)


@pytest.mark.parametrize("build", [column_chart, bar_chart, line_chart])
def test_chart_is_an_image_labelled_by_its_title_and_description(build):
    chart = build("chart-x", "标题<script>", "说明 & 描述", ["2026年1月", "2月"],
                  [Series("受理", [3, None]), Series("超期", [1, 2])])
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-x-title chart-x-desc"
    assert root.find("svg:title", NS).text == "标题<script>"
    assert root.find("svg:desc", NS).text == "说明 & 描述"
    assert root.find("svg:title", NS).get("id") == "chart-x-title"
    assert "<script>" not in str(chart.svg)


def test_column_chart_draws_one_bar_per_value_with_its_number():
    chart = column_chart("c", "t", "d", ["1月", "2月", "3月"],
                         [Series("a", [5, 0, None]), Series("b", [2, 2, 2])])
    root = parse(chart)
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect")
            if r.get("stroke-width") == "1.5"]
    values = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")
              if t.get("class") == "chart-value"]
    assert values == ["5", "2", "0", "2", "2"]
    # Legend swatches (2) plus one bar per known value (5).
    assert len(bars) == 7
    # The second series is hatched, not only differently coloured.
    assert any(r.get("fill") == "url(#c-hatch)" for r in bars)


def test_table_rows_format_counts_and_rates():
    chart = line_chart("r", "t", "d", ["1月", "2月"], [Series("率", [0.6667, None])])
    assert chart.rows == [("1月", ["66.7%"]), ("2月", ["—"])]
    assert format_value(1234, False) == "1,234"
    assert format_value(2.5, False) == "2.5"


def test_year_month_ticks_are_split_over_two_lines():
    root = parse(column_chart("m", "t", "d", ["2025年12月"], [Series("a", [1])]))
    tick = [t for t in root.iter("{http://www.w3.org/2000/svg}text")
            if t.get("class") == "chart-label"][0]
    assert tick.text == "12月"
    assert tick.find("svg:tspan", NS).text == "2025年"


def test_chart_ids_must_be_plain():
    with pytest.raises(ValueError):
        bar_chart('x" onload="alert(1)', "t", "d", ["a"], [Series("s", [1])])


LONG = "养老机构服务质量与安全管理问题类别"  # 17 characters: cut to 10 + "…" before issue 21


def texts(root) -> str:
    return "".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_bar_chart_category_names_are_whole_not_cut():
    root = parse(bar_chart("b", "t", "d", [LONG, "短"], [Series("a", [3, 1])]))
    assert LONG in texts(root)
    assert "…" not in texts(root)


@pytest.mark.parametrize("build", [column_chart, bar_chart, line_chart])
def test_every_chart_has_a_narrow_drawing_for_phones_with_whole_names(build):
    chart = build("p", "标题", "说明", [LONG, "2026年1月"],
                  [Series("受理", [3, None]), Series("超期", [1, 2])])
    root = ET.fromstring(str(chart.narrow))  # noqa: S314 (our own output)
    # Half the wide picture's width, so its text keeps about its size on a 390 px screen.
    assert root.get("viewBox").split()[2] == "360"
    assert "chart-narrow" in root.get("class") and "chart-wide" in parse(chart).get("class")
    assert root.get("role") == "img" and root.get("aria-labelledby") == "p-n-title p-n-desc"
    # Ids differ from the wide picture's (both are in the page), names are whole.
    assert root.find("svg:title", NS).get("id") != parse(chart).find("svg:title", NS).get("id")
    assert LONG[:12] in texts(root) and "…" not in texts(root)
    assert "2026年1月" in texts(root)
    # A bar per known value, "无数据" for the missing one.
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("height") == "24"]
    assert len(bars) == 3
    assert "无数据" in texts(root)
