"""Gateway time values in pushes → Unix seconds (both gateways speak Moscow time, UTC+3)."""

from __future__ import annotations

import calendar
import functools
import re
from datetime import datetime, timedelta, timezone

from smstui.webhook.errors import MalformedPush

MOSCOW = timezone(timedelta(hours=3), "MSK")  # no DST since 2014
_MSK_OFFSET_S = 3 * 3600
# `DD.MM.YYYY hh:mm[:ss]` or `YYYY-MM-DD hh:mm[:ss]`; a regex instead of strptime, which costs
# ~10 µs a try and was most of the time of an 18,000-entry Webcom batch.
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?", re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?", re.ASCII)
# Unix seconds outside this window are not a push time, they are garbage (or milliseconds).
_MIN_TS, _MAX_TS = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01


def parse_moscow(text: str) -> float:
    """`DD.MM.YYYY hh:mm:ss` or `YYYY-MM-DD HH:MM:SS` in Moscow time → Unix seconds."""
    return _moscow(text.strip())


@functools.lru_cache(maxsize=4096)  # a batch repeats its times; errors are not cached
def _moscow(value: str) -> float:
    found = _DMY.fullmatch(value)
    if found:
        day, month, year, hour, minute, second = found.groups()
    else:
        found = _YMD.fullmatch(value)
        if not found:
            raise MalformedPush(f"unreadable time {value[:40]!r}")
        year, month, day, hour, minute, second = found.groups()
    parts = (int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    try:
        datetime(*parts)  # validates the calendar (no 30 February, no hour 24)
    except ValueError:
        raise MalformedPush(f"unreadable time {value[:40]!r}") from None
    return float(calendar.timegm(parts) - _MSK_OFFSET_S)


def parse_unix(text: str) -> float:
    """A Unix-seconds value sent as text → float; MalformedPush if it is not a plausible one."""
    value = text.strip()
    try:
        ts = float(int(value))
    except ValueError:
        raise MalformedPush(f"unreadable timestamp {value[:40]!r}") from None
    if not _MIN_TS <= ts <= _MAX_TS:
        raise MalformedPush(f"timestamp out of range: {value[:40]!r}")
    return ts


def parse_any_time(text: str) -> float:
    """Unix seconds as digits, or a Moscow date string (SMSC leaves the form open, Q21)."""
    value = text.strip()
    return parse_unix(value) if value.isdigit() else parse_moscow(value)


def is_ahead(at: float, received: float, max_ahead_s: float) -> bool:
    """True when a pushed time lies more than `max_ahead_s` after its receipt (then clamped).

    Neither gateway signs the time (SMSC's hash covers id:phone:status; Webcom signs nothing),
    so a forged or skewed future time would otherwise outrank every true status after it.
    """
    return at - received > max_ahead_s
