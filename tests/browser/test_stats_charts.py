"""The statistics pages in chromium: SVG charts render, a screenshot is kept, and axe-core finds
no serious or critical violations in normal and large-text mode."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest
from test_accessibility import serious_violations

from servers import serve_app
from support import ARTIFACTS

pytestmark = pytest.mark.browser
PAGES = ["/stats/", "/stats/departments"]


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory, sqlite_template, redis_server) -> Iterator[str]:
    """Its own server and database (complaints over a year would disturb the shared demo city)."""
    from portal.core.db import dispose_engines, session_scope, utcnow

    from factories import department, district, institution
    from factories.complaints import complaint_row as add
    from factories.disclosures import grade, inspection, penalty

    var = tmp_path_factory.mktemp("stats-live")
    url = f"sqlite:///{var / 'portal.sqlite3'}"
    shutil.copy(sqlite_template, var / "portal.sqlite3")
    rng = random.Random(6)
    now = utcnow()
    with session_scope(url) as db:
        districts = [district(db, name) for name in ("东城区", "西城区", "南湖区")]
        offices = [department(db, t, d) for d in districts
                   for t in ("civil_affairs", "market_regulation", "fire_rescue")]
        for i, d in enumerate(districts):
            home = institution(db, d, name=f"示范颐养院{i + 1}")
            grade(db, home, level=3 + i, gb38600_compliant=i != 1)
            inspection(db, home, inspected_on=(now - timedelta(days=40 * i + 5)).date())
            penalty(db, home, decided_on=(now - timedelta(days=70 * i + 9)).date())
        for _ in range(160):
            office = rng.choice(offices)
            received = now - timedelta(days=rng.randint(1, 360), hours=rng.randint(0, 23))
            due = received + timedelta(days=7)
            if rng.random() < 0.8:
                answered = received + timedelta(days=rng.choice([1, 2, 3, 5, 6, 9]))
                add(db, office, received, answered=answered, due=due,
                    satisfaction=rng.choice(["satisfied", "basically_satisfied", "unsatisfied",
                                             None]))
            else:
                add(db, office, received, due=due)
    dispose_engines()
    with serve_app(url, redis_server.url, "browser-stats-" + "z" * 40) as base:
        yield base


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "large-text"])
def test_stats_pages_render_charts_and_pass_axe(browser, stats_server, large_text):
    context = browser.new_context(locale="zh-CN", bypass_csp=True,
                                  viewport={"width": 1280, "height": 900})
    if large_text:
        context.add_cookies([{"name": "portal_large_text", "value": "1", "url": stats_server}])
    page = context.new_page()
    response = page.goto(stats_server + "/stats/")
    assert response is not None and response.status == 200
    charts = page.locator("svg.chart-svg[role=img]")
    assert charts.count() >= 6
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    # Bars were drawn for the seeded months, with their numbers as text.
    assert page.locator("#chart-monthly-title").count() == 1
    assert charts.first.locator("rect").count() > 12
    name = "stats-large-text.png" if large_text else "stats.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    found = {}
    for path in PAGES:
        if path != "/stats/":
            page.goto(stats_server + path)
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    context.close()
    assert found == {}
