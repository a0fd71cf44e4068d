"""Ask for any phone number to look up (operator, region), not only one in the history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from smstui.phones import full_number


class LookupScreen(ModalScreen[str | None]):
    """One input: the number; enter looks it up, escape goes back (q is a character here)."""

    BINDINGS = [Binding("escape", "cancel", "Back")]

    def __init__(self, account: str) -> None:
        super().__init__(classes="lookup-screen")
        self.account = account

    def compose(self) -> ComposeResult:
        """Title, the account that will be asked, the input."""
        with Vertical(id="lookup-dialog", classes="dialog"):
            yield Static("Look up a number", classes="dialog-title")
            yield Static(
                f"Operator and region, asked through [b]{self.account}[/] (its request budget).",
                id="lookup-note",
            )
            yield Input(placeholder="+7 916 123-45-67", id="lookup-phone")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A valid number closes the dialog with its digits; anything else says why."""
        event.stop()
        digits = full_number(event.value)
        if digits is None:
            event.input.add_class("-error")
            self.notify(
                f"Not a phone number: {escape(event.value)!r} (10–15 digits; + - ( ) and spaces)",
                title="Look up",
                severity="error",
            )
            return
        self.dismiss(digits)

    def action_cancel(self) -> None:
        """Escape: back without looking anything up."""
        self.dismiss(None)
