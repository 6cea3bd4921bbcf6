"""The public statistics page and league table, over HTTP with a real database."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

from complaints.models import ComplaintEvent
from complaints.services.calendar_store import load_calendar
from portal.core.db import utcnow
from portal.core.settings import get_settings
from portal.stats.rules.periods import add_month, month_key
from portal.stats.services.snapshots import store_month

from factories import department, district, institution
from factories.complaints import complaint_row as add


class Page(HTMLParser):
    """Collects tags with attributes, the text of <dd>/<td> cells and element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def seed(db):
    """Two offices this month: A answered 2 on time and 1 late and returned 1; B has 1 overdue."""
    now = utcnow()
    d = district(db)
    a = department(db, "civil_affairs", d)
    b = department(db, "market_regulation", d)
    base = now - timedelta(days=2)
    for _ in range(2):
        add(db, a, base, answered=base + timedelta(hours=5), satisfaction="satisfied")
    add(db, a, base, answered=base + timedelta(hours=5), due=base + timedelta(hours=1),
        satisfaction="unsatisfied")
    back = add(db, a, base)
    db.add(ComplaintEvent(complaint_id=back.id, kind="returned", department_id=a.id,
                          at=base + timedelta(hours=1)))
    add(db, b, base, due=base + timedelta(hours=3))
    institution(db, d)
    db.commit()
    return a, b


def test_stats_page_renders_accessible_charts_with_data_tables(client, db):
    seed(db)
    response = client.get("/stats/")
    assert response.status_code == 200
    page = parse(response.text)
    svgs = [attrs for tag, attrs in page.tags if tag == "svg"]
    assert len(svgs) >= 6
    for svg in svgs:
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert title_id in page.ids and desc_id in page.ids
    # Each chart is drawn twice, wide and for a phone (issue 21 item 9), with one data table.
    wide = [s for s in svgs if "chart-wide" in s["class"]]
    assert len(wide) * 2 == len(svgs)
    assert sum(1 for tag, _ in page.tags if tag == "table") >= len(wide)
    assert any(tag == "link" and "charts.css" in attrs.get("href", "") for tag, attrs in page.tags)
    assert not any("style" in attrs for _tag, attrs in page.tags)
    # Five received; answered on time 2 of (3 answered + 1 open overdue) = 50.0%.
    summary = page.text[page.text.index("受理投诉"):page.text.index("受理投诉") + 12]
    assert summary[1] == "5 件"
    assert summary[summary.index("按时答复率") + 1] == "50.0%"
    assert summary[summary.index("满意率") + 1] == "66.7%"


def test_league_table_ranks_offices_with_their_rates(client, db):
    a, b = seed(db)
    html = client.get("/stats/departments").text
    assert html.index(a.name) < html.index(b.name)  # 66.7% on time ranks above 0%
    row_a = html[html.index(a.name):html.index(b.name)]
    assert "66.7%" in row_a  # 2 on time of 3 answered
    assert "25.0%" in row_a and "1 / 4 次派单" in row_a  # 1 return of 4 dispatches


def test_period_filter_accepts_years_and_ignores_junk(client, db):
    seed(db)
    year = utcnow().year
    assert client.get(f"/stats/?period={year}").status_code == 200
    for junk in ("junk", "1900", "2026-13", "'; drop table x", "9" * 50):
        response = client.get("/stats/", params={"period": junk})
        assert response.status_code == 200
        assert "近12个月" in response.text


def test_closed_month_on_the_page_comes_from_its_snapshot(client, db):
    settings = get_settings()
    today = utcnow().astimezone(settings.timezone).date()
    last_month = add_month(today.replace(day=1), -1)
    office = department(db, "civil_affairs", district(db))
    received = utcnow().replace(year=last_month.year, month=last_month.month, day=10)
    add(db, office, received)
    db.commit()
    assert store_month(db, month_key(last_month), tz=settings.timezone,
                       calendar=load_calendar(db))
    db.commit()
    add(db, office, received)  # recorded late, after the month was published
    db.commit()
    html = client.get("/stats/").text
    start = html.index("每月受理与按时答复投诉数（数据表）")
    monthly = html[start:html.index("</table>", start)]
    label = f"{last_month.month}月" if last_month.month != 1 else f"{last_month.year}年1月"
    cells = re.findall(r"<th scope=\"row\">([^<]+)</th><td class=\"num\"[^>]*>(\d+)</td>", monthly)
    assert dict(cells)[label] == "1"
    assert "月度统计快照" in html
