"""Accessible SVG charts built on the server: column, horizontal bar and line charts.

Each chart is an <svg role="img"> labelled by its own <title> and <desc>; column and bar charts
print their numbers on the bars; series differ by pattern, marker shape and dash as well as
colour; and every chart comes with the same data as a table (templates/stats/_chart.html renders
both). No JavaScript.
Sizes are in viewBox units; CSS (static/css/charts.css) scales the picture and its text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Fill, stroke and text colours all reach 3:1 against white (WCAG 1.4.11); the second and third
# series are hatched/dotted, so print-outs and colour-blind readers can tell them apart.
STYLES = (
    {"fill": "#1f4e8c", "stroke": "#1f4e8c", "dash": "", "marker": "circle", "cls": "s0"},
    {"fill": "url(#{id}-hatch)", "stroke": "#8a4b00", "dash": "8 5", "marker": "square",
     "cls": "s1"},
    {"fill": "url(#{id}-dots)", "stroke": "#2d6a2d", "dash": "2 4", "marker": "triangle",
     "cls": "s2"},
)
WIDTH = 720
LABEL_CHARS = 11
BAR_LABEL_CHARS = 15  # 15 characters of 15 units fit the 240 units left of the bars
NARROW_WIDTH = 360  # a phone's chart: drawn at about its screen size, so 15 units ≈ 14 px
NARROW_LABEL_CHARS = 20


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    labels: Sequence[str]
    series: Sequence[Series]
    percent: bool
    svg: Markup

    def cell(self, value: float | None) -> str:
        return format_value(value, self.percent)

    @property
    def narrow(self) -> Markup:
        """The same data for a phone: see narrow_bars()."""
        return narrow_bars(self)

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        return [(label, [self.cell(s.values[i]) for s in self.series])
                for i, label in enumerate(self.labels)]


def format_value(value: float | None, percent: bool) -> str:
    if value is None:
        return "—"
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _e(text: str) -> str:
    return escape(str(text), quote=True)


def _markup(parts: list[str]) -> Markup:
    # Safe: every piece of text in `parts` went through _e(); the rest is fixed markup and
    # numbers. Chart ids are identifiers chosen in code, checked by _open().
    return Markup("".join(parts))  # noqa: S704


_YEAR_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月$")


def _tick(x: float, y: float, label: str) -> str:
    """An x-axis label; '2026年1月' is set on two lines (1月 / 2026年) to fit a month's slot."""
    match = _YEAR_MONTH.match(label)
    if match:
        return (f'<text x="{x:.1f}" y="{y}" class="chart-label" text-anchor="middle">'
                f'{match.group(2)}月<tspan x="{x:.1f}" dy="1.2em">{match.group(1)}年</tspan>'
                "</text>")
    return (f'<text x="{x:.1f}" y="{y}" class="chart-label" text-anchor="middle">'
            f"{_e(_short(label))}</text>")


def _wrap(label: str, width: int) -> list[str]:
    """A label in lines of at most `width` characters (Chinese breaks between any two)."""
    return [label[i:i + width] for i in range(0, len(label), width)] or [""]


def _row_label(x: float, y: float, label: str) -> str:
    """A bar chart's category name, right-aligned at x: whole, on two lines when long."""
    lines = _wrap(label, BAR_LABEL_CHARS)
    if len(lines) == 1:
        return f'<text x="{x}" y="{y:.1f}" class="chart-label" text-anchor="end">{_e(label)}</text>'
    first, rest = label[: (len(label) + 1) // 2], label[(len(label) + 1) // 2:]
    return (f'<text x="{x}" y="{y - 8:.1f}" class="chart-label" text-anchor="end">{_e(first)}'
            f'<tspan x="{x}" dy="1.15em">{_e(rest)}</tspan></text>')


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _defs(chart_id: str) -> str:
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#8a4b00" stroke-width="5"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="7" height="7" patternUnits="userSpaceOnUse">'
        '<rect width="7" height="7" fill="#2d6a2d"/><circle cx="3.5" cy="3.5" r="1.6" '
        'fill="#fff"/></pattern></defs>'
    )


def _style(i: int, chart_id: str) -> dict[str, str]:
    s = STYLES[i % len(STYLES)]
    return {**s, "fill": s["fill"].format(id=chart_id)}


def _open(chart_id: str, title: str, description: str, height: int, *,
          width: int = WIDTH, kind: str = "chart-wide") -> list[str]:
    if not chart_id.replace("-", "").isalnum() or not chart_id.isascii():
        raise ValueError(f"chart id must be letters, digits and dashes: {chart_id!r}")
    return [
        f'<svg class="chart-svg {kind}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMin meet">',
        f'<title id="{chart_id}-title">{_e(title)}</title>',
        f'<desc id="{chart_id}-desc">{_e(description)}</desc>',
        _defs(chart_id),
    ]


def _legend(chart_id: str, series: Sequence[Series], y: int, line: bool) -> list[str]:
    parts, x = [], 10
    for i, s in enumerate(series):
        st = _style(i, chart_id)
        if line:
            parts.append(f'<line x1="{x}" y1="{y - 6}" x2="{x + 30}" y2="{y - 6}" '
                         f'stroke="{st["stroke"]}" stroke-width="3" '
                         f'stroke-dasharray="{st["dash"]}"/>')
            parts.append(_marker(st["marker"], x + 15, y - 6, st["stroke"]))
        else:
            parts.append(f'<rect x="{x}" y="{y - 16}" width="26" height="18" fill="{st["fill"]}" '
                         f'stroke="{st["stroke"]}" stroke-width="1.5"/>')
        parts.append(f'<text x="{x + 36}" y="{y}" class="chart-legend">{_e(s.name)}</text>')
        x += 60 + 18 * len(s.name)
    return parts


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
    if shape == "triangle":
        return (f'<polygon points="{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 5:.1f} '
                f'{x - 6:.1f},{y + 5:.1f}" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>'


def _scale_max(series: Sequence[Series], percent: bool) -> float:
    if percent:
        return 1.0
    top = max((v for s in series for v in s.values if v is not None), default=0) or 1
    return float(top)


def column_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
                 series: Sequence[Series], percent: bool = False) -> Chart:
    """Vertical grouped columns, one group per label (e.g. month), value printed on each."""
    height, top, bottom, left = 330, 50, 270, 20
    parts = _open(chart_id, title, description, height)
    parts += _legend(chart_id, series, 24, line=False)
    top_value = _scale_max(series, percent)
    slot = (WIDTH - left - 10) / max(len(labels), 1)
    bar = min(44.0, (slot - 8) / max(len(series), 1))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" '
                 'class="chart-axis"/>')
    for i, label in enumerate(labels):
        x0 = left + i * slot + (slot - bar * len(series)) / 2
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            st = _style(j, chart_id)
            h = (bottom - top) * (value / top_value if top_value else 0)
            x = x0 + j * bar
            parts.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bar - 2:.1f}" '
                         f'height="{h:.1f}" fill="{st["fill"]}" stroke="{st["stroke"]}" '
                         'stroke-width="1.5"/>')
            parts.append(f'<text x="{x + (bar - 2) / 2:.1f}" y="{bottom - h - 4:.1f}" '
                         f'class="chart-value" text-anchor="middle">'
                         f'{_e(format_value(value, percent))}</text>')
        parts.append(_tick(left + i * slot + slot / 2, bottom + 24, label))
    parts.append("</svg>")
    return Chart(chart_id, title, description, labels, series, percent, _markup(parts))


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[Series], percent: bool = False) -> Chart:
    """Horizontal bars, one row per label (long Chinese names fit on the left)."""
    row_h = 30 * max(len(series), 1) + 14
    top, left, right = 46, 250, 110
    height = top + row_h * max(len(labels), 1) + 10
    parts = _open(chart_id, title, description, height)
    parts += _legend(chart_id, series, 24, line=False)
    top_value = _scale_max(series, percent)
    span = WIDTH - left - right
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - 10}" '
                 'class="chart-axis"/>')
    for i, label in enumerate(labels):
        y0 = top + i * row_h + 7
        parts.append(_row_label(left - 10, y0 + row_h / 2, label))
        for j, s in enumerate(series):
            value = s.values[i]
            y = y0 + j * 30
            if value is None:
                parts.append(f'<text x="{left + 6}" y="{y + 20}" class="chart-value">无数据</text>')
                continue
            st = _style(j, chart_id)
            w = span * (value / top_value if top_value else 0)
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="26" '
                         f'fill="{st["fill"]}" stroke="{st["stroke"]}" stroke-width="1.5"/>')
            parts.append(f'<text x="{left + w + 6:.1f}" y="{y + 20}" class="chart-value">'
                         f'{_e(format_value(value, percent))}</text>')
    parts.append("</svg>")
    return Chart(chart_id, title, description, labels, series, percent, _markup(parts))


def line_chart(chart_id: str, title: str, description: str, labels: Sequence[str],
               series: Sequence[Series], percent: bool = True) -> Chart:
    """Lines over time on a gridded scale; each series has its own dash and marker shape.

    Values are not printed at the points (close lines would make them collide); the data table
    beside the chart carries them.
    """
    height, top, bottom, left = 340, 56, 270, 62
    parts = _open(chart_id, title, description, height)
    parts += _legend(chart_id, series, 24, line=True)
    top_value = _scale_max(series, percent)
    slot = (WIDTH - left - 20) / max(len(labels), 1)
    for k in range(5):
        value = top_value * k / 4
        y = bottom - (bottom - top) * k / 4
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" '
                     f'class="{"chart-axis" if k == 0 else "chart-grid"}"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 5:.1f}" class="chart-label" '
                     f'text-anchor="end">{_e(format_value(value, percent))}</text>')
    for i, label in enumerate(labels):
        parts.append(_tick(left + i * slot + slot / 2, bottom + 24, label))
    for j, s in enumerate(series):
        st = _style(j, chart_id)
        points = [(left + i * slot + slot / 2, bottom - (bottom - top) * v / top_value)
                  for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{st["stroke"]}" '
                         f'stroke-width="3" stroke-dasharray="{st["dash"]}"/>')
        for x, y in points:
            parts.append(_marker(st["marker"], x, y, st["stroke"]))
    parts.append("</svg>")
    return Chart(chart_id, title, description, labels, series, percent, _markup(parts))


def narrow_bars(chart: Chart) -> Markup:
    """Any chart redrawn for a phone: one row per label, its name whole on its own line(s) above
    its bars, a bar per series with its value. Drawn 360 units wide so text keeps about its set
    size on a 390 px screen (the 720-unit picture would shrink 15-unit text to 7 px)."""
    nid = chart.id + "-n"
    width, left, right, bar_h = NARROW_WIDTH, 4, 96, 24
    legend_h = 26 * len(chart.series) + 8
    rows: list[tuple[list[str], int]] = []
    for label in chart.labels:
        lines = _wrap(label, NARROW_LABEL_CHARS)
        rows.append((lines, 22 * len(lines) + (bar_h + 6) * len(chart.series) + 14))
    height = legend_h + sum(h for _, h in rows) + 4
    parts = _open(nid, chart.title, chart.description, height, width=width, kind="chart-narrow")
    for i, s in enumerate(chart.series):
        st, y = _style(i, nid), 22 + 26 * i
        parts.append(f'<rect x="{left}" y="{y - 16}" width="26" height="18" fill="{st["fill"]}" '
                     f'stroke="{st["stroke"]}" stroke-width="1.5"/>')
        parts.append(f'<text x="{left + 36}" y="{y}" class="chart-legend">{_e(s.name)}</text>')
    top_value, span, y = _scale_max(chart.series, chart.percent), width - left - right, legend_h
    for index, (lines, h) in enumerate(rows):
        for k, line in enumerate(lines):
            parts.append(f'<text x="{left}" y="{y + 18 + 22 * k}" class="chart-label">'
                         f"{_e(line)}</text>")
        by = y + 22 * len(lines) + 6
        for j, s in enumerate(chart.series):
            value, st = s.values[index], _style(j, nid)
            if value is None:
                parts.append(f'<text x="{left}" y="{by + 18}" class="chart-value">无数据</text>')
            else:
                w = max(span * (value / top_value if top_value else 0), 0)
                parts.append(f'<rect x="{left}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                             f'fill="{st["fill"]}" stroke="{st["stroke"]}" stroke-width="1.5"/>')
                parts.append(f'<text x="{left + w + 6:.1f}" y="{by + 18}" class="chart-value">'
                             f"{_e(format_value(value, chart.percent))}</text>")
            by += bar_h + 6
        y += h
    parts.append("</svg>")
    return _markup(parts)
