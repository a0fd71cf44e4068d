"""The main view: balance, campaign strip, virtual history, live feed and the health line."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from smstui.clock import Clock
from smstui.controller import Controller, HealthSnapshot
from smstui.display import group as group_digits
from smstui.errors import SmstuiError
from smstui.filtering import Filter
from smstui.lineage import Lineage, lineage_mark
from smstui.model import Message
from smstui.secrets import Secret
from smstui.store import AppliedChange, Store
from smstui.store.query import Query
from smstui.ui.filtered_rows import FilteredRows
from smstui.ui.screens.alert_log import AlertLogScreen
from smstui.ui.screens.health import HealthScreen
from smstui.ui.screens.main_actions import MainActions
from smstui.ui.screens.main_campaign import CampaignView
from smstui.ui.search import HistorySearch, view_query
from smstui.ui.widgets.balance_pane import AccountBalance, BalancePane
from smstui.ui.widgets.campaign_strip import CampaignStrip
from smstui.ui.widgets.health_line import HealthLine
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed

SLOW_REFRESH_TICKS = 5  # ages and runways move slowly: recompute them every 5 s, not every 1 s


class MainScreen(Screen[None]):
    """The dashboard. Reads the store; every user action goes through the controller."""

    BINDINGS = [
        Binding("enter", "detail", "Detail", id="detail"),
        Binding("r", "resend", "Resend", id="resend"),
        Binding("R", "bulk_resend", "Resend temp. fails", id="bulk_resend"),
        Binding("l", "lookup", "Look up", id="lookup"),
        Binding("L", "requery_stuck", "Re-query stuck", id="requery_stuck"),
        Binding("s", "breakdown", "Breakdown", id="breakdown"),
        Binding("b", "balance", "Balance", id="balance"),
        Binding("h", "health", "Health", id="health"),
        Binding("a", "alert_log", "Alerts", id="alert_log"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("f", "failed_only", "Failed only", id="failed_only"),
        Binding("e", "export('csv')", "Export CSV", id="export"),
        Binding("E", "export('jsonl')", "Export JSONL", id="export_jsonl"),
        Binding("c", "copy_id", "Copy id", id="copy_id"),
        Binding("C", "copy_phone", "Copy phone", id="copy_phone"),
        Binding("space", "pause", "Pause feed", id="pause"),
        Binding("m", "toggle_maximize", "Maximise", id="maximize"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
    ]

    def __init__(
        self,
        *,
        store: Store,
        controller: Controller,
        clock: Clock,
        accounts: Sequence[str] = (),
        low_balance: dict[str, float] | None = None,
        tz: tzinfo | None = None,
        export_dir: Path | None = None,
        secrets: Sequence[Secret | str] = (),
    ) -> None:
        super().__init__()
        self.actions = MainActions(self)
        self.campaign = CampaignView(self)  # strip figures, stuck messages, `s` and `L`
        self.store = store
        self.controller = controller
        self.clock = clock
        self.tz = tz
        self.export_dir = export_dir
        self.secrets = tuple(secrets)
        self._accounts = tuple(accounts)
        self._low = dict(low_balance or {})
        self._filter: Filter | None = None
        self._filtered: FilteredRows | None = None  # None while no filter is active
        # The filter's whole history: loaded matches at once, the days on disk from a worker.
        self.search = HistorySearch(self.run_worker, self.set_interval, self._search_rows)
        self.filter_text = ""
        self.failed_only = False
        self._ticks = 0
        self._health: HealthSnapshot | None = None
        self._loading_older = False  # a worker is reading the next older day of the cache
        self.lineage = Lineage()  # which message was resent as which (from resend_of)
        self._lineage_size = -1  # the store's size when the lineage was last built

    def compose(self) -> ComposeResult:
        """Header, the two summary panes, history beside the feed, the health line, the footer."""
        yield Header(show_clock=False, icon="✉")
        with Horizontal(id="top"):
            yield BalancePane(id="balance")
            yield CampaignStrip(id="campaign")
        with Horizontal(id="middle"):
            with Vertical(id="history-box"):
                yield Input(
                    placeholder="filter: state:failed op:mts err:6 phone:7916* text",
                    id="filter",
                    classes="-hidden",
                )
                yield HistoryTable(
                    clock=self.clock, tz=self.tz, annotate=self._lineage_note, id="history"
                )
            yield LiveFeed(
                tz=self.tz, launched_at=self.clock.now(), phone_of=self._phone_of, id="feed"
            )
        yield HealthLine(id="health")
        yield Footer()

    def on_mount(self) -> None:
        """First paint from the store, then a 1 s timer that only reads cheap state."""
        self.query_one("#filter", Input).cursor_blink = False
        self.feed.held_at_start = self.store.total()
        self.refresh_rows()
        self.refresh_panes()
        self.refresh_health()
        self.query_one(HistoryTable).focus()
        # The first tick (health + alerts) right after the first paint, not a second later:
        # a low balance or a dead gateway is announced at once (and snapshots are stable).
        self.call_after_refresh(self.actions.app.tick)

    # ----- keys: each runs in the typed helper ---------------------------------------------
    def action_filter(self) -> None:
        """Open the filter input (`/`)."""
        self.actions.open_filter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the typed filter (or show why it cannot be)."""
        self.actions.submit_filter(event)

    def action_clear_filter(self) -> None:
        """Close the filter input and drop the filter."""
        self.actions.clear_filter()

    def action_failed_only(self) -> None:
        """Toggle showing only failed messages."""
        self.actions.toggle_failed_only()

    def action_pause(self) -> None:
        """Pause or resume the live feed."""
        self.actions.toggle_pause()

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        self.actions.toggle_maximize()

    def action_copy_id(self) -> None:
        """Copy the selected message id."""
        self.actions.copy_id()

    def action_copy_phone(self) -> None:
        """Copy the selected phone number."""
        self.actions.copy_phone()

    def on_screen_resume(self) -> None:
        """Back from a detail view: nothing is being looked at closely any more."""
        self.actions.look_at([])

    def action_detail(self) -> None:
        """Open the selected message's detail view."""
        self.actions.detail()

    def action_resend(self) -> None:
        """Resend the selected message (after the confirmation modal)."""
        self.actions.resend_selected()

    def action_bulk_resend(self) -> None:
        """Resend the failures in view the policy allows (after one confirmation)."""
        self.actions.bulk_resend()

    def action_lookup(self) -> None:
        """Look up the selected message's status and number now."""
        self.actions.lookup_selected()

    def action_health(self) -> None:
        """Every budget row, back-off, webhook counter and the cache's state, in words."""
        screen = HealthScreen(self.controller.health, self.store.health, self.clock.now)
        self.app.push_screen(screen)

    def action_alert_log(self) -> None:
        """The alerts raised since launch and the thresholds in use."""
        relay = getattr(self.app, "alerts", None)
        if relay is not None:
            self.app.push_screen(AlertLogScreen(relay, self.clock.now))

    def action_breakdown(self) -> None:
        """Break the rows in view down by operator, error, sender, account and hour."""
        self.campaign.open_breakdown()

    def action_requery_stuck(self) -> None:
        """Ask again for the status of every stuck message in view (through the budget)."""
        self.campaign.requery_stuck()

    def action_balance(self) -> None:
        """Fetch every account's balance now."""
        self.actions.balance()

    def action_export(self, fmt: str = "csv") -> None:
        """Export the messages in view to CSV or JSONL."""
        self.actions.export(fmt)

    def set_filter(self, text: str) -> str | None:
        """Filter the history by `text`; returns the error, or None when applied."""
        return self.actions.set_filter(text)

    def set_filter_state(self, parsed: Filter | None, text: str) -> None:
        """Show the history through `parsed` (None: no filter), labelled `text`."""
        self._filter, self.filter_text = parsed, text
        self.refresh_rows()

    # ----- reading the store --------------------------------------------------------------
    @property
    def history(self) -> HistoryTable:
        """The history table."""
        return self.query_one(HistoryTable)

    @property
    def feed(self) -> LiveFeed:
        """The live feed."""
        return self.query_one(LiveFeed)

    def accounts(self) -> tuple[str, ...]:
        """Configured accounts, else the ones the poller reports."""
        if self._accounts:
            return self._accounts
        polled = tuple(a.account for a in (self._health.accounts if self._health else ()))
        return polled or tuple(getattr(self.store, "accounts", tuple)())

    def apply_changes(self, changes: Sequence[object]) -> None:
        """One store batch (or several coalesced): feed, table and summaries catch up.

        With a filter active only the changed messages are tested (FilteredRows.patch); the
        whole history is filtered again only when the filter itself changes.
        """
        moved = [c for c in changes if getattr(c, "kind", "") == "removed"]
        live = [c for c in changes if getattr(c, "kind", "") != "removed"] if moved else changes
        self.feed.add(live)  # a message that moved keys is no news: its new key is
        if self.lineage.add_all(c.after for c in live if isinstance(c, AppliedChange)):
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
            query = view_query(self._filter, failed_only=self.failed_only, now=now,
                               store=self.store)  # fmt: skip
            self.search.start(self.store, self._filtered, query)
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
                          store=self.store)  # fmt: skip

    def _search_rows(self, added: int, complete: bool) -> None:
        """The search merged `added` rows found on disk (and may be complete now)."""
        filtered = self._filtered
        if filtered is None:
            return
        if added:
            self.history.set_rows(filtered.rows)
        wanted = self.search.select_when_found
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
        if self._loading_older or not self.store.unloaded_partitions():
            return
        self._loading_older = True
        self.app.run_worker(self._load_older(), group="older", exit_on_error=False)

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
        parts = [f"History · {group_digits(len(table.rows))} rows"]
        total = self.store.total()
        if self._filtered is not None:  # the filter searches every day, loaded or not
            parts.append(self.search.status())
        elif total > len(self.store):  # older days stay on disk until scrolled to
            parts.append(f"{group_digits(len(self.store))} of {group_digits(total)} loaded")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        if self.failed_only:
            parts.append("failed only")
        if not table.following and table.new_above:
            parts.append(f"↑ {group_digits(table.new_above)} new (g: top)")
        table.border_title = " · ".join(parts)
        self.query_one("#history-box").set_class(
            bool(self.filter_text or self.failed_only), "-filtered"
        )

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
        self.query_one(CampaignStrip).show(self.campaign.figures(now, full=full))

    def retest_rows(self) -> None:
        """The clock moved (since:, state:stuck): filter the loaded messages again and re-test
        the rows found on disk; the days on disk are not read again."""
        filtered = self._filtered
        if filtered is None or self.search.searching:
            return
        now = self.clock.now()
        if self._filter is not None and self._filter.needs_now:
            self.campaign.refresh_usual(now)
        loaded = self.store.messages_sorted()
        self._filtered = filtered.again(loaded, now)
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
        health = self.refresh_health()
        if self._ticks % SLOW_REFRESH_TICKS == 0:
            self.refresh_panes()
            if self._filter is not None and self._filter.needs_now:
                self.retest_rows()  # since:10m slides with the clock
        return health

    def set_action_error(self, text: str) -> None:
        """Show the last failed action in the health line until the next success."""
        line = self.query_one(HealthLine)
        line.action_error = text
        if self._health is not None:
            line.show(self._health, self.clock.now())
