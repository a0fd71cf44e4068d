"""The `?` screen: every key and what it does, plus the filter syntax."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Static

from smstui.filtering import FILTER_SYNTAX


def _columns(rows: list[tuple[str, str]]) -> str:
    """Two aligned columns as markup: the key in bold, then what it does."""
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"[b $accent]{escape(k.ljust(width))}[/]  {escape(v)}" for k, v in rows)


class HelpScreen(ModalScreen[None]):
    """Keys, filter syntax and conventions; `escape`, `?` or `q` close it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    def __init__(self, bindings: Sequence[tuple[str, str] | Binding]) -> None:
        super().__init__(classes="help-screen")
        self._given = list(bindings)
        self.bindings_help: list[tuple[str, str]] = []

    def _rows(self) -> list[tuple[str, str]]:
        """(key, what it does) rows; a Binding shows as the app displays its key ("?")."""
        rows, seen = [], set()
        for item in self._given:
            if isinstance(item, Binding):
                key = self.app.get_key_display(item)
                text = item.description or item.action.replace("_", " ")
            else:
                key, text = item
            if (key, text) not in seen:
                seen.add((key, text))
                rows.append((key, text))
        return rows

    def compose(self) -> ComposeResult:
        """Keys, then the filter syntax, then the conventions."""
        self.bindings_help = self._rows()
        with VerticalScroll(id="help-dialog", classes="dialog"):
            yield Static("smstui — keys", classes="dialog-title")
            yield Static(_columns(self.bindings_help) or "[dim]No keys.[/]", id="help-keys")
            yield Static("Filter ( / )", classes="section-title")
            yield Static(_columns(FILTER_SYNTAX), id="help-filter")
            yield Static(
                "Example: [b]state:failed op:mts -err:6 phone:7916*[/]\n"
                "Times are shown in one zone, named in the header (\\[ui] timezone);\n"
                "exports and --json use ISO 8601 with that zone's offset.\n"
                "Resend always asks first (y/n); permanent failures and advised waits need an\n"
                "explicit override. In the history ↻→ID: resent as ID · ↻←ID: a resend of ID;\n"
                "R leaves out what was already resent or is advised to wait.\n"
                "[b]Stuck[/b]: not final and older than its operator's usual delivery time\n"
                "(p95 of the delivery times seen, at least 10 min); L re-asks them all.\n"
                "s breaks the rows in view down (sort: click a header, or s / S there).\n"
                "[dim]escape, ? or q closes this help; ctrl+p opens the command palette.[/]",
                id="help-notes",
            )

    def action_close(self) -> None:
        """Back to where the user was."""
        self.dismiss(None)
