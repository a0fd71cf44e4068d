"""The breakdown tables' columns, their sorting and the totals text (no Textual, easy to test)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from smstui.breakdown import Breakdown, Group
from smstui.display import group as digits
from smstui.display import money, short_duration

Sortable = float | str | Decimal


@dataclass(frozen=True, slots=True)
class Column:
    """One table column: its header, the cell text and the value it sorts by."""

    key: str
    label: str
    text: Callable[[Group, Group], str]  # (row, totals) → cell
    sort: Callable[[Group, Group], Sortable | None]  # None sorts last either way
    numeric: bool = True  # numbers sort biggest first on the first press


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _secs(value: float | None) -> str:
    return "—" if value is None else short_duration(value)


def _money(amount: Decimal) -> str:
    return money(amount)


NAME_LABEL = {"operator": "Operator", "error": "Error", "sender": "Sender",
              "account": "Account"}  # fmt: skip
TAB_LABEL = {"operator": "Operator", "error": "Error", "sender": "Sender",
             "account": "Account", "hour": "Hour"}  # fmt: skip


def _name(dimension: str, time_unit: str) -> Column:
    # Send times sort by time, not alphabetically ("(no time)" last).
    if dimension == "hour":
        return Column("name", f"Send {time_unit}", lambda g, t: g.name,
                      lambda g, t: g.order, numeric=False)  # fmt: skip
    return Column("name", NAME_LABEL[dimension], lambda g, t: g.name,
                  lambda g, t: g.name.casefold(), numeric=False)  # fmt: skip


COMMON = (
    Column("total", "Msgs", lambda g, t: digits(g.total), lambda g, t: g.total),
    Column("pct", "Deliv %", lambda g, t: _pct(g.delivery_pct), lambda g, t: g.delivery_pct),
    Column("failed", "Failed", lambda g, t: digits(g.failed), lambda g, t: g.failed),
    Column("pending", "Pending", lambda g, t: digits(g.pending), lambda g, t: g.pending),
    Column("spent", "Spent", lambda g, t: _money(g.spent), lambda g, t: g.spent),
    Column("spent_failed", "On fails", lambda g, t: _money(g.spent_on_failures),
           lambda g, t: g.spent_on_failures),
    Column("p50", "p50", lambda g, t: _secs(g.p50_s), lambda g, t: g.p50_s),
    Column("p95", "p95", lambda g, t: _secs(g.p95_s), lambda g, t: g.p95_s),
    Column("delivered", "Delivered", lambda g, t: digits(g.delivered), lambda g, t: g.delivered),
)  # fmt: skip


def _share(g: Group, totals: Group) -> float | None:
    return 100.0 * g.total / totals.failed if totals.failed else None


ERROR = (
    Column("class", "Class", lambda g, t: g.error_class.value if g.error_class else "",
           lambda g, t: g.error_class.value if g.error_class else "", numeric=False),
    Column("total", "Msgs", lambda g, t: digits(g.total), lambda g, t: g.total),
    Column("share", "% of fails", lambda g, t: _pct(_share(g, t)), _share),
    Column("spent", "Spent", lambda g, t: _money(g.spent), lambda g, t: g.spent),
)  # fmt: skip


def columns(dimension: str, time_unit: str = "hour") -> tuple[Column, ...]:
    """The columns of one dimension's table, the group's name first (send times: by
    `time_unit`, "hour" or "day")."""
    return (_name(dimension, time_unit), *(ERROR if dimension == "error" else COMMON))


def default_sort(dimension: str) -> tuple[str, bool]:
    """(column key, descending) a table opens with: send times in time order, else biggest
    first."""
    return ("name", False) if dimension == "hour" else ("total", True)


def sorted_groups(
    groups: Sequence[Group], column: Column, totals: Group, descending: bool
) -> list[Group]:
    """Rows ordered by one column; rows without a value stay last in both directions."""
    known = [g for g in groups if column.sort(g, totals) is not None]
    unknown = [g for g in groups if column.sort(g, totals) is None]
    known.sort(key=lambda g: column.sort(g, totals), reverse=descending)  # type: ignore[arg-type,return-value]
    return known + unknown


def header(column: Column, sort: tuple[str, bool]) -> str:
    """The column's header, with ▼/▲ on the column the table is sorted by."""
    key, descending = sort
    if column.key != key:
        return column.label
    return f"{column.label} {'▼' if descending else '▲'}"


def totals_text(b: Breakdown, currency: str = "") -> str:
    """Three lines: counts and delivery %, delivery times, money (each fits 80 columns)."""
    t = b.totals
    counts = (
        f"[b]{digits(t.total)}[/b] messages · delivered [b]{_pct(t.delivery_pct)}[/b] of "
        f"{digits(t.final)} final · {digits(t.failed)} failed · {digits(t.pending)} pending"
    )
    if t.p50_s is None:
        times = "time to delivery: — (nothing delivered)"
    else:
        times = f"time to delivery: p50 [b]{_secs(t.p50_s)}[/b] · p95 [b]{_secs(t.p95_s)}[/b]"
    share = f" ({100 * t.spent_on_failures / t.spent:.1f}%)" if t.spent else ""
    spent = [f"spent [b]{money(t.spent, currency)}[/b]"]
    spent.append(f"on failures [b]{money(t.spent_on_failures, currency)}[/b]{share}")
    if b.unknown_cost:
        spent.append(f"{digits(b.unknown_cost)} without a known price")
    return "\n".join((counts, times, " · ".join(spent)))
