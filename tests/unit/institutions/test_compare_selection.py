"""The compare selection kept across the directory's pages (issue 21, item 7)."""

from __future__ import annotations

from portal.institutions.rules import compare_selection as sel


def test_a_cookie_value_reads_as_ids_in_order_once_each_junk_left_out():
    assert sel.parse("12.7.12.x.-3.0.99999999999.٣") == [12, 7]
    assert sel.parse("") == sel.parse(None) == []
    assert sel.parse("1.2.3.4.5") == [1, 2, 3]
    assert sel.dump([12, 7]) == "12.7" and sel.parse(sel.dump([5, 9])) == [5, 9]


def test_a_fourth_choice_is_refused_not_swapped_for_the_first():
    change = sel.add([1, 2, 3], 4)
    assert change.ids == (1, 2, 3) and "最多放 3 家" in change.refused
    assert sel.add([1, 2], 4) == sel.Change((1, 2, 4))
    assert sel.add([1, 2, 3], 2) == sel.Change((1, 2, 3))  # already there: no refusal


def test_removing_and_ticking():
    assert sel.remove([1, 2, 3], 2).ids == (1, 3)
    assert sel.remove([1], 9).ids == (1,)
    assert sel.set_picked([1], 5, True).ids == (1, 5)
    assert sel.set_picked([1, 5], 5, False).ids == (1,)
