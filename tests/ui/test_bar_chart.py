"""The block-character chart and the breakdown table's columns (pure functions, no app)."""

from __future__ import annotations

from decimal import Decimal

from smstui.breakdown import Group
from smstui.ui.breakdown_columns import columns, header, sorted_groups
from smstui.ui.widgets.bar_chart import chart_lines, nice_ceiling


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 7, 10, 11, 180, 4001)] == [
        1.0, 0.5, 1.0, 10.0, 10.0, 20.0, 200.0, 5000.0,
    ]  # fmt: skip


def test_chart_draws_bars_in_eighths_with_labelled_axes():
    lines = chart_lines(
        [100.0, 50.0, None, 0.0, 12.5],
        width=20,
        height=6,
        y_max=100.0,
        y_text=lambda v: f"{v:.0f}%",
        x_labels=["07:00", "07:05", "07:10", "07:15", "07:20"],
        mark_zero=True,
    )
    assert lines == [
        "100% ┤█",
        "     │█",
        " 50% ┤█ █",
        "     │█ █   ▁ ▄",
        "  0% ┼┬───────┬─────",  # labels that would collide are skipped
        "      07:00   07:20",
    ]


def test_chart_without_mark_zero_leaves_zero_empty():
    lines = chart_lines([0.0, 8.0], width=12, height=3, y_max=8.0, y_text=lambda v: f"{v:g}",
                        x_labels=["a", "b"])  # fmt: skip
    assert lines[0] == "8 ┤   ██"  # two buckets in 9 columns: 3 wide, a gap between


def g(name: str, total: int, delivered: int, failed: int) -> Group:
    return Group(name, total, delivered, failed, total - delivered - failed, Decimal(total),
                 Decimal(failed))  # fmt: skip


def test_sorting_keeps_rows_without_a_value_last_both_ways():
    rows = [g("a", 10, 5, 5), g("b", 4, 0, 0), g("c", 6, 6, 0)]
    pct = next(c for c in columns("operator") if c.key == "pct")
    totals = g("all", 20, 11, 5)
    assert [r.name for r in sorted_groups(rows, pct, totals, True)] == ["c", "a", "b"]
    assert [r.name for r in sorted_groups(rows, pct, totals, False)] == ["a", "c", "b"]
    assert header(pct, ("pct", True)) == "Deliv % ▼"
    assert header(pct, ("total", True)) == "Deliv %"
