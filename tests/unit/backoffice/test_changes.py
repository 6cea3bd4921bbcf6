"""The old → new diff the institution previews, the reviewer approves and the public reads."""

from __future__ import annotations

from portal.backoffice.rules.changes import diff, form_values

OLD_FEES = {"items": [
    {"id": 1, "item": "床位费", "unit": "元/月", "price": "1800.00", "pricing_type": "market",
     "cycle": "月", "care_level": None, "close": False},
    {"id": 2, "item": "餐费", "unit": "元/月", "price": "600.00", "pricing_type": "market",
     "cycle": "月", "care_level": None, "close": False},
]}


def test_scalar_diff_lists_only_changed_fields_with_labels():
    old = {"phone": "0571-87654321", "beds_total": 100, "admits_mild": False}
    new = {"phone": "0571-87654321", "beds_total": 120, "admits_mild": True}
    assert diff("basic", old, new) == [
        {"field": "beds_total", "label": "床位总数", "old": "100", "new": "120"},
        {"field": "admits_mild", "label": "收住轻度失能老人", "old": "否", "new": "是"},
    ]
    assert diff("basic", old, old) == []


def test_fee_diff_names_changed_closed_and_new_rows():
    new = {"items": [
        {**OLD_FEES["items"][0], "price": "2000.00"},
        {**OLD_FEES["items"][1], "close": True},
        {"id": None, "item": "护理费", "unit": "元/月", "price": "900.00",
         "pricing_type": "guided", "cycle": "月", "care_level": "mild", "close": False},
    ]}
    changes = diff("fees", OLD_FEES, new)
    assert [c["label"] for c in changes] == ["修改收费项目", "停止收费项目", "新增收费项目"]
    assert "1800.00" in changes[0]["old"] and "2000.00" in changes[0]["new"]
    assert changes[1]["new"] == "—" and "餐费" in changes[1]["old"]
    assert "轻度失能" in changes[2]["new"] and "政府指导价" in changes[2]["new"]
    assert diff("fees", OLD_FEES, OLD_FEES) == []


def test_rules_diff_and_form_round_trip():
    old = {"items": [{"id": 3, "title": "员工守则", "body": "甲", "effective_on": "2026-01-01",
                      "remove": False}]}
    new = {"items": [{**old["items"][0], "body": "乙"}]}
    assert [c["label"] for c in diff("rules", old, new)] == ["修改规章制度"]
    values = form_values("rules", new)
    assert values["rows"] == "1" and values["id-0"] == "3" and values["remove-0"] == ""
