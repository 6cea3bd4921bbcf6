"""Merging two records of the same institution (issue 20, the registry lifecycle): what moves
from the duplicate to the surviving record, what the survivor takes from it, what is refused.

Pure: no database. portal/registry/merge.py applies it.
"""

from __future__ import annotations

from typing import Any

# Rows that move to the survivor as they are: government records, their history, complaints,
# reviews, open days, published change history, the institution's accounts.
MOVED = ("grades", "inspections", "penalties", "credit_entries", "fulfilment_assessments",
         "record_revisions", "institution_status_changes", "complaints", "reviews", "open_days",
         "disclosure_versions", "disclosure_drafts", "service_resources", "users",
         "place_follow_ups", "institution_merges")
# Disclosures in force, by the column that retires a row: the duplicate's current rows move
# too, and are retired on the merge day when the survivor has current rows of its own (its
# disclosures stay in force; the duplicate's go to the history, as an old price does).
CURRENT = {"fee_items": "effective_to", "institution_rules": "retired_on",
           "credit_commitments": "retired_on"}
# Derived from the others and rebuilt for the survivor (the duplicate's goes with its row).
REBUILT = ("institution_page_docs",)
# Registry fields the survivor takes from the duplicate when its own are blank.
FILLED = ("credit_code", "registration_no", "registration_date", "filing_no", "filing_date",
          "legal_representative", "phone", "street_id", "opened_year")


def merge_problems(survivor_id: int, duplicate_id: int | None, reason: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if duplicate_id is None:
        problems["duplicate_id"] = "请填写重复记录的机构编号"
    elif duplicate_id == survivor_id:
        problems["duplicate_id"] = "不能与本机构自身合并，请填写另一条重复记录的编号"
    if not reason:
        problems["reason"] = "请填写合并原因（如：同一机构重复登记）"
    return problems


def same_place_problem(survivor: dict[str, Any], duplicate: dict[str, Any]) -> str:
    """Two records with different credit codes are two institutions: refused."""
    if (survivor.get("credit_code") and duplicate.get("credit_code")
            and survivor["credit_code"] != duplicate["credit_code"]):
        return (f"两条记录的统一社会信用代码不同（{survivor['credit_code']}、"
                f"{duplicate['credit_code']}），不是同一机构，不能合并")
    return ""


def filled(survivor: dict[str, Any], duplicate: dict[str, Any]) -> dict[str, Any]:
    """The survivor's blank registry fields the duplicate has."""
    return {name: duplicate[name] for name in FILLED
            if survivor.get(name) in (None, "") and duplicate.get(name) not in (None, "")}
