"""消防审验: reading the free text of before into a status, and upgrading old drafts."""

from __future__ import annotations

from datetime import date

import pytest

from portal.institutions.rules.fire_approval import legacy_status, summary, upgrade_payload

# The texts of the issue and the demo's old texts, read by hand.
LEGACY = [
    ("已通过消防验收", "passed"),
    ("已通过消防安全检查", "passed"),
    ("已办理消防备案", "passed"),
    ("验收合格", "passed"),
    ("未通过（整改中）", "failed"),
    ("没有通过", "failed"),
    ("无消防手续", "failed"),
    ("无", "failed"),
    ("没有", "failed"),
    ("验收不合格", "failed"),
    ("办理中", "in_progress"),
    ("消防验收申请中", "in_progress"),
    ("无需办理（只提供上门服务）", "not_required"),
    ("详见公告栏", None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("text", "status"), LEGACY, ids=[t or "empty" for t, _ in LEGACY])
def test_old_text_is_read_as_the_status_it_stands_for(text, status):
    assert legacy_status(text) == status


def test_migration_reads_the_text_with_the_same_words():
    # The migration keeps its own copy of the word lists (a migration must not change when the
    # module does); they must agree today.
    from importlib.util import module_from_spec, spec_from_file_location

    from portal.core.settings import PROJECT_ROOT
    from portal.institutions.rules import fire_approval

    path = PROJECT_ROOT / "migrations/versions/0015_fire_approval_status.py"
    spec = spec_from_file_location("migration_0015", path)
    assert spec is not None and spec.loader is not None
    migration = module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.WORDS == fire_approval._LEGACY_WORDS
    assert migration.WHOLE_FAILED == fire_approval._LEGACY_NONE


def test_a_draft_saved_before_the_status_gets_the_status_its_text_stands_for():
    old = {"caregivers": 5, "fire_approval": "无消防手续", "food_licence": ""}
    assert upgrade_payload(old) == {**old, "fire_approval_status": "failed",
                                    "fire_approval_doc_no": "", "fire_approval_date": None}
    new = {"fire_approval_status": "passed", "fire_approval": "消防验收合格"}
    assert upgrade_payload(new) is new
    assert upgrade_payload({}) == {}


def test_summary_names_the_number_and_date_by_status():
    assert summary("passed", "示住建消验字〔2020〕第1号", date(2020, 5, 1), "") == (
        "通过（文号 示住建消验字〔2020〕第1号，取得日期 2020-05-01）")
    assert summary("in_progress", "", date(2026, 3, 1), "已申请") == (
        "办理中（申请日期 2026-03-01，说明：已申请）")
    assert summary("failed", "", None, "") == "未通过"
    assert summary(None, "", None, "") == "未公开"
