"""The main view: balance, campaign strip, history under its filter bar, live feed, health line.

The screen composes the widgets and keeps the view (filter, failed-only, the rows through it).
Keys live on the widget that owns their subject (the history: detail, resend, look-up, copy;
the filter bar: `/`, escape; the feed: pause); the screen keeps the keys about the whole view.
It reacts to store changes itself (StoreChanged) and to action results the app hands it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header

from smstui.alert_relay import AlertRelay
from smstui.campaign import Campaign, View
from smstui.clock import Clock
from smstui.controller import Controller, HealthSnapshot
from smstui.display import group as group_digits
from smstui.display import plural
from smstui.errors import SmstuiError
from smstui.filtering import FAILURES, Filter, FilterError, parse_filter, view_query
from smstui.lineage import Lineage, lineage_mark
from smstui.model import AppliedChange, Key, Message
from smstui.queries import Query
from smstui.store_view import StoreView
from smstui.ui.actions import EXPORT_FORMATS, Actions
from smstui.ui.bandwidth import LiveGate, Pace
from smstui.ui.filtered_rows import FilteredRows
from smstui.ui.messages import (
    ActionDone,
    BalanceRefreshed,
    Exported,
    GoTo,
    GoToNewestFailure,
    LowBandwidthToggle,
    NumberLookupRequested,
    Resent,
    ShowFilter,
    StatusesRefreshed,
    StoreChanged,
)
from smstui.ui.screens.alert_log import AlertLogScreen
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.screens.health import HealthScreen
from smstui.ui.screens.lookup import LookupScreen
from smstui.ui.search import HistorySearch, first_of, partial_words
from smstui.ui.widgets.balance_pane import AccountBalance, BalancePane
from smstui.ui.widgets.campaign_strip import CampaignStrip
from smstui.ui.widgets.footer import KeyFooter
from smstui.ui.widgets.health_line import HealthLine
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.history_pane import FilterBar, HistoryPane
from smstui.ui.widgets.live_feed import LiveFeed
from smstui.whole_breakdown import Plan, prepare

SLOW_REFRESH_TICKS = 5  # ages and runways move slowly: recompute them every 5 s, not every 1 s
FAILURE_FILTER = "state:failure"  # shows a failure that is only on disk (its day not loaded)


class MainScreen(Screen[None]):
    """The dashboard. Reads the store; every user action goes through the app's actions."""

    BINDINGS = [
        Binding("s", "breakdown", "Breakdown", id="breakdown"),
        Binding("f", "failed_only", "Failed only", id="failed_only"),
        Binding("L", "requery_stuck", "Re-query stuck", id="requery_stuck"),
        Binding("b", "balance", "Balance", id="balance"),
        Binding("h", "health", "Health", id="health"),
        Binding("a", "alert_log", "Alerts", id="alert_log"),
        Binding("e", "export('csv')", "Export CSV", id="export"),
        Binding("E", "export('jsonl')", "Export JSONL", id="export_jsonl"),
        # The feed owns pause; the screen forwards it while another pane has focus.
        Binding("space", "pause", "Pause feed", id="pause"),
        Binding("m", "toggle_maximize", "Maximise", id="maximize"),
    ]

    def __init__(
        self,
        *,
        store: StoreView,
        controller: Controller,
        actions: Actions,
        alerts: AlertRelay,
        clock: Clock,
        accounts: Sequence[str] = (),
        low_balance: dict[str, float] | None = None,
        tz: tzinfo | None = None,
        export_dir: Path | None = None,
        log_file: Path | None = None,
        low_bandwidth: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self.controller = controller
        self.actions = actions
        self.alerts = alerts
        self.clock = clock
        self.tz = tz
        self.export_dir = export_dir
        self.log_file = log_file
        self.campaign = Campaign(store, self.accounts)  # the strip's figures, stuck messages
        self._accounts = tuple(accounts)
        self._low = dict(low_balance or {})
        self._filter: Filter | None = None
        self._filtered: FilteredRows | None = None  # None while no filter is active
        # The filter's whole history: loaded matches at once, the days on disk from a worker.
        self.search = HistorySearch(self.run_worker, self.set_interval, self._search_rows)
        self.filter_text = ""
        self.failed_only = False
        self.last_export: Path | None = None
        self._action_error = ""  # the last failed action, shown on the health line
        self._ticks = 0
        self._health: HealthSnapshot | None = None
        self._loading_older = False  # a worker is reading the next older day of the cache
        self.lineage = Lineage()  # which message was resent as which (from resend_of)
        self._lineage_size = -1  # the store's size when the lineage was last built
        # Store changes wait here while the feed is paused or batch up in low bandwidth.
        self.gate: LiveGate[AppliedChange] = LiveGate(clock, Pace(low_bandwidth))

    def compose(self) -> ComposeResult:
        """Header, the two summary panes, history beside the feed, the health line, the footer."""
        yield Header(show_clock=False, icon="✉")
        with Horizontal(id="top"):
            yield BalancePane(id="balance")
            yield CampaignStrip(id="campaign")
        with Horizontal(id="middle"):
            table = HistoryTable(
                clock=self.clock, tz=self.tz, annotate=self._lineage_note, id="history"
            )
            yield HistoryPane(table, id="history-box")
            yield LiveFeed(tz=self.tz, launched_at=self.clock.now(), phone_of=self._phone_of,
                           held=lambda: self.gate.waiting, id="feed")  # fmt: skip
        yield HealthLine(id="health")
        yield KeyFooter()

    def on_mount(self) -> None:
        """First paint from the store, then the app's 1 s tick reads cheap state."""
        self.feed.held_at_start = self.store.total()
        self.refresh_rows()
        self.refresh_panes()
        self.query_one(HealthLine).set_pace(self.gate.pace)
        self.query_one(HealthLine).action_error = self._action_error
        self.refresh_health()
        self.history.focus()

    # ----- the parts ------------------------------------------------------------------------
    @property
    def history(self) -> HistoryTable:
        """The history table."""
        return self.query_one(HistoryTable)

    @property
    def feed(self) -> LiveFeed:
        """The live feed."""
        return self.query_one(LiveFeed)

    @property
    def pane(self) -> HistoryPane:
        """The history with its filter bar."""
        return self.query_one(HistoryPane)

    def accounts(self) -> tuple[str, ...]:
        """Configured accounts, else the ones the poller reports, else the cache's."""
        if self._accounts:
            return self._accounts
        polled = tuple(a.account for a in (self._health.accounts if self._health else ()))
        return polled or tuple(self.store.accounts())

    # ----- keys about the whole view ----------------------------------------------------------
    def action_failed_only(self) -> None:
        """Toggle showing only failed messages."""
        self.failed_only = not self.failed_only
        self.refresh_rows()

    def action_pause(self) -> None:
        """Pause or resume the live feed (nothing is lost while paused)."""
        self.feed.action_pause()

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_health(self) -> None:
        """Every budget row, back-off, webhook counter and the cache's state, in words."""
        screen = HealthScreen(self.controller.health, self.store.health, self.clock.now,
                              log_file=self.log_file)  # fmt: skip
        self.app.push_screen(screen)

    def action_alert_log(self) -> None:
        """The alerts raised since launch and the thresholds in use."""
        self.app.push_screen(AlertLogScreen(self.alerts, self.clock.now))

    def action_breakdown(self) -> None:
        """Break the view's whole history down by operator, error, sender, account and hour
        (not only what is loaded); the screen asks again for the filter of each moment."""

        def plan() -> Plan:  # on the UI thread at every (re)compute
            return prepare(self.store, self.view_query(), tz=self.tz, label=self.view_words())

        self.app.push_screen(BreakdownScreen(plan, clock=self.clock, tz=self.tz,
                                             currency=self.campaign.currency()))  # fmt: skip

    def action_requery_stuck(self) -> None:
        """Ask again for the status of every stuck message in view (through the budget)."""
        stuck = self.campaign.find_stuck(self.view(), self.clock.now())
        if not stuck:
            self.notify("No stuck messages in view", title="Stuck messages", timeout=4)
            return
        self.actions.requery([m.key for m in stuck])

    def action_balance(self) -> None:
        """Fetch every account's balance now."""
        self.actions.balance(self.accounts())

    def action_export(self, fmt: str = "csv") -> None:
        """Export the whole history of the view (its filter, every day) to CSV or JSONL."""
        if fmt not in EXPORT_FORMATS:
            self.notify(f"Unknown export format {fmt!r}", severity="error")
            return
        if self._filtered is None:  # no filter: the view is the whole cache
            empty = not self.store.total()
        else:
            empty = not self.history.rows and self.search.complete
        if empty or self.export_dir is None:
            reason = "Nothing to export" if empty else "No cache directory configured"
            self.notify(reason, severity="warning")
            return
        stamp = datetime.fromtimestamp(self.clock.now(), self.tz).strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"export-{stamp}.{fmt}"
        # The query again, not the rows on screen: they may still be arriving, and the file
        # is written from the stream (days on disk read as it goes, off the event loop).
        self.actions.export(path, self.store.query(self.view_query()), fmt)

    # ----- the filter -------------------------------------------------------------------------
    def on_filter_bar_applied(self, event: FilterBar.Applied) -> None:
        """The bar's text: apply it, or keep the bar open with the reason."""
        event.stop()
        error = self.set_filter(event.text)
        bar = self.pane.bar
        if error:
            bar.show_error(error)
            return
        bar.accepted()
        self.history.focus()

    def set_filter(self, text: str) -> str | None:
        """Filter the history by `text` (field syntax or free text); returns an error or None."""
        text = text.strip()
        if not text:
            self._set_view(None, "")
            return None
        try:
            parsed = parse_filter(text, now=self.clock.now(), stuck=self.campaign.stuck_rule)
        except FilterError as err:  # the message names the bad term
            return str(err)
        self._set_view(parsed, str(parsed) or text)
        return None

    def _set_view(self, parsed: Filter | None, text: str) -> None:
        self._filter, self.filter_text = parsed, text
        self.pane.filter_text = text
        self.refresh_rows()

    # ----- requests from the palette ------------------------------------------------------------
    def on_show_filter(self, event: ShowFilter) -> None:
        """The palette's "show every message to …": that filter, over the whole cache."""
        event.stop()
        self.failed_only = False
        self.set_filter(event.text)
        self.history.focus()

    def on_number_lookup_requested(self, event: NumberLookupRequested) -> None:
        """Look up any number: the selected message's account is asked (else the first one)."""
        event.stop()
        accounts = self.accounts()
        if not accounts:
            self.notify("No account to ask", severity="warning")
            return
        selected = self.history.selected
        account = selected.account if selected is not None else accounts[0]
        if event.phone is not None:
            self.actions.lookup_number(account, event.phone)
            return

        def chosen(digits: str | None) -> None:
            if digits:
                self.actions.lookup_number(account, digits)

        self.app.push_screen(LookupScreen(account), chosen)

    def on_go_to(self, event: GoTo) -> None:
        """Select a message wherever it is (see `go_to`)."""
        event.stop()
        self.go_to(event.message, event.reveal)

    def on_go_to_newest_failure(self, event: GoToNewestFailure) -> None:
        """The view's newest failure, else the whole cache's (searched off the loop)."""
        event.stop()
        # The view's rows are its history's newest part, in order: its first failure is the
        # view's newest one. Only without one is the whole cache searched.
        failed = next((m for m in self.history.rows if m.state.is_failure), None)
        if failed is not None:
            self.go_to(failed, FAILURE_FILTER)
            return
        self.run_worker(self._newest_failure(), name="newest failure", group="palette",
                        exclusive=True, exit_on_error=False)  # fmt: skip

    async def _newest_failure(self) -> None:
        answer = self.store.query(Query(states=FAILURES))
        found = await asyncio.to_thread(first_of, answer, 1)
        if not found:
            lacks = partial_words(answer)
            self.notify("No failed message in the cache" + (f" ({lacks})" if lacks else ""),
                        timeout=5)  # fmt: skip
            return
        self.go_to(found[0], FAILURE_FILTER)

    def go_to(self, message: Message, reveal: str) -> None:
        """Select a message: in view; else loaded (the filter hiding it is cleared, a toast
        says so); else only on disk: the view becomes `reveal` (a filter that holds it) and
        the search selects it when it arrives."""
        history = self.history
        history.focus()
        if history.select_key(message.key):
            return
        if self.store.get(message.key) is not None:
            hidden_by = [f"filter {self.filter_text!r}"] if self.filter_text else []
            hidden_by += ["failed only"] if self.failed_only else []
            self.failed_only = False
            self.set_filter("")
            if history.select_key(message.key) and hidden_by:
                self.notify(f"Cleared {' and '.join(hidden_by)} to show message "
                            f"{message.message_id}", title="Filter cleared", timeout=6)  # fmt: skip
            return
        self.failed_only = False
        self.set_filter(reveal)
        if not history.select_key(message.key):
            self.search.select_when_found = message.key
        self.notify(
            f"Message {message.message_id} is only on disk: showing {reveal} to reach it",
            title="Go to", timeout=6,
        )  # fmt: skip

    # ----- results the app hands on ----------------------------------------------------------
    def on_action_done(self, event: ActionDone) -> None:
        """The health line shows the last failed action until the next success."""
        if event.error is not None:
            self.set_action_error(event.error)

    def on_resent(self, event: Resent) -> None:
        """Link the resend now, before the store's batch arrives (`R` right after)."""
        self.note_resent(event.original, event.new_id)

    def on_exported(self, event: Exported) -> None:
        """Remember the last export (the demo names it when it ends)."""
        self.last_export = event.path

    def on_balance_refreshed(self, _event: BalanceRefreshed) -> None:
        """A fresh balance sample: the pane redraws from the store."""
        self.refresh_panes()

    def on_statuses_refreshed(self, _event: StatusesRefreshed) -> None:
        """Stuck messages were re-asked: the strip's stuck count moves."""
        self.refresh_panes()

    def on_store_changed(self, event: StoreChanged) -> None:
        """The store applied batches: feed, table and summaries catch up when the gate says."""
        self.gate.put(event.changes)
        self.catch_up()

    def catch_up(self) -> None:
        """Show the changes the gate lets through now (not while paused; batched if slow)."""
        if self.is_mounted and self.gate.ready():
            self.apply_changes(self.gate.take())

    def on_live_feed_pause_changed(self, event: LiveFeed.PauseChanged) -> None:
        """Paused: the whole screen holds still; resumed: it catches up at once."""
        self.set_pace(Pace(self.gate.pace.low_bandwidth, event.paused))

    def set_low_bandwidth(self, on: bool) -> None:
        """Low-bandwidth mode: live batches every 2 s, a coarse health line that says so."""
        self.set_pace(Pace(on, self.gate.pace.paused))

    def on_low_bandwidth_toggle(self, event: LowBandwidthToggle) -> None:
        """Switch low-bandwidth mode (the palette's command; [ui] low_bandwidth starts it)."""
        event.stop()
        on = not self.gate.pace.low_bandwidth
        self.set_low_bandwidth(on)
        self.notify("Live news every 2 s" if on else "Live news at once",
                    title=f"Low bandwidth {'on' if on else 'off'}", timeout=3)  # fmt: skip

    def set_pace(self, pace: Pace) -> None:
        """Apply a redraw policy to the gate and the health line, then catch up if allowed."""
        self.gate.pace = pace
        self.query_one(HealthLine).set_pace(pace)
        self.catch_up()

    # ----- reading the store --------------------------------------------------------------
    def apply_changes(self, changes: Sequence[AppliedChange]) -> None:
        """One store batch (or several coalesced): feed, table and summaries catch up.

        With a filter active only the changed messages are tested (FilteredRows.patch); the
        whole history is filtered again only when the filter itself changes.
        """
        live = [c for c in changes if c.kind != "removed"]
        self.feed.add(live)  # a message that moved keys is no news: its new key is
        if self.lineage.add_all(c.after for c in live):
            self.history.forget_lines()  # an original's row gains its "resent →" marker
        self._lineage_size = len(self.store)  # these batches are indexed: no full rescan
        filtered = self._filtered
        if filtered is None:
            self.history.set_rows(self.store.messages_sorted())
        elif filtered.patch(changes, self.clock.now()):
            self.history.set_rows(filtered.rows)
        self._update_history_title()
        self.refresh_panes(full=False)

    def _phone_of(self, account: str, message_id: str) -> str:
        """The cached phone of a message (a Webcom push names only the id); '' when unknown."""
        found = self.store.find(account, message_id)
        return found[0].phone if found else ""

    @property
    def filtered_rows(self) -> FilteredRows | None:
        """The rows through the current filter; None while no filter is active."""
        return self._filtered

    def visible_rows(self) -> Sequence[Message]:
        """The store's newest-first rows through the current filter (the store's view if none)."""
        if self._filtered is None:
            return self.store.messages_sorted()
        return self._filtered.rows

    def _lineage_note(self, message: Message) -> str:
        """The history row's lineage marker: `↻→5123` (resent as), `↻←5120` (resend of) or ''."""
        if not message.resend_of and not self.lineage.was_resent(message.key):
            return ""
        return lineage_mark(message, self.lineage.resent_as(message.key))

    def note_resent(self, original: Message, new_id: str) -> None:
        """A resend went out: link it now, before the store's batch arrives (`R` right after)."""
        new = self.store.get((original.account, new_id, original.phone))
        changed = self.lineage.add(
            new or original.evolve(message_id=new_id, resend_of=original.message_id)
        )
        if changed and self.is_mounted:
            self.history.forget_lines()

    def refresh_rows(self) -> None:
        """Filter the store's rows afresh into the history, keeping the selected message."""
        if len(self.store) != self._lineage_size:  # first paint, or older days loaded
            self._lineage_size = len(self.store)
            self.lineage.add_all(self.store.messages_sorted())
        if self._filter or self.failed_only:
            now = self.clock.now()
            if self._filter is not None and self._filter.needs_now:  # state:stuck's thresholds
                self.campaign.refresh_usual(now)
            self._filtered = FilteredRows(
                self.store.messages_sorted(), self._filter, failed_only=self.failed_only, now=now
            )
            self.search.start(self.store, self._filtered, self.view_query())
        else:
            self.search.stop()
            self._filtered = None
        self.history.set_rows(self.visible_rows())
        self._update_history_title()
        if self.is_mounted:  # the campaign strip covers the view: its scope changed
            self.refresh_panes(full=False)

    def view_query(self) -> Query:
        """The whole-history query of the view (the filter as of now, failed-only)."""
        return view_query(self._filter, failed_only=self.failed_only, now=self.clock.now(),
                          accounts=self.store.accounts())  # fmt: skip

    def view_words(self) -> str:
        """The view's filter in words ('' for everything): the strip's and breakdown's scope."""
        words = [f"filter: {self.filter_text}"] if self.filter_text else []
        return " · ".join(words + (["failed only"] if self.failed_only else []))

    def view(self) -> View:
        """The view as the campaign figures read it: rows, the filter's test, its words."""
        filtered = self._filtered
        accepts = filtered.accepts if filtered is not None else None
        return View(self.visible_rows(), accepts, self.view_words(), filtered)

    def _search_rows(self, added: int, complete: bool) -> None:
        """The search merged `added` rows found on disk (and may be complete now)."""
        filtered = self._filtered
        if filtered is None:
            return
        if added:
            self.history.set_rows(filtered.rows)
        wanted: Key | None = self.search.select_when_found
        if wanted is not None and self.history.select_key(wanted):
            self.search.select_when_found = None
        self._update_history_title()
        if complete:  # the strip's figures cover the view: now the whole of it
            self.refresh_panes(full=False)

    def on_history_table_follow_changed(self, _event: HistoryTable.FollowChanged) -> None:
        """Follow mode switched or more rows arrived above: the title says so."""
        self._update_history_title()

    def on_history_table_near_end(self, _event: HistoryTable.NearEnd) -> None:
        """Scrolled near the last loaded row: read the next older day of the cache."""
        if self._filtered is not None:  # a filter's search reads older days itself
            return
        if self._loading_older or self.store.total() <= len(self.store):
            return
        self._loading_older = True
        self.run_worker(self._load_older(), group="older", exit_on_error=False)

    async def _load_older(self) -> None:
        try:
            added = await self.controller.load_older()
        except SmstuiError as err:  # an unreadable day must say so, not stop the screen
            self.set_action_error(f"loading older messages: {err}")
            return
        finally:
            self._loading_older = False
        if added and self._filtered is None:
            self.refresh_rows()

    def _update_history_title(self) -> None:
        table = self.history
        parts = [f"History · {plural(len(table.rows), 'row')}"]
        total = self.store.total()
        if self._filtered is not None:  # the filter searches every day, loaded or not
            parts.append(self.search.status())
        elif total > len(self.store):  # older days stay on disk until scrolled to
            parts.append(f"{group_digits(len(self.store))} of {group_digits(total)} loaded")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        if self.failed_only:
            parts.append("failed only")
        if table.rows and not table.following and table.new_above:
            parts.append(f"↑ {group_digits(table.new_above)} new (g: top)")
        table.border_title = " · ".join(parts)
        self.pane.set_class(bool(self.filter_text or self.failed_only), "-filtered")

    def refresh_panes(self, *, full: bool = True) -> None:
        """Recompute the balance pane and the campaign strip from the store.

        The strip's pending figures walk every non-final message (O(pending)), so live batches
        reuse the last walk and only the slow 5 s tick (or an explicit refresh) walks again.
        """
        now = self.clock.now()
        items = [
            AccountBalance.from_samples(a, self.store.balances(a), now, self._low.get(a))
            for a in self.accounts()
        ]
        self.query_one(BalancePane).show(items)
        self.query_one(CampaignStrip).show(self.campaign.figures(self.view(), now, full=full))

    def retest_rows(self) -> None:
        """The clock moved (since:, state:stuck): filter the loaded messages again and re-test
        the rows found on disk; the days on disk are not read again."""
        filtered = self._filtered
        if filtered is None or self.search.searching:
            return
        now = self.clock.now()
        if self._filter is not None and self._filter.needs_now:
            self.campaign.refresh_usual(now)
        self._filtered = filtered.again(self.store.messages_sorted(), now)
        if self.search.run is not None:
            self.search.run.rows = self._filtered
        self.history.set_rows(self._filtered.rows)
        self._update_history_title()
        self.refresh_panes(full=False)

    def refresh_health(self) -> HealthSnapshot:
        """Read the controller's cheap health snapshot into the health line; return it."""
        self._health = snap = self.controller.health()
        line = self.query_one(HealthLine)
        if not snap.writer:
            line.writer_pid = snap.writer_pid or "?"
        line.show(snap, self.clock.now())
        return snap

    def tick(self) -> HealthSnapshot:
        """The app's 1 s tick: health every time, slow figures every 5th; returns the health."""
        self._ticks += 1
        self.catch_up()  # a low-bandwidth batch whose time has come
        health = self.refresh_health()
        if self._ticks % SLOW_REFRESH_TICKS == 0:
            self.feed.refresh_summary()  # paused: its "N new" moves with the slow figures
            self.refresh_panes()
            if self._filter is not None and self._filter.needs_now:
                self.retest_rows()  # since:10m slides with the clock
        return health

    def set_action_error(self, text: str) -> None:
        """Show the last failed action in the health line until the next success."""
        self._action_error = text  # a service may fail before the screen is mounted
        if not self.is_mounted:
            return
        line = self.query_one(HealthLine)
        line.action_error = text
        if self._health is not None:
            line.show(self._health, self.clock.now())
