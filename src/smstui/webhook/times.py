"""Gateway time values in pushes → Unix seconds (both gateways speak Moscow time, UTC+3)."""

from __future__ import annotations

from smstui.moscow import parse_moscow as _parse_moscow
from smstui.webhook.errors import MalformedPush

# Unix seconds outside this window are not a push time, they are garbage (or milliseconds).
_MIN_TS, _MAX_TS = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01


def parse_moscow(text: str) -> float:
    """`DD.MM.YYYY hh:mm[:ss]` or `YYYY-MM-DD hh:mm[:ss]` in Moscow time → Unix seconds."""
    try:
        return _parse_moscow(text, time_required=True)
    except ValueError:
        raise MalformedPush(f"unreadable time {text.strip()[:40]!r}") from None


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
