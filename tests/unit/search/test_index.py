"""The search index on real jieba segmentation and a real whoosh index (no mocks)."""

from __future__ import annotations

import os
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from sqlalchemy import delete
from whoosh.query import Term

from portal.core.settings import get_settings
from portal.institutions.models import CreditEntry, FeeItem, Inspection, Institution, Penalty
from search.rules.pinyin import initials
from search.services.index import (
    DOCUMENT_FIELDS,
    MAX_QUERY_CHARS,
    FeeRow,
    SearchQuery,
    SearchUnavailable,
    build_query,
    check_or_rebuild,
    document_for,
    excerpt,
    index_problem,
    make_schema,
    monthly_price_range,
    open_or_create,
    parse_query,
    price_bucket,
    rebuild,
    search,
    searcher_for,
    update_institution,
)

from factories import department, district, institution

ODD_QUERIES = ["", "   ", "AND (", "*", '"', "name:x", "OR", "(((", "？！。", "养" * 200, "a" * 500]


def fee(item: str, price: str, cycle: str = "月", level: str | None = None) -> FeeRow:
    return FeeRow(item, "元/月", Decimal(price), "market", cycle, level)


@pytest.mark.parametrize(
    ("fees", "expected"),
    [
        ([], None),
        ([fee("一次性评估费", "200", cycle="次")], None),
        ([fee("床位费", "1800", level="self_care")], (1800, 1800)),
        # Room types are alternatives; meals add to every level; care fees are per level.
        (
            [
                fee("床位费（单人间）", "3000"),
                fee("床位费（双人间）", "2000"),
                fee("护理费", "800", level="self_care"),
                fee("护理费", "2500", level="severe"),
                fee("餐费", "900"),
            ],
            (2000 + 800 + 900, 3000 + 2500 + 900),
        ),
        ([fee("日间照料服务费", "1200.50")], (1201, 1201)),
        # A yearly row counts by the month, an alternative of its component (as the directory).
        ([fee("床位费", "2000"), fee("床位费（年付）", "20000", cycle="年")], (1667, 2000)),
    ],
)
def test_monthly_price_range(fees, expected):
    assert monthly_price_range(fees) == expected


@pytest.mark.parametrize("text", ODD_QUERIES)
def test_odd_queries_parse_without_raising(text):
    parsed = parse_query(text)
    assert len(parsed.text) <= MAX_QUERY_CHARS
    build_query(parsed)  # whoosh syntax is plain text here: nothing to raise


def test_query_syntax_and_punctuation_give_no_terms():
    for text in ["AND (", "*", '"', "？！。", "OR"]:
        parsed = parse_query(text)
        assert parsed.words == [] and build_query(parsed) is None, text


def test_long_query_is_cut_and_flagged():
    parsed = parse_query("养" * 200)
    assert parsed.truncated and len(parsed.text) == MAX_QUERY_CHARS


def test_latin_query_is_also_read_as_pinyin_initials():
    assert parse_query("XFYLY").initials == "xfyly"
    assert parse_query("幸福").initials == ""
    assert parse_query("xf").initials == ""  # too short to mean anything as trigrams


def test_body_text_is_segmented_so_a_word_inside_a_longer_one_is_a_term():
    analyzer = make_schema()["inspections"].analyzer
    terms = [t.text for t in analyzer("发现消防安全隐患两处")]
    assert "消防" in terms and "隐患" in terms


def test_names_are_also_cut_into_characters_and_pairs():
    analyzer = make_schema()["names"].analyzer
    terms = {t.text for t in analyzer("颐康苑")}
    assert {"颐", "颐康", "康苑", "苑"} <= terms


def test_excerpt_marks_terms_and_escapes_everything_else():
    text = "2026-03-02 双随机抽查\n发现<script>消防</script>安全隐患 & 其他"
    html = excerpt(text, ["消防"])
    assert isinstance(html, Markup)
    assert html == "发现&lt;script&gt;<mark>消防</mark>&lt;/script&gt;安全隐患 &amp; 其他"
    assert excerpt(text, ["不存在"]) is None


def test_excerpt_prefers_the_longest_term_and_cuts_long_lines():
    assert excerpt("幸福养老院", ["养老", "养老院"]) == "幸福<mark>养老院</mark>"
    long_line = "甲" * 100 + "消防" + "乙" * 100
    html = excerpt(long_line, ["消防"], width=40)
    assert html.startswith("…") and html.endswith("…") and "<mark>消防</mark>" in html
    assert len(html.striptags()) <= 40 + 2


@given(st.text(max_size=60), st.lists(st.text(min_size=1, max_size=3), max_size=3))
def test_excerpt_never_lets_markup_through(text, terms):
    html = excerpt(text, terms)
    if html is not None:
        bare = str(html).replace("<mark>", "").replace("</mark>", "")
        assert "<" not in bare and ">" not in bare


@pytest.mark.parametrize(
    ("price", "bucket"),
    [(None, ""), (0, "lt2000"), (1999, "lt2000"), (2000, "2000-3999"), (7999, "6000-7999"),
     (8000, "ge8000"), (120000, "ge8000")],
)  # fmt: skip
def test_price_buckets(price, bucket):
    assert price_bucket(price) == bucket


# ---- documents -------------------------------------------------------------------------------


def _with_records(db, inst):
    dept = department(db)
    db.add_all(
        [
            Inspection(
                institution_id=inst.id,
                inspected_on=date(2026, 3, 2),
                department_id=dept.id,
                items_checked="消防安全检查",
                findings="发现消防安全隐患两处",
            ),
            Penalty(
                institution_id=inst.id,
                decision_no=f"示民罚〔2026〕{inst.id}号",
                department_id=dept.id,
                decided_on=date(2026, 4, 1),
                violation="未按规定公开收费标准",
                basis="《养老机构管理办法》第四十六条",
                penalty="警告",
            ),
            CreditEntry(
                institution_id=inst.id,
                list_type="red",
                reason="连续三年等级评定五级",
                department_id=dept.id,
                listed_on=date(2025, 1, 1),
            ),
            FeeItem(
                institution_id=inst.id,
                item="护理费",
                unit="元/人·月",
                price=Decimal("1000"),
                pricing_type="guided",
                care_level="self_care",
                effective_from=date(2026, 1, 1),
            ),
        ]
    )
    db.flush()


def test_document_holds_only_whitelisted_published_fields(db):
    inst = institution(
        db,
        name="幸福养老院",
        legal_representative="张秘密",
        phone="13812345678",
        deposit_bank="机密银行",
    )
    _with_records(db, inst)
    doc = document_for(db, inst.id)
    assert set(doc) <= DOCUMENT_FIELDS
    assert set(doc) >= {"id", "name", "district", "inspections", "penalties", "fees", "credit"}
    values = " ".join(str(v) for v in doc.values())
    for private in ["张秘密", "13812345678", "机密银行"]:
        assert private not in values
    assert "消防安全隐患" in doc["inspections"]
    assert "未按规定公开收费标准" in doc["penalties"] and "红名单" in doc["credit"]
    assert doc["price_min"] == 1800 + 1000 and doc["grade"] == "0"


def test_document_for_a_missing_institution_is_none(db):
    assert document_for(db, 999_999) is None


def test_place_names_read_with_their_override_and_other_readings_too(db):
    changning = district(db, name="长宁区")
    inst = institution(db, district_=changning, name="长宁区康乐养老院")
    readings = document_for(db, inst.id)["name_initials"].split()
    assert readings[0] == initials("长宁区康乐养老院") == "cnqklyly"
    assert any(r.startswith("znq") for r in readings)  # 长 as zhǎng, found by some users
    assert len(readings) <= 6


# ---- index lifecycle -------------------------------------------------------------------------


@pytest.fixture
def index_dir(env) -> Path:
    return get_settings().index_dir


def names(index_dir: Path, q: str, **filters) -> list[str]:
    return [hit.name for hit in search(index_dir, SearchQuery(q=q, **filters)).hits]


def test_update_adds_changes_and_deletes_a_document(db, index_dir):
    inst = institution(db, name="和睦颐养院")
    db.commit()
    update_institution(index_dir, db, inst.id)
    assert names(index_dir, "和睦") == ["和睦颐养院"]
    inst.name = "和美颐养院"
    db.commit()
    update_institution(index_dir, db, inst.id)
    assert names(index_dir, "和睦") == [] and names(index_dir, "和美") == ["和美颐养院"]
    db.execute(delete(FeeItem).where(FeeItem.institution_id == inst.id))
    db.execute(delete(Institution).where(Institution.id == inst.id))
    db.commit()
    update_institution(index_dir, db, inst.id)
    assert names(index_dir, "和美") == []


def test_update_waits_for_whoosh_writer_lock(db, index_dir):
    inst = institution(db, name="等待锁养老院")
    db.commit()
    writer = open_or_create(index_dir).writer()  # another writer holds the lock
    done = threading.Event()

    def update():
        from portal.core.db import session_factory

        with session_factory(get_settings().database_url)() as session:
            update_institution(index_dir, session, inst.id)
        done.set()

    thread = threading.Thread(target=update)
    thread.start()
    assert not done.wait(0.5)  # blocked, not failed
    writer.cancel()
    thread.join(30)
    assert done.is_set() and names(index_dir, "等待锁") == ["等待锁养老院"]


def test_search_without_an_index_is_unavailable_not_an_error(index_dir):
    with pytest.raises(SearchUnavailable):
        search(index_dir, SearchQuery(q="消防"))


def test_an_empty_index_answers_with_nothing(env, index_dir):
    assert rebuild(index_dir, env) == 0
    results = search(index_dir, SearchQuery(q="消防"))
    assert results.total == 0 and results.hits == [] and results.pages == 1
    assert all(f.count == 0 for counts in results.facets.values() for f in counts)


def test_rebuild_swaps_atomically_and_old_searchers_keep_working(db, env, index_dir):
    first = institution(db, name="旧日养老院")
    db.commit()
    assert rebuild(index_dir, env) == 1
    old_target = os.path.realpath(index_dir)
    old = searcher_for(index_dir)
    assert old.search(Term("id", str(first.id))).scored_length() == 1

    institution(db, name="新生养老院")
    db.commit()
    assert rebuild(index_dir, env) == 2
    assert index_dir.is_symlink() and os.path.realpath(index_dir) != old_target
    # The searcher opened on the previous generation still answers.
    assert old.search(Term("id", str(first.id))).scored_length() == 1
    assert old.doc_count() == 1
    assert names(index_dir, "新生") == ["新生养老院"]

    rebuild(index_dir, env)  # the generation before last is pruned
    generations = sorted(p.name for p in index_dir.parent.glob(f"{index_dir.name}-*"))
    assert len(generations) == 2 and Path(old_target).name not in generations


def test_searches_keep_answering_while_a_rebuild_runs(db, env, index_dir):
    for n in range(30):
        institution(db, name=f"常青养老院{n}号院")
    db.commit()
    rebuild(index_dir, env)
    failures: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def keep_searching():
        while not stop.is_set():
            try:
                counts.append(search(index_dir, SearchQuery(q="常青")).total)
            except BaseException as exc:  # noqa: BLE001 - recorded and asserted below
                failures.append(exc)

    thread = threading.Thread(target=keep_searching)
    thread.start()
    try:
        for _ in range(3):
            rebuild(index_dir, env)
    finally:
        stop.set()
        thread.join(30)
    assert not failures
    assert counts and set(counts) == {30}


def test_missing_index_is_built_by_check_or_rebuild(db, env, index_dir):
    institution(db, name="缺失重建养老院")
    db.commit()
    assert index_problem(index_dir) == "missing"
    assert check_or_rebuild(index_dir, env) == 1
    assert index_problem(index_dir) is None
    assert check_or_rebuild(index_dir, env) is None  # healthy: nothing to do


def test_corrupt_index_is_detected_and_rebuilt(db, env, index_dir):
    institution(db, name="损坏重建养老院")
    db.commit()
    rebuild(index_dir, env)
    tocs = list(index_dir.resolve().glob("*.toc"))
    assert tocs
    for toc in tocs:
        toc.write_bytes(b"\x00garbage" * 16)
    assert index_problem(index_dir).startswith("corrupt")
    assert check_or_rebuild(index_dir, env) == 1
    assert names(index_dir, "损坏重建") == ["损坏重建养老院"]


def test_an_old_plain_directory_is_replaced_by_a_generation(db, env, index_dir):
    index_dir.mkdir(parents=True)
    (index_dir / "stale.txt").write_text("old layout")
    institution(db, name="目录迁移养老院")
    db.commit()
    rebuild(index_dir, env)
    assert index_dir.is_symlink()
    assert names(index_dir, "目录迁移") == ["目录迁移养老院"]


def test_rules_titles_and_open_days_are_searched_but_not_rule_bodies_or_cancelled_days(
        db, index_dir):
    from datetime import UTC, datetime, timedelta

    from portal.backoffice.models import InstitutionRule
    from portal.opendays.models import OpenDay

    inst = institution(db, name="松柏颐养院")
    starts = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    db.add_all([
        InstitutionRule(institution_id=inst.id, title="突发事件应急预案",
                        body="夜间巡查由值班护工负责", effective_on=date(2026, 1, 1)),
        InstitutionRule(institution_id=inst.id, title="旧版膳食管理制度", body="",
                        effective_on=date(2024, 1, 1), retired_on=date(2025, 1, 1)),
        OpenDay(institution_id=inst.id, title="冬至包饺子开放日", place="一楼餐厅",
                starts_at=starts, ends_at=starts + timedelta(hours=2),
                signup_deadline=starts - timedelta(days=1), capacity=20, status="scheduled"),
        OpenDay(institution_id=inst.id, title="重阳登高开放日", place="后山",
                starts_at=starts, ends_at=starts + timedelta(hours=2),
                signup_deadline=starts - timedelta(days=1), capacity=20, status="cancelled"),
    ])
    db.commit()
    doc = document_for(db, inst.id)
    assert doc["rules"] == "突发事件应急预案"
    assert doc["open_days"] == "2026-12-08 冬至包饺子开放日（一楼餐厅）"
    update_institution(index_dir, db, inst.id)
    assert names(index_dir, "应急预案") == ["松柏颐养院"]
    assert names(index_dir, "饺子") == ["松柏颐养院"]
    hit = search(index_dir, SearchQuery(q="饺子")).hits[0]
    assert any(s.field == "open_days" and "<mark>饺子</mark>" in s.html for s in hit.snippets)
    for absent in ("巡查", "膳食", "登高"):  # a rule body, a retired rule, a cancelled day
        assert names(index_dir, absent) == [], absent
