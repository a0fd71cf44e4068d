"""The `s` screen: the current filter's whole history broken down by operator, error, sender,
account and hour, with totals, delivery times and two charts over send time.

The numbers come from smstui.whole_breakdown: planned on the UI thread (a snapshot of the
store), computed in a worker thread (stored rollups merged, or the cache streamed for a
filter); this screen only shows them, names their scope and says when they are partial.
It computes again every REFRESH_S (longer when a computation takes long, so that a filter
streamed from disk is not read back to back), keeping the tab, the sort and the selected
row; the header says as of when, and a refresh that fails leaves the figures marked stale.
Sorting: click a header, or `s` (next column) and `S` (reverse).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import tzinfo

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from smstui.breakdown import DIMENSIONS, Breakdown
from smstui.clock import Clock
from smstui.display import clock as clock_text
from smstui.display import group as digits
from smstui.display import plural, short_duration, zone_name
from smstui.errors import SmstuiError
from smstui.ui.breakdown_columns import (
    TAB_LABEL,
    Column,
    columns,
    default_sort,
    header,
    sorted_groups,
    totals_text,
)
from smstui.ui.widgets.bar_chart import BarChart, ChartSpec
from smstui.whole_breakdown import Plan

Source = Callable[[], Plan]  # the current filter's breakdown, planned on the UI thread
PROGRESS_S = 0.5  # how often a streaming computation's progress is shown
REFRESH_S = 10  # computed again this often (at least)
REFRESH_COST = 3  # ...and at most a third of the time spent computing


def _justify(column: Column) -> JustifyMethod:
    """Numbers right-aligned so their digits line up; names left."""
    return "right" if column.numeric else "left"


def _per(bucket_s: int) -> str:
    return short_duration(bucket_s).replace("1 min", "minute").replace("1 h", "hour")


def _chart_specs(tz: tzinfo | None) -> tuple[ChartSpec, ChartSpec]:
    zone = zone_name(tz)

    def tick(start: float, bucket_s: int) -> str:
        return clock_text(start, start if bucket_s < 86400 else None, tz) if bucket_s < 86400 \
            else clock_text(start, 0, tz).split()[0]  # fmt: skip

    def day(start: float, bucket_s: int) -> str:  # day buckets' ticks are days already
        return clock_text(start, 0, tz).split()[0] if bucket_s < 86400 else ""

    rate = ChartSpec(
        title=lambda b: f"Delivered % per {_per(b)}",
        value=lambda b: b.delivery_pct,
        y_text=lambda v: f"{v:.0f}%",
        x_text=tick,
        x_title=f"send time ({zone})",
        y_max=100.0,
        mark_zero=True,
        x_day=day,
    )
    sent = ChartSpec(
        title=lambda b: f"Messages sent per {_per(b)}",
        value=lambda b: float(b.sent) if b.sent else None,
        y_text=lambda v: digits(v) if v >= 10 or v == int(v) else f"{v:g}",
        x_text=tick,
        x_title=f"send time ({zone})",
        x_day=day,
    )
    return rate, sent


class BreakdownScreen(Screen[None]):
    """Counts, delivery %, money and delivery times per group, plus two charts."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("s", "sort_next", "Sort by next column"),
        Binding("S", "sort_reverse", "Reverse sort"),
        Binding("r", "recompute", "Recompute"),
        *(
            Binding(str(i), f"show('{d}')", TAB_LABEL[d], show=False)
            for i, d in enumerate(DIMENSIONS, 1)
        ),
    ]

    def __init__(
        self,
        source: Source,
        *,
        clock: Clock,
        tz: tzinfo | None,
        currency: str = "",
    ) -> None:
        super().__init__(classes="breakdown-screen")
        self._source = source
        self.clock = clock
        self.tz = tz
        self.currency = currency
        self.scope = ""  # what the result covers: "whole cache · 1 200 messages", the filter's
        self.partial = ""  # '' when the result is whole; else what it lacks
        self.result: Breakdown | None = None  # the last computed breakdown (tests read it)
        self.stale = ""  # '' while the figures are current; else why the last refresh failed
        self.refresh_s = REFRESH_S  # the current refresh cadence
        self._plan: Plan | None = None
        self._stamp = ""  # "as of 04:40:00 UTC" of the computation running or shown
        self._shown_stamp = ""  # ... of the figures shown
        self._started = 0.0  # monotonic start of the computation running
        self._ticker: Timer | None = None
        self._next: Timer | None = None  # the next refresh
        self._worker: Worker[tuple[Breakdown, str, str]] | None = None  # the one computing
        self.dimension = DIMENSIONS[0]
        self.sort: dict[str, tuple[str, bool]] = {d: default_sort(d) for d in DIMENSIONS}
        self._columns: tuple[Column, ...] = ()
        self._rate_spec, self._sent_spec = _chart_specs(tz)

    def compose(self) -> ComposeResult:
        """Scope, totals, tabs and freshness, the table, the two charts."""
        yield Header(show_clock=False, icon="✉")
        yield Static("", id="bd-totals")
        with Horizontal(id="bd-bar"):
            yield Tabs(*(Tab(TAB_LABEL[d], id=f"bd-{d}") for d in DIMENSIONS), id="bd-tabs")
            yield Static("", id="bd-fresh")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="bd-table")
        with Horizontal(id="bd-charts"):
            yield BarChart(self._rate_spec, id="bd-rate")
            yield BarChart(self._sent_spec, id="bd-sent")
        yield Footer()

    def on_mount(self) -> None:
        """Compute for the rows in view now."""
        self.query_one(DataTable).focus()
        self.action_recompute()

    # ----- computing ------------------------------------------------------------------------
    def action_recompute(self) -> None:
        """`r`: plan the current filter's breakdown now and compute it in a thread."""
        if self._worker is not None:  # one at a time: it is the newest plan already
            return
        if self._next is not None:
            self._next.stop()
            self._next = None
        self._compute()

    def refresh_figures(self) -> None:
        """The refresh timer: compute again unless a computation is still running."""
        self._next = None
        if self._worker is None and self.is_attached:
            self._compute()

    def _compute(self) -> None:
        """Plan (a store snapshot, on the UI thread) and compute in a worker thread."""
        try:
            plan = self._plan = self._source()
        except SmstuiError as err:  # the store could not be asked (a broken cache): say so
            self._failed(str(err))
            return
        if self.result is None:
            self.scope = plan.label
        moment = clock_text(self.clock.now(), tz=self.tz, sec=True)
        self._stamp = f"as of {moment} {zone_name(self.tz)}"
        self.title = "Breakdown"
        if self.result is None:
            self.sub_title = f"{plan.label} · {self._stamp}"
        self._started = time.monotonic()
        self._show_progress()
        if self._ticker is None:
            self._ticker = self.set_interval(PROGRESS_S, self._show_progress)
        else:
            self._ticker.resume()
        self._worker = self.run_worker(plan.run, thread=True, group="breakdown",
                                       exclusive=True, exit_on_error=False)  # fmt: skip

    def _show_progress(self) -> None:
        plan = self._plan
        if plan is None or self._worker is None:  # nothing computing
            return
        done = plan.progress()
        if self.result is None:  # the first computation: nothing to show yet
            self.query_one("#bd-totals", Static).update(
                f"Computing the breakdown of the {plan.label}…" + (f" {done}" if done else "")
            )
        self._show_freshness(f"refreshing… {done}" if done else "refreshing…")

    def _show_freshness(self, doing: str = "") -> None:
        """Beside the tabs: how the figures keep fresh, or that they are stale."""
        if self.stale:
            text = f"[b $warning]STALE[/] {self._shown_stamp} · refresh failed · retrying"
        else:
            text = doing or f"refreshes every {self.refresh_s} s"
        self.query_one("#bd-fresh", Static).update(text)

    def _schedule(self) -> None:
        """The next refresh: REFRESH_S, or more when computing takes long."""
        took = time.monotonic() - self._started
        self.refresh_s = max(REFRESH_S, 5 * math.ceil(REFRESH_COST * took / 5))
        if self._next is not None:
            self._next.stop()
        self._next = self.set_timer(self.refresh_s, self.refresh_figures)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Show the result, or say why there is none."""
        if event.worker is not self._worker or event.state not in (
            WorkerState.SUCCESS, WorkerState.ERROR
        ):  # fmt: skip
            return  # an earlier computation's, or still running
        self._worker = None
        if self._ticker is not None:
            self._ticker.pause()
        if event.state == WorkerState.SUCCESS and event.worker.result is not None:
            result, self.scope, self.partial = event.worker.result
            self.stale, self._shown_stamp = "", self._stamp
            lacks = f" · PARTIAL: {self.partial}" if self.partial else ""
            self.sub_title = f"{self.scope} · {self._stamp}{lacks}"
            self.show(result)
            self._schedule()
            self._show_freshness()
        else:
            self._failed(str(event.worker.error))

    def _failed(self, why: str) -> None:
        """A computation failed: with figures shown they turn stale, else say why there are
        none. Either way it is tried again at the cadence."""
        if self.result is None:
            self.query_one("#bd-totals", Static).update(f"[b $error]The breakdown failed:[/] {why}")
        elif not self.stale:  # said once, not at every retry
            self.notify(f"The breakdown could not be refreshed: {why}", title="Breakdown",
                        severity="warning", timeout=8)  # fmt: skip
        self.stale = why or "unknown error"
        if self._ticker is not None:
            self._ticker.pause()
        self._schedule()
        self._show_freshness()

    def show(self, result: Breakdown) -> None:
        """Fill totals, table and charts from a computed breakdown."""
        self.result = result
        text = totals_text(result, self.currency)
        totals = self.query_one("#bd-totals", Static)
        if self.partial:
            text += f"\n[b $warning]Partial:[/] {self.partial}"
        totals.styles.height = 4 if self.partial else None  # a fourth line (None: the CSS's)
        totals.update(text)
        self._fill_table()
        self.query_one("#bd-rate", BarChart).show(result.series)
        self.query_one("#bd-sent", BarChart).show(result.series)

    # ----- the table ------------------------------------------------------------------------
    def _fill_table(self) -> None:
        """(Re)fill the table for the current tab and sort, keeping the selected row and the
        scroll position when that row is still there."""
        table = self.query_one(DataTable)
        result = self.result
        selected = None
        if table.row_count and self._columns:
            selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        scroll_y = table.scroll_y
        table.clear(columns=True)
        if result is None:
            return
        unit = result.time_unit if self.dimension == "hour" else "hour"
        self._columns = columns(self.dimension, unit)
        sort = self.sort[self.dimension]
        for col in self._columns:
            table.add_column(Text(header(col, sort), justify=_justify(col)), key=col.key)
        by_key = {c.key: c for c in self._columns}
        groups = sorted_groups(
            result.groups.get(self.dimension, ()), by_key[sort[0]], result.totals, sort[1]
        )
        for g in groups:
            cells = [Text(c.text(g, result.totals), justify=_justify(c)) for c in self._columns]
            table.add_row(*cells, key=g.name)
        direction = "▼ descending" if sort[1] else "▲ ascending"
        name = unit if self.dimension == "hour" else TAB_LABEL[self.dimension].lower()
        table.border_title = f"By {name} · {plural(len(groups), 'row')}"
        table.border_subtitle = (
            f"sorted by {by_key[sort[0]].label} {direction} · s: next column · S: reverse"
        )
        names = [g.name for g in groups]
        if selected in names:
            table.scroll_to(y=scroll_y, animate=False, immediate=True)
            table.move_cursor(row=names.index(selected), animate=False)

    def _switch_tab_table(self) -> None:
        """A new tab: its table from the top."""
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self._columns = ()
        self._fill_table()

    def _sort_by(self, key: str, *, toggle: bool) -> None:
        current, descending = self.sort[self.dimension]
        column = next(c for c in self._columns if c.key == key)
        if key == current and toggle:
            self.sort[self.dimension] = (key, not descending)
        else:
            self.sort[self.dimension] = (key, column.numeric)  # numbers: biggest first
        self._fill_table()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it; a second click reverses."""
        event.stop()
        if event.column_key.value:
            self._sort_by(event.column_key.value, toggle=True)

    def action_sort_next(self) -> None:
        """Sort by the next column (wrapping around)."""
        if not self._columns:
            return
        keys = [c.key for c in self._columns]
        current = self.sort[self.dimension][0]
        self._sort_by(keys[(keys.index(current) + 1) % len(keys)], toggle=False)

    def action_sort_reverse(self) -> None:
        """Reverse the current sort."""
        if self._columns:
            self._sort_by(self.sort[self.dimension][0], toggle=True)

    # ----- tabs -------------------------------------------------------------------------------
    def action_show(self, dimension: str) -> None:
        """Switch to one dimension's table (keys 1–5)."""
        self.query_one(Tabs).active = f"bd-{dimension}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """Show the chosen dimension."""
        event.stop()
        if event.tab is None or event.tab.id is None:
            return
        self.dimension = event.tab.id.removeprefix("bd-")
        self._switch_tab_table()

    def action_close(self) -> None:
        """Back to the main view."""
        self.dismiss(None)
