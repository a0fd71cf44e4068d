"""Ask for any phone number to look up (operator, region), not only one in the history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Input, Static

MIN_DIGITS, MAX_DIGITS = 10, 15  # E.164 allows at most 15; a Russian mobile has 11


def phone_digits(text: str) -> str | None:
    """`+7 (916) 123-45-67` → `79161234567`; None when it cannot be a phone number."""
    cleaned = text.strip()
    if not cleaned or any(ch not in "0123456789+-() ." for ch in cleaned):
        return None
    digits = "".join(ch for ch in cleaned if ch.isdigit())
    return digits if MIN_DIGITS <= len(digits) <= MAX_DIGITS else None


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
        digits = phone_digits(event.value)
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
