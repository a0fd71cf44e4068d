"""The detail view of one message: fields, explained error, timeline, number info, raw values.

It never does I/O: `r` (resend) and `l` (look up now) post a `DetailAction` for the app to run
through the controller; the app may then call `show()` with fresher data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.message import Message as TextualMessage
from textual.screen import Screen
from textual.widgets import Footer, Static

from smstui.clock import Clock
from smstui.codes import explain
from smstui.display import money, number_rows, number_source
from smstui.lineage import lineage_text
from smstui.model import ErrorClass, Message, NumberInfo, Provider, StatusChange
from smstui.moscow import MSK
from smstui.policy import Advice, resend_advice
from smstui.secrets import mask_text
from smstui.store_view import StoreView
from smstui.ui.messages import LookedUp, Resent, StoreChanged
from smstui.ui.state_style import state_markup
from smstui.ui.widgets.timeline import Timeline, age_text, format_time, zone_label

CLASS_STYLE = {
    ErrorClass.PERMANENT: "b $error",
    ErrorClass.TEMPORARY: "b $warning",
    ErrorClass.ACCOUNT: "b $warning",
    ErrorClass.CONFIGURATION: "b $warning",
    ErrorClass.UNKNOWN: "b $text-muted",
}


Key = tuple[str, str, str]
NO_PHONE = "[dim]unknown: not sent through smstui, and Webcom's statuses and pushes name none[/]"


class DetailAction(TextualMessage):
    """The user asked, from the detail view, for an action that needs the engine."""

    def __init__(self, action: str, message: Message) -> None:
        self.action = action  # "resend" or "lookup"
        self.message = message
        super().__init__()

    @property
    def key(self) -> tuple[str, str, str]:
        """The message's key, as the controller takes it."""
        return self.message.key


class DetailScreen(Screen[None]):
    """Everything smstui knows about one message, for triage."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),  # q goes back here; it quits only the main view
        Binding("c", "copy_id", "Copy id"),
        Binding("p", "copy_phone", "Copy phone"),
        Binding("r", "resend", "Resend…"),
        Binding("l", "lookup", "Look up now"),
    ]

    def __init__(
        self,
        message: Message,
        timeline: list[StatusChange],
        number_info: NumberInfo | None,
        clock: Clock,
        *,
        tz: tzinfo | None = None,
        resent_as: Callable[[Key], tuple[str, ...]] | None = None,
        store: StoreView | None = None,
    ) -> None:
        super().__init__(classes="detail-screen")
        self._tz_given = tz
        self._resent_as = resent_as  # the lineage index: which ids a message was resent as
        self.message = message
        self.timeline = list(timeline)
        self.number_info = number_info
        self._clock = clock
        self._store = store  # to stay current: re-read the message when the store changes it

    @property
    def tz(self) -> tzinfo | None:
        """The zone times are shown in: as given, else the app's (the history's), else MSK."""
        if self._tz_given is not None:
            return self._tz_given
        return getattr(self.app, "tz", MSK) if self.is_attached else MSK

    def compose(self) -> ComposeResult:
        """Title line, the scrollable sections, the footer."""
        zone = zone_label(self._clock.now(), self.tz)
        yield Static(self._title(), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(self._fields(), id="detail-fields")
            yield Static("Error", classes="section-title")
            yield Static(self._error(), id="detail-error")
            yield Static(f"Timeline · times in {zone}", classes="section-title")
            yield Timeline(self.timeline, self.message.provider, tz=self.tz, id="detail-timeline")
            yield Static("Number", classes="section-title")
            yield Static(self._number(), id="detail-number")
            yield Static("Raw provider values (secrets masked)", classes="section-title")
            yield Static(self._raw(), id="detail-raw", markup=False)
        yield Footer()

    def show(
        self,
        message: Message,
        timeline: Sequence[StatusChange] | None = None,
        number_info: NumberInfo | None = None,
    ) -> None:
        """Refresh in place with newer data (after a look-up or a store update)."""
        self.message = message
        if timeline is not None:
            self.timeline = list(timeline)
        if number_info is not None:
            self.number_info = number_info
        if not self.is_mounted:
            return
        self.query_one("#detail-title", Static).update(self._title())
        self.query_one("#detail-fields", Static).update(self._fields())
        self.query_one("#detail-error", Static).update(self._error())
        self.query_one("#detail-timeline", Timeline).set_changes(self.timeline)
        self.query_one("#detail-number", Static).update(self._number())
        self.query_one("#detail-raw", Static).update(self._raw())
        self.refresh_bindings()

    def _reread(self) -> None:
        """The message and its timeline again from the store (it changed)."""
        if self._store is None:
            return
        key = self.message.key
        fresh = self._store.get(key)
        if fresh is not None:
            self.show(fresh, self._store.timeline(key))

    def on_store_changed(self, event: StoreChanged) -> None:
        """Stay current while open: a change to this message is shown at once."""
        key = self.message.key
        if any(c.key == key for c in event.changes):
            self._reread()

    def on_looked_up(self, event: LookedUp) -> None:
        """A look-up of this message came back: its fresh status and number info."""
        if event.message.key == self.message.key:
            timeline = self._store.timeline(event.message.key) if self._store else None
            self.show(event.message, timeline, event.info)

    def on_resent(self, event: Resent) -> None:
        """This message was resent: its lineage line names the new id."""
        if event.original.key == self.message.key:
            self._reread()

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)

    def action_copy_id(self) -> None:
        """Copy the message id (OSC 52: works over SSH in terminals that allow it)."""
        self.app.copy_to_clipboard(self.message.message_id)
        self.notify(f"Copied id {self.message.message_id}", timeout=3)

    def action_copy_phone(self) -> None:
        """Copy the phone number."""
        self.app.copy_to_clipboard(self.message.phone)
        self.notify(f"Copied phone {self.message.phone}", timeout=3)

    def action_resend(self) -> None:
        """Ask the app to open the resend confirmation for this message, whatever its state:
        the dialog warns that a delivered one goes out again, as it does from the list."""
        self.post_message(DetailAction("resend", self.message))

    def action_lookup(self) -> None:
        """Ask the app to refresh the status and number info now (through the budget)."""
        self.post_message(DetailAction("lookup", self.message))

    def lineage(self) -> str:
        """`resend of ID` / `resent → NEW-ID` for this message ('' when neither)."""
        resent = self._resent_as(self.message.key) if self._resent_as is not None else ()
        return lineage_text(self.message, resent)

    def _title(self) -> str:
        m = self.message
        return (
            f"[b]Message {escape(m.message_id)}[/] · {escape(m.phone or 'phone unknown')} · "
            f"{escape(m.account)} ({m.provider.value.upper()}) · "
            f"[{state_markup(m.state)}]{m.state.value}[/]"
        )

    def _fields(self) -> str:
        m, now, tz = self.message, self._clock.now(), self.tz
        zone = zone_label(now, tz)
        status, _error = explain(m.provider.value, m.raw_status, m.error_code)

        def when(ts: float | None) -> str:
            if ts is None:
                return "—"
            return f"{format_time(ts, tz)} {zone} ({age_text(now - ts)} ago)"

        cost = money(m.cost)
        rows = [
            ("Phone", escape(m.phone) if m.phone else NO_PHONE),
            ("Id", escape(m.message_id)),
            ("Account", f"{escape(m.account)} ({m.provider.value})"),
            ("State", f"[{state_markup(m.state)}]{m.state.value}[/]"),
            ("Status", escape(f"{m.raw_status} {status.name_en} · {status.name_ru}")
             if m.raw_status else "[dim]none reported by the gateway yet[/]"),
            ("Sent", when(m.sent_at)),
            ("Updated", when(m.updated_at)),
            ("Sender", escape(m.sender or "—")),
            ("Parts", f"{m.parts if m.parts is not None else '—'}    Cost  {cost}"),
            ("Operator", escape(" · ".join(p for p in (m.operator, m.region, m.country) if p))
             or "—"),
            ("Text", escape(m.text) if m.text else "[dim](not known)[/]"),
        ]  # fmt: skip
        if lineage := self.lineage():
            rows.insert(2, ("Resend", f"[b $accent]{escape(lineage)}[/]"))
        return "\n".join(f"[b]{label:<9}[/]{value}" for label, value in rows)

    def _error(self) -> str:
        m = self.message
        status, error = explain(m.provider.value, m.raw_status, m.error_code)
        advice = resend_advice(m)
        klass = advice.failure_class
        if error is None and not m.state.is_failure:
            return "[dim]No error.[/]"
        style = CLASS_STYLE.get(klass, "b")
        lines = []
        if error is not None:
            lines.append(f"[b]{escape(error.en)}[/] (err {error.code}) · {escape(error.ru)}")
        else:
            lines.append(f"[b]{escape(status.name_en)}[/] · {escape(status.name_ru)}")
            if m.provider is Provider.WEBCOM and m.state.is_failure:
                lines.append("Webcom gives no reason for a failed delivery: its statuses "
                             "carry no error code.")  # fmt: skip
        if status.meaning:
            lines.append(escape(status.meaning))
        lines.append(f"Class [{style}]{klass.value}[/] — {escape(advice.action)}")
        if advice.advice is not Advice.NOT_FAILED:
            lines.append(f"Advice {escape(advice.summary(self._clock.now()))}")
        return "\n".join(lines)

    def _number(self) -> str:
        info, m = self.number_info, self.message
        if info is None:
            known = " · ".join(p for p in (m.operator, m.region, m.country) if p)
            prefix = f"{escape(known)}\n" if known else ""
            return prefix + "[dim]Not looked up yet — press l to look up status and number.[/]"
        shown = [f"[b]{k}[/] {escape(v)}" for k, v in number_rows(info)]
        if not shown:
            return "[dim]The gateway knows nothing about it.[/]"
        return "   ".join(shown) + f"\n[dim]{escape(number_source(info))}[/]"

    def _raw(self) -> str:
        m = self.message
        fields = [
            f"provider={m.provider.value}",
            f"status={m.raw_status}",
            f"err={'' if m.error_code is None else m.error_code}",
        ]
        if self.number_info is not None:
            fields += [f"{k}={v}" for k, v in self.number_info.extra]
        trail = [f"{c.source.value}:{c.raw_status}" for c in self.timeline]
        text = " ".join(fields) + ("\nstatuses seen: " + " → ".join(trail) if trail else "")
        return mask_text(text)
