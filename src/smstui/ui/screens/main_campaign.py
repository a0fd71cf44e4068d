"""The main view's campaign side: the strip's scoped figures, stuck messages, `s` and `L`.

A helper object the main screen owns (like MainActions): it reads the store and the screen's
current view, keeps the stuck rule's thresholds fresh, opens the breakdown and re-asks the
stuck messages' statuses through the controller's budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from smstui.display import group
from smstui.model import Message
from smstui.stuck import StuckRule, usual_delivery
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.widgets.campaign_strip import ALL_CACHED, SPARK_MINUTES, CampaignFigures
from smstui.ui.widgets.stats import sends_per_minute, sent_rate_per_minute
from smstui.whole_breakdown import Plan, prepare, query_of_view

if TYPE_CHECKING:
    from smstui.controller import StatusRefresh
    from smstui.ui.app import SmstuiApp
    from smstui.ui.screens.main import MainScreen

_STALE = object()  # no view taken since the last walk of the pending messages
USUAL_REFRESH_S = 60.0  # operators' delivery times move slowly; re-measuring costs ~20 ms


class CampaignView:
    """What the campaign strip shows for the current view, and the keys built on it."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.stuck_rule = StuckRule()  # filters hold this object: refreshed thresholds apply
        self._usual_at: float | None = None
        self._pending: list[Message] = []  # every pending message, as of the last full refresh
        self._stuck: list[Message] = []  # the stuck ones among them
        self._scope: object = _STALE  # the view (FilteredRows or None) the figures below are of
        self._oldest_sent: float | None = None  # the oldest pending message in view: sent at
        self._stuck_in_view = 0

    @property
    def app(self) -> SmstuiApp:
        """The dashboard app."""
        return cast("SmstuiApp", self.screen.app)

    def scope(self) -> str:
        """What the view covers, in words: the filter (and failed-only), else all cached; and
        how much of the cache is loaded when older days still wait on disk."""
        parts = []
        if self.screen.filter_text:
            parts.append(f"filter: {self.screen.filter_text}")
        if self.screen.failed_only:
            parts.append("failed only")
        store = self.screen.store
        loaded, total = len(store), store.total()
        if total > loaded:  # older days load as the history scrolls: the figures skip them
            parts.append(f"{group(loaded)} of {group(total)} loaded")
        return " · ".join(parts) or ALL_CACHED

    def refresh_usual(self, now: float, *, force: bool = False) -> None:
        """Re-measure operators' usual delivery times (at most once a minute)."""
        if not force and self._usual_at is not None and now - self._usual_at < USUAL_REFRESH_S:
            return
        store = self.screen.store
        self.stuck_rule.update(usual_delivery(store.messages_sorted(), store.timeline))
        self._usual_at = now

    def _in_view(self, message: Message, now: float) -> bool:
        filtered = self.screen.filtered_rows
        return filtered is None or filtered.accepts(message, now)

    def find_stuck(self, now: float) -> list[Message]:
        """Stuck messages in the current view: walks the pending ones only, not the history."""
        self.refresh_usual(now)
        store = self.screen.store
        self._pending = [m for a in self.screen.accounts() for m in store.non_final(a)]
        self._stuck = self.stuck_rule.select(self._pending, now)
        self._scope = _STALE  # the in-view figures must be taken again
        return [m for m in self._stuck if self._in_view(m, now)]

    def _take_view(self, now: float) -> None:
        """Oldest pending and stuck count inside the view (again only when the view changed)."""
        scope = self.screen.filtered_rows  # a new object for every new filter
        if scope is self._scope:
            return
        self._scope = scope
        sent = [m.sent_at for m in self._pending if m.sent_at is not None and self._in_view(m, now)]
        self._oldest_sent = min(sent) if sent else None
        self._stuck_in_view = sum(1 for m in self._stuck if self._in_view(m, now))

    def figures(self, now: float, *, full: bool) -> CampaignFigures:
        """The strip's figures for the view.

        Pending and stuck messages are walked on full refreshes (the 5 s tick, O(pending));
        a live batch reuses them, and a new filter only re-tests them against the view.
        """
        screen = self.screen
        rows = screen.visible_rows()
        if screen.filtered_rows is None:
            counts = screen.store.counts_by_state()
        else:
            counts = dict(Counter(m.state for m in rows))
        if full:
            self.find_stuck(now)
        self._take_view(now)
        oldest = None if self._oldest_sent is None else max(0.0, now - self._oldest_sent)
        return CampaignFigures.build(
            counts,
            sends_per_minute(rows, now, SPARK_MINUTES),
            oldest,
            scope=self.scope(),
            rate_per_min=sent_rate_per_minute(rows, now),
            stuck=self._stuck_in_view,
        )

    # ----- keys -------------------------------------------------------------------------------
    def _currency(self) -> str:
        """The accounts' currency when they agree on one ("" otherwise)."""
        store = self.screen.store
        found = {b.currency for a in self.screen.accounts() if (b := store.latest_balance(a))}
        return found.pop() if len(found) == 1 else ""

    def open_breakdown(self) -> None:
        """`s`: the breakdown of the current filter's whole history (not only what is loaded)."""
        screen = self.screen

        def plan() -> Plan:  # on the UI thread at every (re)compute: the filter of that moment
            filtered = screen.filtered_rows
            flt, failed = (filtered.filter, filtered.failed_only) if filtered else (None, False)
            query = query_of_view(flt, failed_only=failed, now=screen.clock.now())
            words = [f"filter: {screen.filter_text}"] if screen.filter_text else []
            label = " · ".join(words + (["failed only"] if failed else []))
            return prepare(screen.store, query, tz=screen.tz, label=label)

        self.app.push_screen(
            BreakdownScreen(plan, clock=screen.clock, tz=screen.tz, currency=self._currency())
        )

    def requery_stuck(self) -> None:
        """`L`: ask again for every stuck message's status (one request per account)."""
        screen = self.screen
        stuck = self.find_stuck(screen.clock.now())
        if not stuck:
            screen.notify("No stuck messages in view", title="Stuck messages", timeout=4)
            return
        keys = [m.key for m in stuck]
        self.app.run_worker(
            self._requery(keys), name="re-query stuck", group="actions", exit_on_error=False
        )

    async def _requery(self, keys: list[tuple[str, str, str]]) -> None:
        screen = self.screen
        reports = await screen.controller.refresh_statuses(keys)
        text, refused = requery_text(reports)
        screen.notify(
            text,
            title="Stuck messages",
            severity="warning" if refused else "information",
            timeout=10 if refused else 6,
        )
        screen.set_action_error(f"re-query stuck: {refused} refused" if refused else "")
        screen.refresh_panes()


def requery_text(reports: Sequence[StatusRefresh]) -> tuple[str, int]:
    """The toast for a re-query: what was asked, what changed, what was refused and why."""
    lines, refused = [], 0
    for r in reports:
        if r.refused:
            refused += 1
            lines.append(f"{r.account}: {group(r.asked)} not asked — {r.refused}")
        else:
            lines.append(
                f"{r.account}: asked {group(r.asked)} in one request · {group(r.changed)} changed"
                f" · {group(r.final)} now final"
            )
    return "\n".join(lines), refused
