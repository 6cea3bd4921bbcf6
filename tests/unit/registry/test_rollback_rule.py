"""When an import may be rolled back (portal/registry/rules/rollback.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.registry.rules.rollback import NOT_UNDOABLE, SHOWN, WrittenRow, decide, plain

AFTER = {"beds_total": 120, "phone": "0571-1"}


def row(**overrides) -> WrittenRow:
    values = dict(label="福寿院（9133）", action="updated", after=AFTER, now=dict(AFTER))
    return WrittenRow(**(values | overrides))


def test_an_import_whose_rows_are_as_it_wrote_them_may_be_rolled_back():
    assert decide("done", [row(), row(action="added")]).allowed


def test_only_a_done_import_with_rows_can_be_rolled_back():
    assert decide("rolled_back", [row()]).reasons == ["该次导入已撤销"]
    for status in ("checked", "rejected", "failed", "queued", "running"):
        assert not decide(status, [row()]).allowed
    assert decide("done", []).reasons == ["该次导入没有改变任何数据，无需撤销"]


def test_a_kind_without_before_values_is_refused_with_its_reason():
    """Districts, offices, places and staff keep no before-values (portal/registry/kinds.py)."""
    found = decide("done", [], undoable=False)
    assert not found.allowed and found.reasons == [NOT_UNDOABLE]
    assert "不能撤销" in NOT_UNDOABLE
    # Not written at all: that reason first, as for any kind.
    assert decide("rejected", [], undoable=False).reasons == ["该次导入没有写入数据，无需撤销"]


def test_a_row_edited_since_names_the_fields():
    found = decide("done", [row(now={"beds_total": 90, "phone": "0571-1"})],
                   {"beds_total": "床位数"})
    assert found.reasons == ["福寿院（9133）：导入后又被修改（床位数）"]


def test_a_row_deleted_since_blocks():
    assert decide("done", [row(now=None)]).reasons == ["福寿院（9133）：导入后已被删除或撤销"]


def test_a_later_import_of_the_same_row_blocks_and_hides_its_own_changes():
    found = decide("done", [row(now={"beds_total": 130, "phone": "0571-1"},
                                later_imports=(7, 9))])
    assert found.reasons == ["福寿院（9133）：之后的导入 #7、#9 又写入了这一行，请先撤销之后的导入"]


def test_references_block_only_rows_the_import_added():
    refs = {"投诉": 2, "检查记录": 1, "评价": 0}
    assert decide("done", [row(action="added", references=refs)]).reasons == [
        "福寿院（9133）：已有其他记录引用（投诉 2 条、检查记录 1 条）"]
    assert decide("done", [row(action="updated", references=refs)]).allowed


def test_many_blockers_are_counted_past_those_shown():
    found = decide("done", [row(now=None)] * (SHOWN + 5))
    assert len(found.reasons) == SHOWN and found.more == 5 and found.lines[-1] == "……另有 5 处"


def test_plain_values_are_what_json_keeps():
    assert [plain(v) for v in (date(2026, 1, 2), Decimal("5.50"), 3, True, None, "x")] == [
        "2026-01-02", "5.50", 3, True, None, "x"]
