"""The live feed: changes since launch in event order, merged across sources, pausable."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message as TextualMessage
from textual.scroll_view import ScrollView
from textual.strip import Strip

from smstui.display import clock, group
from smstui.model import AppliedChange, DeliveryState, Message, StatusChange
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
        if isinstance(item, AppliedChange):  # the status change it applied, else the message
            item = item.change if item.change is not None else item.after
        if isinstance(item, StatusChange):
            return cls(
                item.at,
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


FEED_GRACE_S = 5.0  # gateway times have whole seconds: a change this close to launch is live


@dataclass(frozen=True, slots=True)
class FeedColumn:
    """One feed column: its label, the width it needs, and what it grows to."""

    name: str
    label: str
    min: int
    max: int
    right: bool = False


# In the order they are dropped last-to-first when the pane is narrow: time, state and phone
# always fit at 120 columns; account, source and error follow when there is room.
FEED_COLUMNS = (
    FeedColumn("time", "time", 8, 8),
    FeedColumn("state", "state", 9, 9),
    FeedColumn("phone", "phone", 11, 12),
    FeedColumn("account", "account", 6, 14),
    FeedColumn("source", "via", 5, 7),
    FeedColumn("error", "err", 3, 4, right=True),
)


def feed_layout(width: int) -> list[tuple[FeedColumn, int]]:
    """Which columns fit in `width` cells and how wide each is (no column narrower than its min)."""
    shown: list[FeedColumn] = []
    used = -1  # n columns need n-1 separating spaces
    for column in FEED_COLUMNS:
        if used + 1 + column.min > width:
            break
        shown.append(column)
        used += 1 + column.min
    widths = [c.min for c in shown]
    spare = width - used
    for i, column in enumerate(shown):  # grow in order up to each column's max
        grow = min(spare, column.max - column.min)
        widths[i] += grow
        spare -= grow
    return list(zip(shown, widths, strict=True))


MergeKey = tuple[str, str, DeliveryState, float]


def merge_key(entry: FeedEntry) -> MergeKey:
    """The same change seen twice (poll and webhook, or a push that created the message)."""
    return (entry.account, entry.message_id, entry.state, entry.at)


class LiveFeed(ScrollView, can_focus=True):
    """Changes since launch, newest event first, one line each; `toggle_pause()` freezes it.

    Changes that happened before launch (the first history pages, an old pending message) are
    not news: they are counted in the summary line at the bottom, with what the cache held.
    Paused, the feed draws nothing new: what arrives waits (the title's "N new" moves only
    when `refresh_summary()` is called, the screen's slow tick), and appears on resume.
    """

    class PauseChanged(TextualMessage):
        """The feed was paused or resumed: the screen holds still, or catches up."""

        def __init__(self, paused: bool) -> None:
            super().__init__()
            self.paused = paused

    ALLOW_MAXIMIZE = True
    COMPONENT_CLASSES = {"feed--time", "feed--header", "feed--summary", *STATE_CLASSES.values()}
    BINDINGS = [Binding("space", "pause", "Pause feed", id="pause")]

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        capacity: int = FEED_CAPACITY,
        launched_at: float | None = None,
        phone_of: Callable[[str, str], str] | None = None,
        held: Callable[[], int] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self._held = held  # changes the screen holds back for the feed while paused
        self._tz = tz
        self._capacity = capacity
        self.launched_at = launched_at
        self._phone_of = phone_of
        self._entries: list[FeedEntry] = []  # oldest event first (bisect keeps the order)
        self._by_key: dict[MergeKey, FeedEntry] = {}
        self._waiting: list[FeedEntry] = []
        self._paused = False
        self.held_at_start = 0  # messages in the cache at launch
        self.caught_up = 0  # changes seen after launch that happened before it
        self._styles: dict[str, Style] = {}
        self._update_title()

    @property
    def paused(self) -> bool:
        """True while the view is frozen."""
        return self._paused

    @property
    def waiting(self) -> int:
        """How many changes arrived while paused (shown as 'N new'): here and held upstream."""
        held = self._held() if self._held is not None and self._paused else 0
        return len(self._waiting) + held

    @property
    def entries(self) -> list[FeedEntry]:
        """The shown lines, newest event first."""
        return self._entries[::-1]

    def summary(self) -> str:
        """The bottom line: what the cache held at launch and what was caught up since."""
        when = "" if self.launched_at is None else f" {clock(self.launched_at, tz=self._tz)}"
        text = f"launched{when} · cache held {group(self.held_at_start)}"
        if self.caught_up:
            text += f" · +{group(self.caught_up)} earlier changes"
        return text

    def add(self, items: Iterable[object]) -> None:
        """Take store changes: one line per change, merged, in event order; earlier ones counted.

        Raises TypeError for anything that is not a store change (checked before any is taken).
        """
        entries = [self._entry(item) for item in items]
        if not entries:
            return
        fresh = []
        for entry in entries:
            if self.launched_at is not None and entry.at < self.launched_at - FEED_GRACE_S:
                self.caught_up += 1
            else:
                fresh.append(entry)
        if self._paused:  # nothing is drawn while paused: not even the count (refresh_summary)
            self._waiting.extend(fresh)
            return
        self._take(fresh)
        self._sync()

    def _entry(self, item: object) -> FeedEntry:
        entry = FeedEntry.of(item)
        if not entry.phone and self._phone_of is not None:
            # Webcom pushes carry no phone: the message's phone from the cache, else blank.
            phone = self._phone_of(entry.account, entry.message_id)
            if phone:
                entry = replace(entry, phone=phone)
        return entry

    def _take(self, entries: Iterable[FeedEntry]) -> None:
        for entry in entries:
            key = merge_key(entry)
            seen = self._by_key.get(key)
            if seen is not None:  # the same change again: one line naming both sources
                sources = [x for x in (seen.source, entry.source) if x and x != "new"]
                merged = "+".join(dict.fromkeys(sources)) or seen.source
                if merged != seen.source:
                    fused = replace(seen, source=merged, phone=seen.phone or entry.phone)
                    self._entries[self._entries.index(seen)] = fused
                    self._by_key[key] = fused
                continue
            bisect.insort(self._entries, entry, key=lambda e: e.at)
            self._by_key[key] = entry
        while len(self._entries) > self._capacity:
            self._by_key.pop(merge_key(self._entries.pop(0)), None)

    def toggle_pause(self) -> bool:
        """Pause or resume; on resume the held-back changes appear. Returns the new state.

        Posts PauseChanged, so the screen holds (or releases) what it shows too.
        """
        self._paused = not self._paused
        if not self._paused:
            self._take(self._waiting)
            self._waiting = []
            self._sync()
        self._update_title()
        self.post_message(self.PauseChanged(self._paused))
        return self._paused

    def action_pause(self) -> None:
        """Pause or resume; the title says which (a toast would be more output to hold)."""
        self.toggle_pause()

    def refresh_summary(self) -> None:
        """Bring the paused title's count up to date (the screen calls it every few seconds)."""
        self._update_title()

    def _sync(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._entries) + 2)  # header + summary
        self.refresh()

    def _update_title(self) -> None:
        title = (
            f"PAUSED · {group(self.waiting)} new · space: resume" if self._paused else "Live feed"
        )
        if self.border_title != title:  # a title change repaints the whole pane
            self.border_title = title
        self.set_class(self._paused, "-paused")

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
        """The header on top (it never scrolls away), then lines newest first, then the summary."""
        width = self.scrollable_content_region.width
        base = self._styles.get("")
        if base is None:  # rich_style walks the DOM; cleared with the other styles
            base = self._styles[""] = self.rich_style
        columns = feed_layout(width)
        if y == 0:
            text = " ".join(fit(c.label, w, c.right) for c, w in columns)
            return Strip([Segment(fit(text, width), base + self._style("feed--header"))])
        index = int(self.scroll_y) + y - 1
        if index == len(self._entries):
            text = fit(self.summary(), width)
            return Strip([Segment(text, base + self._style("feed--summary"))])
        if index > len(self._entries):
            return Strip.blank(width, base)
        entry = self._entries[-1 - index]
        segments = []
        for i, (column, w) in enumerate(columns):
            style = base
            if column.name == "time":
                text = clock(entry.at, tz=self._tz, sec=True)
                style = base + self._style("feed--time")
            elif column.name == "state":
                text = entry.state.value
                style = base + self._style(STATE_CLASSES[entry.state])
            elif column.name == "error":
                text = str(entry.error_code) if entry.error_code else ""  # 0 means no error
            else:
                text = getattr(entry, column.name)
            segments.append(Segment(("" if i == 0 else " ") + fit(text, w, column.right), style))
        return Strip(segments).adjust_cell_length(width, base).crop(0, width)

    def on_resize(self) -> None:
        """Keep the virtual size in step with the widget's width."""
        self.virtual_size = Size(self.size.width, len(self._entries) + 2)
