"""FilteredRows under a whole-history search: rows found on disk merge in history order, and a
live batch that touches a message wins over the search's older copy of it (no duplicates)."""

from __future__ import annotations

from smstui.filtering import parse_filter
from smstui.model import AppliedChange, DeliveryState, Message, Provider, sort_key
from smstui.ui.filtered_rows import FilteredRows

T0 = 1_764_590_400.0
FAILED, DELIVERED = DeliveryState.FAILED, DeliveryState.DELIVERED


def msg(i: int, state: DeliveryState = FAILED, **kw: object) -> Message:
    """Message i, sent i minutes before T0 (higher i: older)."""
    return Message("main", Provider.SMSC, str(1000 + i), f"7916000{i:04d}", state,
                   sent_at=T0 - 60 * i, **kw)  # type: ignore[arg-type]  # fmt: skip


def change(before: Message | None, after: Message) -> AppliedChange:
    return AppliedChange("updated" if before else "inserted", after.key, before, after)


def failed_view(loaded: list[Message]) -> FilteredRows:
    return FilteredRows(loaded, parse_filter("state:failed"))


def ids(rows: FilteredRows) -> list[int]:
    return [int(m.message_id) - 1000 for m in rows.rows]


def test_found_rows_join_the_loaded_ones_in_history_order() -> None:
    rows = failed_view([msg(1), msg(2, DELIVERED), msg(3)])
    rows.begin_search()
    assert rows.add_found([msg(10), msg(11)]) == 2
    assert rows.add_found([msg(5)]) == 1  # newer than rows already there: bisected in
    assert rows.add_found([msg(10)]) == 0  # found twice: once
    assert ids(rows) == [1, 3, 5, 10, 11]
    assert [sort_key(m) for m in rows.rows] == sorted(sort_key(m) for m in rows.rows)


def test_a_live_batch_during_the_search_wins_over_the_search_s_copy() -> None:
    rows = failed_view([msg(1)])
    rows.begin_search()
    # The store loads day 10's messages and changes them while the worker is still reading:
    # one stopped matching, one changed but still matches.
    assert not rows.patch([change(None, msg(10, DELIVERED))])
    assert rows.patch([change(None, msg(11, text="resent"))])
    assert rows.add_found([msg(10), msg(11), msg(12)]) == 1  # only 12 is the search's
    assert ids(rows) == [1, 11, 12]
    assert rows.rows[1].text == "resent"


def test_a_found_row_changed_later_is_replaced_or_removed_never_doubled() -> None:
    rows = failed_view([msg(1)])
    rows.begin_search()
    rows.add_found([msg(10), msg(11)])
    rows.end_search()
    # Its partition was not loaded: the batch has no `before`, the row is still the search's.
    assert rows.patch([change(None, msg(10, text="again"))])
    assert ids(rows) == [1, 10, 11] and rows.rows[1].text == "again"
    assert rows.patch([change(None, msg(11, DELIVERED))])
    assert ids(rows) == [1, 10]


def test_again_refilters_the_loaded_and_keeps_found_rows_that_still_match() -> None:
    flt = parse_filter("since:30m", now=T0)
    rows = FilteredRows([msg(1), msg(2)], flt, now=T0)
    rows.begin_search()
    rows.add_found([msg(20), msg(29)])  # as the search found them 30 minutes back
    rows.end_search()
    later = rows.again([msg(0), msg(1), msg(2)], now=T0 + 600)  # ten minutes on
    assert ids(later) == [0, 1, 2, 20]  # 29 minutes old is 39 now: out
