"""The main view's key actions: filter, triage, copy, export; network ones run as workers.

Workers run with `exit_on_error=False`; the app's one worker-error handler shows failures.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.widgets import Input
from textual.worker import Worker

from smstui.controller import RESENDABLE
from smstui.errors import SmstuiError
from smstui.filtering import FilterError, parse_filter
from smstui.model import Message
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendDecision, ResendScreen

EXPORT_FORMATS = ("csv", "jsonl")


class MainActions:
    """Mixed into MainScreen: everything the keys do. Workers never raise into the app."""

    # ----- filter -----------------------------------------------------------------------
    def action_filter(self) -> None:
        """Open the filter input (`/`)."""
        box = self.query_one("#filter", Input)
        box.remove_class("-hidden")
        box.value = self.filter_text
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Apply the typed filter; bad syntax keeps the input open with the reason shown."""
        if event.input.id != "filter":
            return
        event.stop()
        error = self.set_filter(event.value)
        if error:
            event.input.add_class("-error")
            event.input.tooltip = error
            self.notify(error, title="Filter", severity="error")
            return
        event.input.remove_class("-error")
        event.input.add_class("-hidden")
        self.history.focus()

    def set_filter(self, text: str) -> str | None:
        """Filter the history by `text` (field syntax or free text); returns an error or None."""
        text = text.strip()
        if not text:
            self._filter, self.filter_text = None, ""
            self.refresh_rows()
            return None
        try:
            parsed = parse_filter(text, now=self.clock.now())
        except FilterError as err:  # the message names the bad term
            return str(err)
        self._filter, self.filter_text = parsed, str(parsed) or text
        self.refresh_rows()
        return None

    def action_clear_filter(self) -> None:
        """Escape: close the filter input and drop the filter."""
        box = self.query_one("#filter", Input)
        box.add_class("-hidden")
        box.remove_class("-error")
        if self.filter_text:
            self.set_filter("")
        self.history.focus()

    def action_failed_only(self) -> None:
        """Toggle showing only failed messages."""
        self.failed_only = not self.failed_only
        self.refresh_rows()

    # ----- feed & layout -----------------------------------------------------------------
    def action_pause(self) -> None:
        """Pause or resume the live feed (nothing is lost while paused)."""
        paused = self.feed.toggle_pause()
        self.notify("Live feed paused" if paused else "Live feed resumed", timeout=2)

    def action_toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    # ----- selection ---------------------------------------------------------------------
    def _selected(self) -> Message | None:
        message = self.history.selected
        if message is None:
            self.notify("No message selected", severity="warning", timeout=2)
        return message

    def action_copy_id(self) -> None:
        """Copy the selected message id to the clipboard (OSC 52)."""
        if (m := self._selected()) is not None:
            self.app.copy_to_clipboard(m.message_id)
            self.notify(f"Copied id {m.message_id}", timeout=2)

    def action_copy_phone(self) -> None:
        """Copy the selected phone number to the clipboard (OSC 52)."""
        if (m := self._selected()) is not None:
            self.app.copy_to_clipboard(m.phone)
            self.notify(f"Copied phone {m.phone}", timeout=2)

    def action_detail(self) -> None:
        """Open the selected message's detail view."""
        if (m := self._selected()) is None:
            return
        info = self.app.number_info.get(m.phone)
        self.app.push_screen(DetailScreen(m, self.store.timeline(m.key), info, self.clock))

    # ----- actions that reach the gateway (through the controller's budget) ---------------
    def _work(self, name: str, coro) -> Worker:
        # On the app, so its one worker-error handler sees the failure (StateChanged does not
        # bubble) and the work survives the screen it was started from.
        return self.app.run_worker(coro, name=name, group="actions", exit_on_error=False)

    def action_resend(self) -> None:
        """Resend the selected message after the confirmation modal (it costs money)."""
        if (m := self._selected()) is not None:
            self.request_resend(m)

    def request_resend(self, m: Message, detail: DetailScreen | None = None) -> None:
        """Confirm, then resend one message; `detail` is refreshed afterwards when given."""

        def decided(decision: ResendDecision | None) -> None:
            if decision is not None:
                self._work("resend", self._resend_one(m, decision.allow_permanent, detail))

        self.app.push_screen(ResendScreen(m, estimate_cost=m.cost), decided)

    async def _resend_one(self, m: Message, allow: bool, detail: DetailScreen | None) -> None:
        result = await self.controller.resend(m.key, allow_permanent=allow)
        self.notify(f"Resent to {m.phone}: new id {result.message_id}", title="Resend")
        self.set_action_error("")
        if detail is not None and detail.is_attached:
            fresh = self.store.get(m.key) or m
            detail.show(fresh, self.store.timeline(m.key))

    def action_bulk_resend(self) -> None:
        """Resend the failures in the current view that are not permanent, after one confirm."""
        failures = [m for m in self.history.rows if m.state in RESENDABLE]
        if not failures:
            self.notify("No failures in the current view", timeout=3)
            return
        screen = BulkResendScreen(failures)

        def decided(confirmed: bool | None) -> None:
            # Exactly what the dialog listed: its plan, not a recomputation over newer rows.
            if confirmed and screen.plan.resend:
                self._work("bulk resend", self._resend_many(list(screen.plan.resend)))

        self.app.push_screen(screen, decided)

    async def _resend_many(self, messages: list[Message]) -> None:
        sent, refused = 0, []
        for m in messages:
            try:
                await self.controller.resend(m.key)
            except SmstuiError as err:  # one refusal (budget, error 9) must not drop the rest
                refused.append(f"{m.phone}: {err}")
            else:
                sent += 1
        if refused:
            text = f"Resent {sent} of {len(messages)}; {len(refused)} refused ({refused[0]})"
            self.notify(text, title="Bulk resend", severity="warning", timeout=10)
            self.set_action_error(f"bulk resend: {len(refused)} refused")
        else:
            self.notify(f"Resent {sent} messages", title="Bulk resend")
            self.set_action_error("")

    def action_lookup(self) -> None:
        """Ask for the selected message's status and its number's operator now."""
        if (m := self._selected()) is not None:
            self.request_lookup(m)

    def request_lookup(self, m: Message, detail: DetailScreen | None = None) -> None:
        """Refresh the status and number info now; `detail` shows the answer when given."""
        self._work("look up", self._lookup(m, detail))

    async def _lookup(self, m: Message, detail: DetailScreen | None) -> None:
        fresh = await self.controller.refresh_status(m.key)
        info = await self.controller.lookup(m.account, m.phone)
        self.app.number_info[m.phone] = info
        operator = info.operator or "operator unknown"
        self.notify(f"{m.phone}: {fresh.state.value} · {operator} {info.region}".strip())
        self.set_action_error("")
        if detail is not None and detail.is_attached:
            detail.show(fresh, self.store.timeline(m.key), info)

    def action_balance(self) -> None:
        """Fetch every account's balance now."""
        for account in self.accounts():
            self._work("balance", self._balance(account))

    async def _balance(self, account: str) -> None:
        balance = await self.controller.refresh_balance(account)
        self.notify(f"{account}: {balance.amount:.2f} {balance.currency}".strip(), timeout=3)
        self.refresh_panes()

    def action_export(self, fmt: str = "csv") -> None:
        """Export the messages in the current view (filter applied) to CSV or JSONL."""
        if fmt not in EXPORT_FORMATS:
            self.notify(f"Unknown export format {fmt!r}", severity="error")
            return
        keys = [m.key for m in self.history.rows]
        if not keys or self.export_dir is None:
            self.notify(
                "Nothing to export" if not keys else "No cache directory configured",
                severity="warning",
            )
            return
        stamp = datetime.fromtimestamp(self.clock.now(), self.tz).strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"export-{stamp}.{fmt}"
        self._work("export", self._export(path, keys, fmt))

    async def _export(self, path: Path, keys: list, fmt: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        count = await self.controller.export(path, keys, fmt)
        self.last_export = path
        self.notify(f"Exported {count} rows to {path}", title=f"Export {fmt.upper()}", timeout=8)
