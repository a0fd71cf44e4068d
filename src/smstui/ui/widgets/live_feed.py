"""The live feed of status changes: bounded, newest first, colour by state, pausable."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from smstui.model import DeliveryState, Message, StatusChange
from smstui.ui.widgets.history_cells import STATE_CLASSES, fit

FEED_CAPACITY = 500


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One line of the feed: a status change or a newly seen message."""

    at: float
    account: str
    message_id: str
    phone: str
    state: DeliveryState
    source: str = ""
    error_code: int | None = None

    @classmethod
    def of(cls, item: object) -> FeedEntry:
        """The feed line for a store change: AppliedChange, StatusChange or a new Message."""
        change = getattr(item, "change", None)  # the store's AppliedChange carries both
        if change is not None or hasattr(item, "after"):
            item = change if change is not None else item.after  # type: ignore[attr-defined]
        if isinstance(item, StatusChange):
            at = item.observed_at if item.observed_at is not None else item.at
            return cls(
                at,
                item.account,
                item.message_id,
                item.phone,
                item.state,
                item.source.value,
                item.error_code,
            )
        if not isinstance(item, Message):
            raise TypeError(f"not a store change: {type(item).__name__}")
        at = item.updated_at or item.sent_at or 0.0
        return cls(
            at, item.account, item.message_id, item.phone, item.state, "new", item.error_code
        )


STALE_S = 600.0  # a status older than this when first seen is history, not news


def is_news(item: object, now: float) -> bool:
    """False for a message first seen already settled long ago (the first history poll)."""
    if getattr(item, "kind", None) != "inserted" or getattr(item, "change", None) is not None:
        return True
    after = getattr(item, "after", None)
    if not isinstance(after, Message) or not after.state.is_final:
        return True
    changed = after.updated_at if after.updated_at is not None else after.sent_at
    return changed is None or now - changed <= STALE_S


class LiveFeed(ScrollView, can_focus=True):
    """Status changes as they arrive; `pause()` freezes the view and counts what waits."""

    ALLOW_MAXIMIZE = True
    COMPONENT_CLASSES = {"feed--time", *STATE_CLASSES.values()}

    def __init__(self, *, tz: tzinfo | None = None, capacity: int = FEED_CAPACITY, **kw) -> None:
        super().__init__(**kw)
        self._tz = tz
        # Raw store changes, turned into FeedEntry lines only when drawn: a batch of 1,000
        # changes costs a deque extend, and only the ~30 visible lines are ever converted.
        self._entries: deque[object] = deque(maxlen=capacity)
        self._waiting: deque[object] = deque(maxlen=capacity)
        self._waiting_count = 0
        self._paused = False
        self._styles: dict[str, Style] = {}
        self._update_title()

    @property
    def paused(self) -> bool:
        """True while the view is frozen."""
        return self._paused

    @property
    def waiting(self) -> int:
        """How many changes arrived while paused (shown as 'N new')."""
        return self._waiting_count

    @property
    def entries(self) -> list[FeedEntry]:
        """The shown lines, newest first."""
        return [FeedEntry.of(item) for item in reversed(self._entries)]

    def add(self, items: Iterable[object]) -> None:
        """Append changes; while paused they wait (nothing is lost, only held back).

        Raises TypeError for anything that is not a store change (checked up front, cheaply).
        """
        entries = list(items)
        for item in entries:
            if not (hasattr(item, "after") or isinstance(item, (StatusChange, Message))):
                raise TypeError(f"not a store change: {type(item).__name__}")
        if not entries:
            return
        if self._paused:
            self._waiting.extend(entries)
            self._waiting_count += len(entries)
            self._update_title()
            return
        self._entries.extend(entries)
        self._sync()

    def toggle_pause(self) -> bool:
        """Pause or resume; on resume the held-back changes appear. Returns the new state."""
        self._paused = not self._paused
        if not self._paused:
            self._entries.extend(self._waiting)
            self._waiting.clear()
            self._waiting_count = 0
            self._sync()
        self._update_title()
        return self._paused

    def _sync(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._entries))
        self.refresh()

    def _update_title(self) -> None:
        if self._paused:
            self.border_title = f"PAUSED · {self._waiting_count} new"
            self.add_class("-paused")
        else:
            self.border_title = "Live feed"
            self.remove_class("-paused")

    def notify_style_update(self) -> None:
        """Theme changed: forget cached styles."""
        self._styles.clear()
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name, partial=True)
        return style

    def render_line(self, y: int) -> Strip:
        """One feed line, newest at the top."""
        width = self.scrollable_content_region.width
        index = int(self.scroll_y) + y
        base = self._styles.get("")
        if base is None:  # rich_style walks the DOM; cleared with the other styles
            base = self._styles[""] = self.rich_style
        if index >= len(self._entries):
            return Strip.blank(width, base)
        entry = FeedEntry.of(self._entries[-1 - index])
        stamp = datetime.fromtimestamp(entry.at, self._tz).strftime("%H:%M:%S")
        err = f" err {entry.error_code}" if entry.error_code else ""  # 0 means no error
        tail = f" {entry.phone or entry.message_id} {entry.account} {entry.source}{err}"
        segments = [
            Segment(stamp + " ", base + self._style("feed--time")),
            Segment(fit(entry.state.value, 9), base + self._style(STATE_CLASSES[entry.state])),
            Segment(tail, base),
        ]
        return Strip(segments).adjust_cell_length(width, base).crop(0, width)

    def on_resize(self) -> None:
        """Keep the virtual size in step with the widget's width."""
        self.virtual_size = Size(self.size.width, len(self._entries))
