"""The public read side: directory filters and sorts, institution page, print view, compare, lists."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

from complaints.models import Complaint

from factories import department, district, institution
from factories.disclosures import credit_entry, fee, grade, inspection, penalty, resources


class _Page(HTMLParser):
    """Tags with attributes, and the institution links of the result list in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.result_ids: list[int] = []
        self._in_result_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "h2":
            self._in_result_h2 = True
        elif tag == "a" and self._in_result_h2:
            match = re.search(r"/institutions/(\d+)$", attrs.get("href", ""))
            if match:
                self.result_ids.append(int(match.group(1)))

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_result_h2 = False


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def result_ids(client, **params) -> list[int]:
    response = client.get("/institutions/", params=params)
    assert response.status_code == 200, response.text[:500]
    return parse(response.text).result_ids


def test_directory_filters_by_every_field(client, db):
    d = district(db)
    street = d.streets[0]
    a = institution(db, district_=d, street_id=street.id, name="甲颐养院", nature="public",
                    admits_mild=True, admits_severe=True, medical_integration=True, beds_vacant=0)
    b = institution(db, name="乙老年公寓", kind="community", filing_status="registered_unfiled",
                    admits_mild=True)
    c = institution(db, name="丙护理院", filing_status="unregistered", beds_vacant=5)
    grade(db, a, level=4)
    grade(db, b, level=2, awarded_on=date(2020, 1, 1))
    grade(db, b, level=3, awarded_on=date(2024, 1, 1))  # the latest award counts
    db.commit()
    assert result_ids(client, district=d.id) == [a.id]
    assert result_ids(client, street=street.id) == [a.id]
    assert result_ids(client, kind="community") == [b.id]
    assert result_ids(client, nature="public") == [a.id]
    assert result_ids(client, grade=3) == [b.id]
    assert result_ids(client, grade=2) == []
    assert result_ids(client, grade=0) == [c.id]
    assert result_ids(client, filing="unregistered") == [c.id]
    assert set(result_ids(client, vacant=1)) == {b.id, c.id}
    assert sorted(result_ids(client, admits="mild")) == sorted([a.id, b.id])
    assert result_ids(client, admits="severe") == [a.id]
    assert result_ids(client, medical=1) == [a.id]
    # Junk values are ignored on the HTML page rather than failing.
    assert len(result_ids(client, grade="9", kind="nope", price_min="abc")) == 3


def test_directory_name_search_takes_wildcards_literally(client, db):
    percent = institution(db, name="百分之100%关爱院")
    under = institution(db, name="乐_龄之家")
    slash = institution(db, name="城南/城北颐养院")
    institution(db, name="普通颐养院")
    db.commit()
    assert result_ids(client, q="%") == [percent.id]
    assert result_ids(client, q="_") == [under.id]
    assert result_ids(client, q="/") == [slash.id]
    assert result_ids(client, q="0%关") == [percent.id]
    assert len(result_ids(client, q="院")) == 3  # not the 家


def test_directory_price_range_uses_the_monthly_total_for_a_care_level(client, db):
    cheap = institution(db, name="便宜颐养院")  # 床位费 1800 (self_care) from the factory
    fee(db, cheap, "护理费", "500.00", care_level="self_care")
    fee(db, cheap, "护理费", "2500.00", care_level="severe")
    dear = institution(db, name="高端颐养院")
    fee(db, dear, "床位费", "6000.00", care_level="severe")
    fee(db, dear, "护理费", "3000.00")
    old = fee(db, dear, "护理费", "100.00", effective_to=date(2025, 12, 31))
    assert old.effective_to
    fee(db, cheap, "护理费", "50.00", care_level="self_care", effective_from=date(2099, 1, 1))
    fee(db, cheap, "押金", "20000.00", cycle="一次性")
    db.commit()
    # self_care: cheap = 1800 + 500 = 2300, dear = 1800 + 3000 (shared) = 4800;
    # severe: cheap = 2500, dear = 6000 + 3000 = 9000. The closed 100.00 row, the 50.00 row
    # not yet in force and the one-off deposit do not count.
    assert result_ids(client, level="self_care", price_max=3000) == [cheap.id]
    assert result_ids(client, level="severe", price_min=5000) == [dear.id]
    assert result_ids(client, sort="price") == [cheap.id, dear.id]
    html = client.get("/institutions/", params={"level": "self_care", "q": "便宜"}).text
    assert "每月约 2,300 元（自理）" in html  # estimates in whole yuan (issue 21 item 12)


def test_directory_sorts_by_grade_and_vacancies(client, db):
    a = institution(db, name="A院", beds_vacant=1)
    b = institution(db, name="B院", beds_vacant=30)
    c = institution(db, name="C院", beds_vacant=5)
    grade(db, a, level=5)
    grade(db, c, level=2)
    db.commit()
    assert result_ids(client, sort="grade") == [a.id, c.id, b.id]
    assert result_ids(client, sort="vacancies") == [b.id, c.id, a.id]
    assert result_ids(client) == [a.id, b.id, c.id]


def test_directory_streets_are_grouped_by_district_and_htmx_gets_the_fragment(client, db):
    d = district(db, name="东城区")
    institution(db, district_=d)
    district(db, name="西城区")
    db.commit()
    html = client.get("/institutions/").text
    assert '<optgroup label="东城区">' in html and '<optgroup label="西城区">' in html
    assert '<label for="f-street">' in html
    fragment = client.get(
        "/institutions/", params={"district": d.id}, headers={"HX-Request": "true"}
    ).text
    assert fragment.lstrip().startswith('<section id="results"')
    # The street select comes along out of band, narrowed to the chosen district.
    assert 'hx-swap-oob="true"' in fragment
    assert "东城区" in fragment and '<optgroup label="西城区">' not in fragment
    assert 'name="ids"' in fragment  # 加入对比 checkboxes


def test_institution_page_shows_every_section_with_flags_and_numbers(client, db):
    inst = institution(db, name="测试福利院", admits_severe=True, deposit_amount=10000,
                       deposit_dedicated_account=False, phone="0571-88886666")
    fee(db, inst, "护理费", "900.00", care_level="self_care")
    fee(db, inst, "护理费", "800.00", care_level="self_care", effective_from=date(2025, 1, 1),
        effective_to=date(2025, 12, 31))
    resources(db, inst, caregivers=9, elders_self_care=0, elders_mild=0, elders_severe=42)
    grade(db, inst, level=4, awarded_on=date(2023, 6, 1), gb38600_compliant=False)
    dept = department(db)
    inspection(db, inst, dept, findings="消防通道堵塞", rectification_deadline=date(2026, 5, 1),
               rectification_status="pending")
    penalty(db, inst, dept)
    credit_entry(db, inst, "black", dept)
    db.commit()
    html = client.get(f"/institutions/{inst.id}").text
    for heading in ["监管提示", "信息公开完整度", "基本信息", "收费标准", "调价记录", "服务资源",
                    "等级评定", "检查结果", "行政处罚", "信用信息", "投诉情况", "信息最后更新"]:
        assert heading in html, heading
    assert "护理员配比不足" in html
    assert "中重度失能老人 42 人，需护理员 14.0 人，现有 9 人，缺 5.0 人" in html
    assert "昆明市昆政办〔2021〕70号（三）从业人员监管" in html  # the seed and its clause
    assert "押金未专户存储" in html and "依据：" in html
    assert "严重" in html  # severity in words, not colour alone
    assert "整改逾期" in html and "消防通道堵塞" in html
    assert "未达标" in html and "评定于 3 年前" in html
    assert "800.00" in html and "2025-01-01 至 2025-12-31" in html  # fee history
    assert "失信联合惩戒对象名单" in html and "已作出决定" in html
    assert "尚未公开：" in html and "信用承诺书" in html  # completeness lists the gaps


def test_complaint_aggregates_count_the_year_and_the_on_time_rate(client, db):
    inst = institution(db)
    dept = department(db)
    now = datetime.now(UTC)

    def complaint(n: int, received_days_ago: int, answered: bool, late: bool = False):
        received = now - timedelta(days=received_days_ago)
        due = received + timedelta(days=7)
        db.add(Complaint(
            tracking_no=f"T{inst.id:04d}{n:04d}", channel="web", institution_id=inst.id,
            category_code="other", description="测试投诉内容", responsible_department_id=dept.id,
            received_at=received, working_days=5, due_at=due, due_last_day=due.date(),
            sign_due_at=received + timedelta(days=1),
            answered_at=(due + timedelta(days=1) if late else received + timedelta(days=2))
            if answered else None,
            status="answered" if answered else "assigned",
        ))

    complaint(1, 30, answered=True)
    complaint(2, 40, answered=True, late=True)
    complaint(3, 50, answered=False)  # past due without an answer: late
    complaint(4, 1, answered=False)  # not yet due: not judged
    complaint(5, 400, answered=True)  # older than 12 months
    db.commit()
    html = client.get(f"/institutions/{inst.id}").text
    assert "近 12 个月收到投诉 4 件" in html
    assert "已到答复期限的 3 件中，按期答复 1 件，按期答复率 33%" in html
    assert "测试投诉内容" not in html


def test_print_view_has_no_navigation(client, db):
    inst = institution(db)
    db.commit()
    response = client.get(f"/institutions/{inst.id}/print")
    assert response.status_code == 200
    assert "收费标准" in response.text and 'class="site-nav"' not in response.text
    assert "12349" in response.text
    assert client.get("/institutions/999999/print").status_code == 404


def test_compare_shows_up_to_three_side_by_side(client, db):
    a = institution(db, name="对比甲院", beds_total=80, beds_vacant=8)
    b = institution(db, name="对比乙院")
    c = institution(db, name="对比丙院")
    extra = institution(db, name="对比丁院")
    fee(db, a, "护理费", "700.00", care_level="self_care")
    fee(db, a, "护理费", "2000.00", care_level="severe")
    grade(db, a, level=5)
    penalty(db, b)
    db.commit()
    html = client.get("/institutions/compare", params={"ids": f"{a.id},{b.id}"}).text
    assert "对比甲院" in html and "对比乙院" in html
    assert "约 2,500 元" in html  # 1800 + 700 for self care, in whole yuan (issue 21 item 12)
    assert "五级" in html and "1 件" in html and "80 张（空余 8 张）" in html
    severe = client.get("/institutions/compare", params=[("ids", a.id), ("ids", b.id),
                                                         ("level", "severe")]).text
    assert "约 2,000 元" in severe  # the factory's 床位费 is for self care only
    four = client.get("/institutions/compare",
                      params={"ids": f"{a.id},{b.id},{c.id},{extra.id}"}).text
    assert "对比丁院" not in four and "最多同时对比 3 家" in four
    assert "还没有选择机构" in client.get("/institutions/compare").text


def test_public_lists_show_date_and_department(client, db):
    d = district(db)
    listed = institution(db, district_=d, name="红榜颐养院")
    black = institution(db, district_=d, name="失信养老院")
    removed = institution(db, district_=d, name="已修复养老院")
    illegal = institution(db, district_=d, name="无证托老所", filing_status="unregistered")
    market = department(db, "market_regulation")
    credit_entry(db, listed, "red", listed_on=date(2026, 3, 3))
    credit_entry(db, black, "black", market, listed_on=date(2026, 4, 4))
    credit_entry(db, removed, "black", removed_on=date(2026, 5, 1))
    credit_entry(db, removed, "red", expires_on=date(2020, 1, 1))
    penalty(db, black, market, decided_on=date(2026, 6, 6))
    inspection(db, illegal, market, inspected_on=date(2026, 7, 7), findings="无证经营")
    db.commit()
    red = client.get("/institutions/lists/red").text
    assert "红榜颐养院" in red and "2026-03-03" in red and "已修复养老院" not in red
    blk = client.get("/institutions/lists/black").text
    assert "失信养老院" in blk and market.name in blk and "已修复养老院" not in blk
    pen = client.get("/institutions/lists/penalties").text
    assert "失信养老院" in pen and "2026-06-06" in pen and market.name in pen
    insp = client.get("/institutions/lists/inspections").text
    assert "无证托老所" in insp and "2026-07-07" in insp
    unreg = client.get("/institutions/lists/unregistered").text
    assert "无证托老所" in unreg and "2026-07-07" in unreg and market.name in unreg
    assert "红名单" in client.get("/institutions/lists/").text
    assert client.get("/institutions/lists/nope").status_code == 404


def test_read_pages_have_labels_and_no_inline_script_or_style(client, db):
    inst = institution(db)
    db.commit()
    paths = ["/institutions/", f"/institutions/{inst.id}", f"/institutions/{inst.id}/print",
             f"/institutions/compare?ids={inst.id}", "/institutions/lists/red"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = parse(response.text)
        labelled = {a.get("for") for t, a in page.tags if t == "label"}
        for tag, attrs in page.tags:
            assert "style" not in attrs, (path, tag)
            assert not any(a.startswith("on") for a in attrs), (path, tag)
            if tag == "script":
                assert attrs.get("src"), path
            if tag in ("select", "input") and attrs.get("type") not in ("hidden", "checkbox"):
                assert attrs.get("id") in labelled, (path, attrs)


def test_video_retention_threshold_is_configurable(client, db, monkeypatch):
    from portal.core.settings import reset_settings

    inst = institution(db, name="录像测试养老院")
    resources(db, inst, caregivers=10, video_retention_days=30)
    db.commit()
    assert "视频监控保存时间不足" not in client.get(f"/institutions/{inst.id}").text
    monkeypatch.setenv("PORTAL_CHECK_VIDEO_RETENTION_DAYS", "90")
    reset_settings()
    html = client.get(f"/institutions/{inst.id}").text
    assert "视频监控保存时间不足" in html
    assert "视频监控记录保存 30 天，要求不少于 90 天" in html


def test_institution_page_lists_open_days_and_flags_a_home_without_a_recent_one(client, db):
    from portal.opendays.models import OpenDay

    d = district(db, name="开放区")
    home = institution(db, d, name="常青颐养院", kind="residential")
    quiet = institution(db, d, name="静园养老院", kind="residential")
    now = datetime.now(UTC)

    def open_day(inst, title, starts, status):
        db.add(OpenDay(institution_id=inst.id, title=title, place="一楼大厅", capacity=20,
                       starts_at=starts, ends_at=starts + timedelta(hours=2),
                       signup_deadline=starts - timedelta(days=1), status=status))

    open_day(home, "冬季开放日", now + timedelta(days=9), "scheduled")
    open_day(home, "秋季开放日", now - timedelta(days=40), "held")
    open_day(quiet, "春季开放日", now - timedelta(days=200), "held")
    db.commit()

    page = client.get(f"/institutions/{home.id}").text
    assert "冬季开放日" in page and "秋季开放日" in page and "剩余名额 20 人" in page
    assert "近期未举办开放日" not in page
    data = client.get(f"/api/v1/institutions/{home.id}").json()
    assert [e["title"] for e in data["open_days"]["upcoming"]] == ["冬季开放日"]
    assert [e["title"] for e in data["open_days"]["held"]] == ["秋季开放日"]

    quiet_page = client.get(f"/institutions/{quiet.id}").text
    assert "近期未举办开放日" in quiet_page and "暂无即将举办的开放日" in quiet_page
    flags = client.get(f"/api/v1/institutions/{quiet.id}").json()["flags"]
    overdue = [f for f in flags if f["code"] == "open_day_overdue"]
    assert overdue and overdue[0]["numbers"]["days_since"] >= 199


def test_directory_rows_do_not_copy_the_page_context(client, db, monkeypatch):
    """A `{% set %}` in the row loop made Jinja copy the whole context for each row's link."""
    from jinja2.runtime import Context

    d = district(db, name="西城区")
    ids = [institution(db, district_=d, name=f"西城第{i}敬老院").id for i in range(3)]
    db.commit()
    derived = []
    original = Context.derived
    monkeypatch.setattr(Context, "derived",
                        lambda self, locals=None: derived.append(1) or original(self, locals))
    page = client.get("/institutions/", params={"district": d.id}).text
    assert all(f'href="http://testserver/institutions/{i}"' in page for i in ids)
    assert derived == []
