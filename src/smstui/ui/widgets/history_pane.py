"""The history with its filter bar: `/` opens the bar, escape closes it, enter applies it.

The bar does not parse: it posts what was typed and the screen answers with `show_error` when
the text is not a filter (the screen owns the filter's meaning: its stuck thresholds, now).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Input

from smstui.ui.widgets.history import HistoryTable

PLACEHOLDER = "filter: state:failed op:mts err:6 phone:+7 916 123-45-67 text"


class FilterBar(Input):
    """The filter input, hidden until `/`; it keeps the applied text for the next edit."""

    BINDINGS = [Binding("escape", "close", "Clear filter", id="clear_filter")]

    class Applied(TextualMessage):
        """Enter in the bar: filter the history by `text` ('' drops the filter)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__(placeholder=PLACEHOLDER, id="filter", classes="-hidden")
        self.cursor_blink = False  # snapshots are stable; a blinking cursor is output over SSH

    def open(self, text: str) -> None:
        """Show the bar with `text` in it, focused."""
        self.remove_class("-hidden")
        self.value = text
        self.focus()

    def show_error(self, reason: str) -> None:
        """The text is not a filter: keep the bar open and say why."""
        self.add_class("-error")
        self.tooltip = reason
        self.notify(reason, title="Filter", severity="error")

    def accepted(self) -> None:
        """The text was applied: hide the bar."""
        self.remove_class("-error")
        self.add_class("-hidden")
        self.tooltip = None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: ask the screen to apply the text."""
        event.stop()
        self.post_message(self.Applied(event.value.strip()))

    def action_close(self) -> None:
        """Escape: hide the bar and drop the filter."""
        self.accepted()
        self.post_message(self.Applied(""))


class HistoryPane(Vertical):
    """The history table under its filter bar; `/` (anywhere in the pane) opens the bar."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "clear", "Clear filter", show=False, id="clear_filter"),
    ]

    def __init__(self, table: HistoryTable, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._table = table
        self.filter_text = ""  # what the applied filter was typed as

    def compose(self) -> ComposeResult:
        """The bar above the table."""
        yield FilterBar()
        yield self._table

    @property
    def bar(self) -> FilterBar:
        """The filter bar."""
        return self.query_one(FilterBar)

    def action_filter(self) -> None:
        """`/`: open the bar with the current filter in it."""
        self.bar.open(self.filter_text)

    def action_clear(self) -> None:
        """Escape in the table: drop the filter (nothing to do without one)."""
        if self.filter_text:
            self.post_message(FilterBar.Applied(""))
