"""What may be merged, and what the survivor takes from the duplicate (issue 20)."""

from __future__ import annotations

from datetime import date

import portal.models  # noqa: F401  (every table in the metadata)
from portal.core.db import Base
from portal.registry.rules import merge

CODE_A = "52330102MJ0000000A"
CODE_B = "52330102MJ0000000B"


def test_a_merge_needs_another_record_and_a_reason():
    assert merge.merge_problems(5, None, "") == {
        "duplicate_id": "请填写重复记录的机构编号", "reason": "请填写合并原因（如：同一机构重复登记）"}
    assert "不能与本机构自身合并" in merge.merge_problems(5, 5, "重复")["duplicate_id"]
    assert merge.merge_problems(5, 6, "同一机构重复登记") == {}


def test_two_different_credit_codes_are_two_institutions():
    problem = merge.same_place_problem({"credit_code": CODE_A}, {"credit_code": CODE_B})
    assert problem == (f"两条记录的统一社会信用代码不同（{CODE_A}、{CODE_B}），不是同一机构，不能合并")
    assert merge.same_place_problem({"credit_code": CODE_A}, {"credit_code": CODE_A}) == ""
    assert merge.same_place_problem({"credit_code": None}, {"credit_code": CODE_B}) == ""
    assert merge.same_place_problem({"credit_code": CODE_A}, {"credit_code": None}) == ""


def test_the_survivor_takes_only_what_it_lacks():
    survivor = {"credit_code": None, "registration_no": "民登第1号", "filing_no": "",
                "filing_date": None, "phone": "", "name": "甲"}
    duplicate = {"credit_code": CODE_B, "registration_no": "民登第2号", "filing_no": "备2",
                 "filing_date": date(2026, 3, 1), "phone": "", "name": "乙"}
    assert merge.filled(survivor, duplicate) == {
        "credit_code": CODE_B, "filing_no": "备2", "filing_date": date(2026, 3, 1)}


def test_every_table_pointing_at_institutions_is_moved_or_rebuilt():
    """A new table with an institution_id must be named here, or a merge would delete its
    rows with the duplicate (ON DELETE CASCADE) or fail on them."""
    pointing = {t.name for t in Base.metadata.sorted_tables for fk in t.foreign_keys
                if fk.column.table.name == "institutions"}
    handled = set(merge.MOVED) | set(merge.CURRENT) | set(merge.REBUILT)
    assert pointing == handled
