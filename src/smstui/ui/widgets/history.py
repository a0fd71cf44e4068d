"""The message history: a virtual table that renders only the visible rows (Line API)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.message import Message as TextualMessage
from textual.strip import Strip
from textual.widget import Widget

from smstui.clock import Clock
from smstui.display import group
from smstui.model import Message
from smstui.ui.messages import BulkResendRequested, LookupRequested, ResendRequested, ShowDetail
from smstui.ui.widgets.history_cells import COLUMNS, STATE_CLASSES, Column, cell_text, fit

__all__ = ["COLUMNS", "STATE_CLASSES", "Column", "HistoryTable", "cell_text", "fit"]

Key = tuple[str, str, str]
LineKey = tuple[int, int, int, int]  # (message identity, width, cursor state, hour)
ANCHOR_SEARCH_ROWS = 20_000  # how deep to look for the row that was first when follow mode ended


class HistoryTable(Widget, can_focus=True):
    """Newest-first messages; only the visible window is ever rendered, so 100k rows are instant.

    It keeps its own window offset (`top`) instead of Textual scrolling: a scroll makes Textual
    reflow and repaint the whole screen, while moving `top` repaints this widget alone. The
    position is shown in the border subtitle ("row 12 / 100 000") instead of a scrollbar.

    Follow mode (like `less +F`): while the cursor is on the first row the table follows the
    newest message; once the user moves away it keeps the selection and counts the rows that
    arrived above (`new_above`) until the user goes back to the top (`g`/Home, or up to row 1).
    """

    WHEEL_ROWS = 3

    ALLOW_MAXIMIZE = True
    COMPONENT_CLASSES = {
        "history--header",
        "history--cursor",
        "history--cursor-blurred",
        *STATE_CLASSES.values(),
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
        # What can be done to the selected message (or, for R, to the failures in view): the
        # table posts a request; the screen and the app decide (dialogs, workers).
        Binding("enter", "detail", "Detail", id="detail"),
        Binding("r", "resend", "Resend", id="resend"),
        Binding("R", "bulk_resend", "Resend temp. fails", id="bulk_resend"),
        Binding("l", "lookup", "Look up", id="lookup"),
        Binding("c", "copy_id", "Copy id", id="copy_id"),
        Binding("C", "copy_phone", "Copy phone", id="copy_phone"),
    ]

    class Highlighted(TextualMessage):
        """The cursor moved to another message (or the table became empty)."""

        def __init__(self, message: Message | None) -> None:
            super().__init__()
            self.message = message

    class NearEnd(TextualMessage):
        """The view came within a page of the last row: older rows may be wanted."""

    class FollowChanged(TextualMessage):
        """Follow mode switched, or the count of rows that arrived above the view changed."""

        def __init__(self, following: bool, new_above: int) -> None:
            super().__init__()
            self.following = following
            self.new_above = new_above

    def __init__(
        self,
        *,
        clock: Clock,
        tz: tzinfo | None = None,
        annotate: Callable[[Message], str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._clock = clock
        self._tz = tz
        self._annotate = annotate  # a note before the text cell (resend lineage), '' for none
        self._rows: Sequence[Message] = ()
        self._cursor = 0
        self._top = 0  # index of the first row in the window
        self._selected_key: Key | None = None
        self._following = True
        self._anchor: Key | None = None  # the first row when follow mode was left
        self._new_above = 0  # rows that arrived above `_anchor` since then
        self._styles: dict[str, Style] = {}
        self._column_cache: dict[int, list[tuple[Column, int]]] = {}
        # Rendered rows by (message identity, width, cursor state, hour): scrolling back and
        # forth and cursor moves re-render only the rows that really changed.
        self._lines: LRUCache[LineKey, tuple[Message, Strip]] = LRUCache(1024)

    # ----- data -------------------------------------------------------------------------
    @property
    def rows(self) -> Sequence[Message]:
        """The messages the table shows, in display order."""
        return self._rows

    @property
    def cursor(self) -> int:
        """Index of the selected row."""
        return self._cursor

    @property
    def following(self) -> bool:
        """True while the table follows the newest row (the cursor stays on row 1)."""
        return self._following

    @property
    def new_above(self) -> int:
        """Rows that arrived above the first row of the moment follow mode was left."""
        return self._new_above

    @property
    def selected(self) -> Message | None:
        """The selected message, if any."""
        return self._rows[self._cursor] if 0 <= self._cursor < len(self._rows) else None

    def set_rows(self, rows: Sequence[Message]) -> None:
        """Show new rows: the newest when following, else the same message (by key) if present."""
        self._rows = rows
        index = 0
        if not self._following:
            found = self._locate(self._selected_key) if self._selected_key else None
            index = min(self._cursor, max(0, len(rows) - 1)) if found is None else found
            self._count_new()
        self._move_to(index, notify=True)
        self.refresh()

    def _count_new(self) -> None:
        """How far the anchor row moved down: that many rows arrived above it."""
        found = None
        if self._anchor is not None:
            # New rows land at the top, so the anchor is near it; a filter that dropped the
            # anchor would otherwise cost a walk over every row on each batch.
            for index in range(min(len(self._rows), ANCHOR_SEARCH_ROWS)):
                if self._rows[index].key == self._anchor:
                    found = index
                    break
        if found is None:  # gone (filtered out, pruned): count on from the current first row
            self._anchor = self._rows[0].key if self._rows else None
        else:
            self._set_follow(False, found)

    def _set_follow(self, following: bool, new_above: int = 0) -> None:
        if following:
            self._anchor, new_above = None, 0
        elif self._following:  # leaving follow mode: remember what was on top
            self._anchor = self._rows[0].key if self._rows else None
        if (following, new_above) != (self._following, self._new_above):
            self._following, self._new_above = following, new_above
            self.post_message(self.FollowChanged(following, new_above))

    def _user_moved(self) -> None:
        """A move by the user: on row 1 the table follows again, anywhere else it holds."""
        if self._cursor == 0:
            self._set_follow(True)
        elif self._following:
            self._set_follow(False)

    def _locate(self, key: Key) -> int | None:
        """Where `key` is now: searched outward from the old cursor (rows shift a little)."""
        rows, start, total = self._rows, self._cursor, len(self._rows)
        for distance in range(total):
            hit = False
            for index in (start + distance, start - distance):
                if 0 <= index < total:
                    hit = True
                    if rows[index].key == key:
                        return index
            if not hit:
                break
        return None

    def select_key(self, key: Key) -> bool:
        """Move the cursor to this message; False when it is not among the rows."""
        index = self._locate(key)
        if index is None:
            return False
        self._move_to(index, notify=True)
        self._user_moved()
        self.refresh()
        return True

    # ----- navigation -------------------------------------------------------------------
    def _move_to(self, index: int, *, notify: bool = False) -> None:
        total = len(self._rows)
        index = max(0, min(index, total - 1)) if total else 0
        changed = index != self._cursor or (self.selected and self.selected.key) != (
            self._selected_key
        )
        self._cursor = index
        message = self.selected
        self._selected_key = message.key if message else None
        self._scroll_cursor_into_view()
        self._update_position()
        if changed or notify:
            self.post_message(self.Highlighted(message))
        self._check_near_end()

    def _check_near_end(self) -> None:
        if self._rows and self._top + 2 * self._body_height() >= len(self._rows):
            self.post_message(self.NearEnd())

    @property
    def top(self) -> int:
        """Index of the first row shown."""
        return self._top

    def _body_height(self) -> int:
        return max(1, self.content_region.height - 1)  # minus the header line

    def _scroll_cursor_into_view(self) -> None:
        body = self._body_height()
        if self._cursor < self._top:
            self._top = self._cursor
        elif self._cursor >= self._top + body:
            self._top = self._cursor - body + 1
        self._top = max(0, min(self._top, max(0, len(self._rows) - body)))

    def _update_position(self) -> None:
        total = len(self._rows)
        text = f"{group(self._cursor + 1)} / {group(total)}" if total else ""
        if self.border_subtitle != text:
            self.border_subtitle = text

    def action_cursor(self, delta: int) -> None:
        """Move the selection up or down."""
        self._move_to(self._cursor + delta)
        self._user_moved()
        self.refresh()

    def action_page(self, direction: int) -> None:
        """Move the selection by one screenful."""
        self._move_to(self._cursor + direction * max(1, self._body_height() - 1))
        self._user_moved()
        self.refresh()

    def action_jump(self, index: int) -> None:
        """Go to the first (0: follow the newest again) or last (-1) row."""
        self._move_to(len(self._rows) - 1 if index < 0 else index)
        self._user_moved()
        self.refresh()

    # ----- what the selected message can be asked for -------------------------------------
    def _chosen(self) -> Message | None:
        """The selected message, or None with a warning toast."""
        message = self.selected
        if message is None:
            self.notify("No message selected", severity="warning", timeout=2)
        return message

    def action_detail(self) -> None:
        """Open the selected message's detail view."""
        if (m := self._chosen()) is not None:
            self.post_message(ShowDetail(m))

    def action_resend(self) -> None:
        """Resend the selected message (the app confirms first: it costs money)."""
        if (m := self._chosen()) is not None:
            self.post_message(ResendRequested(m))

    def action_bulk_resend(self) -> None:
        """Resend the failures in view that the policy allows (after one confirmation)."""
        self.post_message(BulkResendRequested(self._rows))

    def action_lookup(self) -> None:
        """Ask now for the selected message's status and its number's operator."""
        if (m := self._chosen()) is not None:
            self.post_message(LookupRequested(m))

    def action_copy_id(self) -> None:
        """Copy the selected message's id (OSC 52: the terminal's clipboard)."""
        if (m := self._chosen()) is not None:
            self.app.copy_to_clipboard(m.message_id)
            self.notify(f"Copied id {m.message_id}", timeout=2)

    def action_copy_phone(self) -> None:
        """Copy the selected message's phone number."""
        if (m := self._chosen()) is not None:
            self.app.copy_to_clipboard(m.phone)
            self.notify(f"Copied phone {m.phone}", timeout=2)

    def on_click(self, event: events.Click) -> None:
        """Select the clicked row (the mouse is optional, but it should work)."""
        row = self._top + event.y - 1
        if event.y >= 1 and 0 <= row < len(self._rows):
            self._move_to(row)
            self._user_moved()
            self.refresh()

    # ----- rendering --------------------------------------------------------------------
    def forget_lines(self) -> None:
        """Render every row afresh (a row's note changed while its message did not)."""
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        """Theme or CSS changed: forget the cached rich styles."""
        self._styles.clear()
        self._lines.clear()
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def _columns(self, width: int) -> list[tuple[Column, int]]:
        cached = self._column_cache.get(width)
        if cached is None:
            shown = [c for c in COLUMNS if width >= c.min_total]
            fixed = sum(c.width for c in shown) + len(shown) - 1
            cached = [(c, c.width or max(4, width - fixed)) for c in shown]
            self._column_cache = {width: cached}  # one width at a time
        return cached

    def _base(self) -> Style:
        # rich_style walks the DOM (~0.1 ms); it only changes with CSS/theme/focus, all of which
        # go through notify_style_update, which clears this cache.
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def render_line(self, y: int) -> Strip:
        """One screen line: the header at y=0, otherwise the message at that window position."""
        width = self.content_region.width
        index = self._top + y - 1
        if y == 0:
            base = self._base()
            text = " ".join(fit(c.label, w, c.right) for c, w in self._columns(width))
            return Strip([Segment(fit(text, width), base + self._style("history--header"))])
        if index >= len(self._rows):
            return Strip.blank(width, self._base())
        message = self._rows[index]
        day = int(self._clock.now() // 3600)  # "today" in time_text can only change hourly (tz)
        flag = 0 if index != self._cursor else (1 if self.has_focus else 2)
        cache_key = (id(message), width, flag, day)
        hit = self._lines.get(cache_key)
        if hit is not None and hit[0] is message:  # identity check: ids are reused after GC
            return hit[1]
        strip = self._render_row(message, index, self._columns(width), width, self._base())
        self._lines[cache_key] = (message, strip)
        return strip

    def _render_row(
        self,
        message: Message,
        index: int,
        columns: list[tuple[Column, int]],
        width: int,
        base: Style,
    ) -> Strip:
        if index == self._cursor:
            cursor = "history--cursor" if self.has_focus else "history--cursor-blurred"
            row_style = base + self._style(cursor)
        else:
            row_style = base
        now = self._clock.now()
        segments: list[Segment] = []
        for i, (column, w) in enumerate(columns):
            text = cell_text(message, column.name, now, self._tz)
            if column.name == "text" and self._annotate is not None:
                note = self._annotate(message)
                text = f"{note} {text}" if note else text
            text = fit(text, w, column.right)
            style = row_style
            if column.name == "state" and index != self._cursor:
                style = row_style + self._style(STATE_CLASSES[message.state])
            segments.append(Segment(text if i == 0 else " " + text, style))
        used = sum(len(s.text) for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), row_style))
        return Strip(segments, width).crop(0, width)

    def on_resize(self) -> None:
        """Keep the cursor visible after a resize."""
        self._scroll_cursor_into_view()
        self.refresh()

    def _wheel(self, rows: int) -> None:
        body = self._body_height()
        self._top = max(0, min(self._top + rows, max(0, len(self._rows) - body)))
        self._check_near_end()
        self.refresh()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        """The wheel moves the window (the selection stays where it is)."""
        event.stop()
        self._wheel(self.WHEEL_ROWS)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        """The wheel moves the window (the selection stays where it is)."""
        event.stop()
        self._wheel(-self.WHEEL_ROWS)

    def on_focus(self) -> None:
        """Redraw the cursor in its focused colour."""
        self.refresh()

    def on_blur(self) -> None:
        """Redraw the cursor in its unfocused colour."""
        self.refresh()
