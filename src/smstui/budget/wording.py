"""A refusal in words: which limit or back-off, and when to ask again (local and relative time)."""

from __future__ import annotations

import math
from datetime import datetime

from smstui.budget.limits import Limit


def per_window(seconds: float) -> str:
    """60 → "minute", 3600 → "hour", 10 → "10 s"."""
    named = {60.0: "minute", 3600.0: "hour", 86400.0: "day"}
    return named.get(float(seconds)) or duration(seconds)


def duration(seconds: float) -> str:
    """A wait rounded up to the second: "42 s", "1 min 5 s", "29 min", "2 h 5 min"."""
    s = max(0, math.ceil(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, s = divmod(s, 60)
        return f"{m} min {s} s" if s else f"{m} min"
    h, rest = divmod(s, 3600)
    m = math.ceil(rest / 60)
    if m == 60:
        h, m = h + 1, 0
    return f"{h} h {m} min" if m else f"{h} h"


def local_time(at: float, now: float) -> str:
    """The moment in local time: "05:51:12" today, with the date on another day."""
    when, today = datetime.fromtimestamp(at), datetime.fromtimestamp(now)
    return when.strftime("%H:%M:%S" if when.date() == today.date() else "%Y-%m-%d %H:%M:%S")


def ask_again(at: float, now: float) -> str:
    """ "ask again in 42 s (05:51:12)"."""
    return f"ask again in {duration(at - now)} ({local_time(at, now)})"


def row_text(row: Limit) -> str:
    """ "the balance limit (10 per minute)", margins named as smstui's own."""
    mine = ", smstui's safety margin" if row.layer == "margin" else ""
    return f"the {row.endpoint} limit ({row.max} per {per_window(row.window_s)}{mine})"
