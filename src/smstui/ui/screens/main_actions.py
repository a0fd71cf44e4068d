"""What the main view's keys do: filter, triage, copy, export; network ones run as workers.

A typed helper object the screen owns (the screen's `action_*` methods are one-line calls
into it). Workers run with `exit_on_error=False` on the app, whose one worker-error handler
shows failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual.widgets import Input
from textual.worker import Worker

from smstui.errors import SmstuiError
from smstui.export import export_messages
from smstui.filtering import FilterError, parse_filter
from smstui.model import Message, NumberInfo
from smstui.policy import RESENDABLE
from smstui.store.query import Answer
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.lookup import LookupScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendDecision, ResendScreen

if TYPE_CHECKING:
    from smstui.ui.app import SmstuiApp
    from smstui.ui.screens.main import MainScreen

EXPORT_FORMATS = ("csv", "jsonl")
Key = tuple[str, str, str]


def lookup_text(m: Message, info: NumberInfo) -> str:
    """`79161234567: delivered · МТС Москва`; a message without a phone is named by its id."""
    who = m.phone or info.phone or f"id {m.message_id}"
    number = " ".join(p for p in (info.operator, info.region) if p)
    if not number:
        number = "no number to look up" if not (m.phone or info.phone) else "operator unknown"
    return f"{who}: {m.state.value} · {number}"


class MainActions:
    """Everything the main view's keys do, on one screen. Workers never raise into the app."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen
        self.last_export: Path | None = None

    @property
    def app(self) -> SmstuiApp:
        """The dashboard app (number info, workers, modal screens, the clipboard)."""
        return cast("SmstuiApp", self.screen.app)

    # ----- filter -----------------------------------------------------------------------
    def open_filter(self) -> None:
        """Open the filter input (`/`)."""
        box = self.screen.query_one("#filter", Input)
        box.remove_class("-hidden")
        box.value = self.screen.filter_text
        box.focus()

    def submit_filter(self, event: Input.Submitted) -> None:
        """Apply the typed filter; bad syntax keeps the input open with the reason shown."""
        if event.input.id != "filter":
            return
        event.stop()
        error = self.set_filter(event.value)
        if error:
            event.input.add_class("-error")
            event.input.tooltip = error
            self.screen.notify(error, title="Filter", severity="error")
            return
        event.input.remove_class("-error")
        event.input.add_class("-hidden")
        self.screen.history.focus()

    def set_filter(self, text: str) -> str | None:
        """Filter the history by `text` (field syntax or free text); returns an error or None."""
        screen, text = self.screen, text.strip()
        if not text:
            screen.set_filter_state(None, "")
            return None
        try:
            parsed = parse_filter(text, now=screen.clock.now(), stuck=screen.campaign.stuck_rule)
        except FilterError as err:  # the message names the bad term
            return str(err)
        screen.set_filter_state(parsed, str(parsed) or text)
        return None

    def clear_filter(self) -> None:
        """Escape: close the filter input and drop the filter."""
        box = self.screen.query_one("#filter", Input)
        box.add_class("-hidden")
        box.remove_class("-error")
        if self.screen.filter_text:
            self.set_filter("")
        self.screen.history.focus()

    def toggle_failed_only(self) -> None:
        """Toggle showing only failed messages."""
        self.screen.failed_only = not self.screen.failed_only
        self.screen.refresh_rows()

    # ----- feed & layout -----------------------------------------------------------------
    def toggle_pause(self) -> None:
        """Pause or resume the live feed (nothing is lost while paused)."""
        paused = self.screen.feed.toggle_pause()
        self.screen.notify("Live feed paused" if paused else "Live feed resumed", timeout=2)

    def toggle_maximize(self) -> None:
        """Maximise the focused pane, or restore the layout."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            screen.maximize(screen.focused)

    # ----- selection ---------------------------------------------------------------------
    def selected(self) -> Message | None:
        """The selected message, or None with a warning toast."""
        message = self.screen.history.selected
        if message is None:
            self.screen.notify("No message selected", severity="warning", timeout=2)
        return message

    def copy_id(self) -> None:
        """Copy the selected message id to the clipboard (OSC 52)."""
        if (m := self.selected()) is not None:
            self.app.copy_to_clipboard(m.message_id)
            self.screen.notify(f"Copied id {m.message_id}", timeout=2)

    def copy_phone(self) -> None:
        """Copy the selected phone number to the clipboard (OSC 52)."""
        if (m := self.selected()) is not None:
            self.app.copy_to_clipboard(m.phone)
            self.screen.notify(f"Copied phone {m.phone}", timeout=2)

    def detail(self) -> None:
        """Open the selected message's detail view."""
        if (m := self.selected()) is None:
            return
        screen = self.screen
        info = self.app.number_info.get(m.phone)
        self.look_at([m.key])  # asked first while its detail is open (main.on_screen_resume)
        self.app.push_screen(
            DetailScreen(
                m, screen.store.timeline(m.key), info, screen.clock,
                resent_as=screen.lineage.resent_as,
            )
        )  # fmt: skip

    def look_at(self, keys: list[tuple[str, str, str]]) -> None:
        """Tell the poller which messages the user is looking at (asked first when a request
        must choose). Only a controller that polls can: an optional capability, no I/O."""
        prioritise = getattr(self.screen.controller, "prioritise", None)
        if prioritise is not None:
            prioritise(keys)

    # ----- actions that reach the gateway (through the controller's budget) ---------------
    def _work(self, name: str, coro: Coroutine[Any, Any, None]) -> Worker[None]:
        # On the app, so its one worker-error handler sees the failure (StateChanged does not
        # bubble) and the work survives the screen it was started from.
        return self.app.run_worker(coro, name=name, group="actions", exit_on_error=False)

    def resend_selected(self) -> None:
        """Resend the selected message after the confirmation modal (it costs money)."""
        if (m := self.selected()) is not None:
            self.request_resend(m)

    def request_resend(self, m: Message, detail: DetailScreen | None = None) -> None:
        """Confirm, then resend one message; `detail` is refreshed afterwards when given."""

        def decided(decision: ResendDecision | None) -> None:
            if decision is not None:
                self._work("resend", self._resend_one(m, decision.allow_permanent, detail))

        now, resent_as = self.screen.clock.now(), self.screen.lineage.resent_as(m.key)
        dialog = ResendScreen(m, estimate_cost=m.cost, now=now, resent_as=resent_as)
        self.app.push_screen(dialog, decided)

    async def _resend_one(self, m: Message, allow: bool, detail: DetailScreen | None) -> None:
        screen = self.screen
        result = await screen.controller.resend(m.key, allow_permanent=allow)
        screen.note_resent(m, result.message_id)  # before the store's batch: `R` right after
        screen.notify(f"Resent to {m.phone}: new id {result.message_id}", title="Resend")
        screen.set_action_error("")
        if detail is not None and detail.is_attached:
            fresh = screen.store.get(m.key) or m
            detail.show(fresh, screen.store.timeline(m.key))

    def bulk_resend(self) -> None:
        """Resend the failures in the current view the policy allows, after one confirm."""
        failures = [m for m in self.screen.history.rows if m.state in RESENDABLE]
        if not failures:
            self.screen.notify("No failures in the current view", timeout=3)
            return
        was_resent = self.screen.lineage.was_resent
        bulk = BulkResendScreen(failures, now=self.screen.clock.now(), was_resent=was_resent)

        def decided(confirmed: bool | None) -> None:
            # Exactly what the dialog listed: its plan, not a recomputation over newer rows.
            if confirmed and bulk.plan.resend:
                self._work("bulk resend", self._resend_many(list(bulk.plan.resend)))

        self.app.push_screen(bulk, decided)

    async def _resend_many(self, messages: list[Message]) -> None:
        screen = self.screen
        sent, refused = 0, []
        for m in messages:
            try:
                result = await screen.controller.resend(m.key)
            except SmstuiError as err:  # one refusal (budget, error 9) must not drop the rest
                refused.append(f"{m.phone}: {err}")
            else:
                screen.note_resent(m, result.message_id)
                sent += 1
        if refused:
            text = f"Resent {sent} of {len(messages)}; {len(refused)} refused ({refused[0]})"
            screen.notify(text, title="Bulk resend", severity="warning", timeout=10)
            screen.set_action_error(f"bulk resend: {len(refused)} refused")
        else:
            screen.notify(f"Resent {sent} messages", title="Bulk resend")
            screen.set_action_error("")

    def lookup_selected(self) -> None:
        """Ask for the selected message's status and its number's operator now."""
        if (m := self.selected()) is not None:
            self.request_lookup(m)

    def request_lookup(self, m: Message, detail: DetailScreen | None = None) -> None:
        """Refresh the status and number info now; `detail` shows the answer when given."""
        self._work("look up", self._lookup(m, detail))

    async def _lookup(self, m: Message, detail: DetailScreen | None) -> None:
        screen = self.screen
        fresh = await screen.controller.refresh_status(m.key)
        if not m.phone:  # a Webcom push names no phone: there is no number to ask about
            screen.notify(lookup_text(fresh, NumberInfo(phone="")), title="Look up")
            if detail is not None and detail.is_attached:
                detail.show(fresh, screen.store.timeline(m.key))
            return
        info = await screen.controller.lookup(m.account, m.phone)
        self.app.number_info[m.phone] = info
        screen.notify(lookup_text(fresh, info), title="Look up")
        screen.set_action_error("")
        if detail is not None and detail.is_attached:
            detail.show(fresh, screen.store.timeline(m.key), info)

    def lookup_number(self, phone: str | None = None) -> None:
        """Look up any number (the palette): asks for it unless given; the selected message's
        account is asked (else the first one), through its request budget."""
        accounts = self.screen.accounts()
        if not accounts:
            self.screen.notify("No account to ask", severity="warning")
            return
        selected = self.screen.history.selected
        account = selected.account if selected is not None else accounts[0]
        if phone is not None:
            self._work("look up number", self._lookup_number(account, phone))
            return

        def chosen(digits: str | None) -> None:
            if digits:
                self._work("look up number", self._lookup_number(account, digits))

        self.app.push_screen(LookupScreen(account), chosen)

    async def _lookup_number(self, account: str, phone: str) -> None:
        info = await self.screen.controller.lookup(account, phone)
        self.app.number_info[phone] = info
        number = " ".join(p for p in (info.operator, info.region, info.country) if p)
        zone = f" · UTC{info.timezone}" if info.timezone and info.timezone[0] in "+-" else ""
        self.screen.notify(
            f"{phone}: {number or 'operator unknown'}{zone} (asked {account})",
            title="Look up",
            timeout=10,
        )
        self.screen.set_action_error("")

    def balance(self) -> None:
        """Fetch every account's balance now."""
        for account in self.screen.accounts():
            self._work("balance", self._balance(account))

    async def _balance(self, account: str) -> None:
        balance = await self.screen.controller.refresh_balance(account)
        text = f"{account}: {balance.amount:.2f} {balance.currency}".strip()
        self.screen.notify(text, timeout=3)
        self.screen.refresh_panes()

    def export(self, fmt: str = "csv") -> None:
        """Export the whole history of the current view (its filter, every day) to CSV/JSONL."""
        screen = self.screen
        if fmt not in EXPORT_FORMATS:
            screen.notify(f"Unknown export format {fmt!r}", severity="error")
            return
        if screen.filtered_rows is None:  # no filter: the view is the whole cache
            empty = not screen.store.total()
        else:
            empty = not screen.history.rows and screen.search.complete
        if empty or screen.export_dir is None:
            screen.notify(
                "Nothing to export" if empty else "No cache directory configured",
                severity="warning",
            )
            return
        stamp = datetime.fromtimestamp(screen.clock.now(), screen.tz).strftime("%Y%m%d-%H%M%S")
        path = screen.export_dir / f"export-{stamp}.{fmt}"
        # The query again, not the rows on screen: they may still be arriving, and the file
        # is written from the stream (days on disk read as it goes, off the event loop).
        answer = screen.store.query(screen.view_query())
        self._work("export", self._export(path, answer, fmt))

    async def _export(self, path: Path, answer: Answer, fmt: str) -> None:
        screen = self.screen
        path.parent.mkdir(parents=True, exist_ok=True)
        count = await asyncio.to_thread(export_messages, path, answer, fmt, secrets=screen.secrets)
        self.last_export = path
        lacks = answer.partial_reason()
        if lacks:  # the rows that could be read are in the file; the toast says what is not
            screen.notify(
                f"Exported {count} rows to {path} — partial: {lacks}",
                title=f"Export {fmt.upper()}", severity="warning", timeout=15,
            )  # fmt: skip
            return
        screen.notify(
            f"Exported {count} rows to {path} (whole history)",
            title=f"Export {fmt.upper()}",
            timeout=8,
        )

    # ----- jumps to a message, wherever it is -----------------------------------------------
    def go_to(self, message: Message, reveal: str) -> None:
        """Select a message: in view, else loaded (the filter hiding it is cleared), else only
        on disk: the view becomes `reveal` (a filter that holds it) and the search selects it
        when it arrives."""
        screen = self.screen
        if screen.history.select_key(message.key):
            screen.history.focus()
            return
        if screen.store.get(message.key) is not None:
            self.app.jump_to(message.key)
            return
        screen.failed_only = False
        self.set_filter(reveal)
        if not screen.history.select_key(message.key):
            screen.search.select_when_found = message.key
        screen.history.focus()
        screen.notify(
            f"Message {message.message_id} is only on disk: showing {reveal} to reach it",
            title="Go to", timeout=6,
        )  # fmt: skip
