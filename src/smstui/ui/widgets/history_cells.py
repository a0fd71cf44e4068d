"""How one history row is laid out and worded: columns, cell texts, fitting (no Textual)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from smstui.display import money
from smstui.model import DeliveryState, Message, placed_at


@dataclass(frozen=True)
class Column:
    """One history column: header label, width (0 = takes the rest) and alignment."""

    name: str
    label: str
    width: int
    right: bool = False
    min_total: int = 0  # hide this column when the widget is narrower than this


COLUMNS = (
    Column("time", "time", 11),
    Column("account", "account", 10),
    Column("phone", "phone", 12),
    Column("state", "state", 9),
    Column("error", "err", 4, right=True),
    Column("operator", "operator", 10, min_total=80),
    Column("cost", "cost", 6, right=True),
    Column("text", "text", 0),
)
NO_REASON = "—"  # failed, and the gateway named no reason (Webcom's statuses never do)
STATE_CLASSES = {state: f"history--state-{state.value}" for state in DeliveryState}


def time_text(ts: float | None, now: float, tz: tzinfo | None) -> str:
    """HH:MM:SS for today's messages, DD.MM HH:MM for older ones, blank when unknown."""
    if ts is None:
        return ""
    when, today = datetime.fromtimestamp(ts, tz), datetime.fromtimestamp(now, tz)
    return when.strftime("%H:%M:%S" if when.date() == today.date() else "%d.%m %H:%M")


def cell_text(message: Message, column: str, now: float, tz: tzinfo | None) -> str:
    """The text one column shows for one message."""
    if column == "time":  # a message first seen through a push: when it was seen
        return time_text(placed_at(message), now, tz)
    if column == "state":
        return message.state.value
    if column == "error":
        if message.error_code:  # 0 = no error
            return str(message.error_code)
        return NO_REASON if message.state.is_failure else ""
    if column == "cost":
        return "" if message.cost is None else money(message.cost)
    if column == "text":
        return " ".join(message.text.split())  # newlines would break the one-line row
    return str(getattr(message, column))


def fit(text: str, width: int, right: bool = False) -> str:
    """Pad or cut text to exactly `width` cells (cut text ends in an ellipsis)."""
    if len(text) > width:
        text = text[: max(0, width - 1)] + "…" if width > 0 else ""
    return text.rjust(width) if right else text.ljust(width)
