"""The main view's key actions: filter, triage, copy, export; network ones run as workers."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from textual.widgets import Input
from textual.worker import Worker, WorkerState

from smstui.model import DeliveryState, ErrorClass, Message
from smstui.secrets import mask_text


def _optional(module: str, name: str) -> Any | None:
    """A name from a sibling module built in parallel; None while it does not exist yet."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def free_text_predicate(text: str):
    """Case-insensitive substring match on id, phone and text (the filter without field syntax)."""
    needle = text.casefold()
    return lambda m: needle in m.phone or needle in m.message_id or needle in m.text.casefold()


def is_temporary_failure(message: Message) -> bool:
    """A failure worth resending in bulk: its error class says temporary (expired counts)."""
    if not message.state.is_failure:
        return False
    error_class_of = _optional("smstui.filtering", "error_class_of")
    if error_class_of is not None:
        return error_class_of(message) == ErrorClass.TEMPORARY
    return message.state == DeliveryState.EXPIRED


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
            self._predicate, self.filter_text = None, ""
            self.refresh_rows()
            return None
        parse_filter = _optional("smstui.filtering", "parse_filter")
        if parse_filter is None:
            predicate = free_text_predicate(text)
        else:
            try:
                parsed = parse_filter(text, now=self.clock.now())
            except ValueError as err:  # FilterError is a ValueError: the message says what is wrong
                return str(err)
            predicate, text = parsed.matches, str(parsed) or text
        self._predicate, self.filter_text = predicate, text
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
        detail = _optional("smstui.ui.screens.detail", "DetailScreen")
        if detail is None:
            self.notify("Detail view is not available in this build", severity="error")
            return
        info = self.app.number_info.get(m.phone)
        self.app.push_screen(detail(m, self.store.timeline(m.key), info, self.clock))

    # ----- actions that reach the gateway (through the controller's budget) ---------------
    def _work(self, name: str, coro) -> Worker:
        return self.run_worker(coro, name=name, group="actions", exit_on_error=False)

    def action_resend(self) -> None:
        """Resend the selected message after the confirmation modal (it costs money)."""
        if (m := self._selected()) is None:
            return
        screen = _optional("smstui.ui.screens.resend", "ResendScreen")
        if screen is None:
            self.notify("Resend dialog is not available in this build", severity="error")
            return

        def decided(decision) -> None:
            if decision is not None:
                allow = bool(getattr(decision, "allow_permanent", False))
                self._work("resend", self._resend([m], allow))

        self.app.push_screen(screen(m, estimate_cost=m.cost), decided)

    def action_bulk_resend(self) -> None:
        """Resend every temporary failure in the current filter, after one confirmation."""
        targets = [m for m in self.history.rows if is_temporary_failure(m)]
        if not targets:
            self.notify("No temporary failures in the current view", timeout=3)
            return
        screen = _optional("smstui.ui.screens.resend", "BulkResendScreen")
        if screen is None:
            self.notify("Bulk resend dialog is not available in this build", severity="error")
            return

        def decided(confirmed) -> None:
            if confirmed:
                self._work("bulk resend", self._resend(targets, False))

        self.app.push_screen(screen(targets), decided)

    async def _resend(self, messages: list[Message], allow_permanent: bool) -> None:
        done = 0
        for m in messages:
            result = await self.controller.resend(m.key, allow_permanent=allow_permanent)
            done += 1
            if len(messages) == 1:
                self.notify(f"Resent to {m.phone}: new id {result.message_id}")
        if len(messages) > 1:
            self.notify(f"Resent {done} messages")
        self.set_action_error("")

    def action_lookup(self) -> None:
        """Ask for the selected message's status and its number's operator now."""
        if (m := self._selected()) is not None:
            self._work("look up", self._lookup(m))

    async def _lookup(self, m: Message) -> None:
        fresh = await self.controller.refresh_status(m.key)
        info = await self.controller.lookup(m.account, m.phone)
        self.app.number_info[m.phone] = info
        operator = info.operator or "operator unknown"
        self.notify(f"{m.phone}: {fresh.state.value} · {operator} {info.region}".strip())
        self.set_action_error("")

    def action_balance(self) -> None:
        """Fetch every account's balance now."""
        for account in self.accounts():
            self._work("balance", self._balance(account))

    async def _balance(self, account: str) -> None:
        balance = await self.controller.refresh_balance(account)
        self.notify(f"{account}: {balance.amount:.2f} {balance.currency}".strip(), timeout=3)
        self.refresh_panes()

    def action_export(self) -> None:
        """Export the messages in the current filter to CSV in the cache directory."""
        keys = [m.key for m in self.history.rows]
        if not keys or self.export_dir is None:
            self.notify(
                "Nothing to export" if not keys else "No cache directory configured",
                severity="warning",
            )
            return
        stamp = datetime.fromtimestamp(self.clock.now(), self.tz).strftime("%Y%m%d-%H%M%S")
        path = self.export_dir / f"export-{stamp}.csv"
        self._work("export", self._export(path, keys))

    async def _export(self, path, keys) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        count = await self.controller.export(path, keys, "csv")
        self.last_export = path
        self.notify(f"Exported {count} rows to {path}", timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The ONE place worker failures become visible: a toast plus the health line."""
        if event.state != WorkerState.ERROR or event.worker.group != "actions":
            return
        error = event.worker.error
        text = mask_text(f"{event.worker.name}: {error}", self.secrets)
        self.notify(text, title="Action failed", severity="error", timeout=8)
        self.set_action_error(text)
