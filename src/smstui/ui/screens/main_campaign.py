"""The main view's campaign side: a thin adapter over smstui.campaign for the main screen.

It describes the screen's current view to `Campaign` (rows, filter, words), opens the
breakdown (`s`) and re-asks the stuck messages' statuses (`L`) through the controller's
budget. Every figure is computed in smstui.campaign.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from smstui.campaign import Campaign, CampaignFigures, View, requery_text
from smstui.model import Message
from smstui.stuck import StuckRule
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.whole_breakdown import Plan, prepare, query_of_view

if TYPE_CHECKING:
    from smstui.ui.app import SmstuiApp
    from smstui.ui.screens.main import MainScreen


class CampaignView:
    """What the campaign strip shows for the current view, and the keys built on it."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self._campaign: Campaign | None = None  # made on first use: the screen's store is set

    @property
    def campaign(self) -> Campaign:
        """The figures over the screen's store and accounts."""
        if self._campaign is None:
            self._campaign = Campaign(self.screen.store, self.screen.accounts)
        return self._campaign

    @property
    def stuck_rule(self) -> StuckRule:
        """The stuck rule `state:stuck` filters hold."""
        return self.campaign.stuck_rule

    @property
    def app(self) -> SmstuiApp:
        """The dashboard app."""
        return cast("SmstuiApp", self.screen.app)

    def view(self) -> View:
        """The screen's current view: its rows, its filter's test and the filter in words."""
        screen = self.screen
        filtered = screen.filtered_rows
        words = [f"filter: {screen.filter_text}"] if screen.filter_text else []
        if screen.failed_only:
            words.append("failed only")
        accepts = filtered.accepts if filtered is not None else None
        return View(screen.visible_rows(), accepts, " · ".join(words), filtered)

    def refresh_usual(self, now: float, *, force: bool = False) -> None:
        """Re-measure operators' usual delivery times (at most once a minute)."""
        self.campaign.refresh_usual(now, force=force)

    def find_stuck(self, now: float) -> list[Message]:
        """Stuck messages in the current view."""
        return self.campaign.find_stuck(self.view(), now)

    def figures(self, now: float, *, full: bool) -> CampaignFigures:
        """The strip's figures for the current view."""
        return self.campaign.figures(self.view(), now, full=full)

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

        currency = self.campaign.currency()
        self.app.push_screen(BreakdownScreen(plan, clock=screen.clock, tz=screen.tz,
                                             currency=currency))  # fmt: skip

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
