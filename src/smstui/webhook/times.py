"""Gateway time values in pushes → Unix seconds (both gateways speak Moscow time, UTC+3)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from smstui.webhook.errors import MalformedPush

MOSCOW = timezone(timedelta(hours=3), "MSK")  # no DST since 2014
_FORMATS = ("%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M")
# Unix seconds outside this window are not a push time, they are garbage (or milliseconds).
_MIN_TS, _MAX_TS = 946_684_800, 4_102_444_800  # 2000-01-01 .. 2100-01-01


def parse_moscow(text: str) -> float:
    """`DD.MM.YYYY hh:mm:ss` or `YYYY-MM-DD HH:MM:SS` in Moscow time → Unix seconds."""
    value = text.strip()
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=MOSCOW).timestamp()
        except ValueError:
            continue
    raise MalformedPush(f"unreadable time {value[:40]!r}")


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
