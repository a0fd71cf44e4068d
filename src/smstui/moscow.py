"""Moscow time, the zone both gateways speak: defined, parsed and written for the wire here.

What people read is in the display zone ([ui] timezone) instead: smstui.display.
"""

from __future__ import annotations

import calendar
import functools
import re
from datetime import datetime, timedelta, timezone

MSK = timezone(timedelta(hours=3), "MSK")
"""Moscow time: UTC+3, no daylight saving since 2014."""

_OFFSET_S = 3 * 3600
_TIME = r"(?:(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"
# `DD.MM.YYYY[ hh:mm[:ss]]` (SMSC) or `YYYY-MM-DD[ |T]hh:mm[:ss]` (Webcom). A regex instead of
# strptime over a list of formats: strptime costs ~10 µs a try, and an 18,000-entry Webcom push
# batch spent most of its time there.
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME, re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME, re.ASCII)


def parse_moscow(text: str, *, time_required: bool = False) -> float:
    """A Moscow date (and time of day) as either gateway writes it → Unix seconds.

    ValueError when the text is not one of those forms or not a real calendar moment (30
    February, hour 24). `time_required` refuses a bare date (a status time needs the hour).
    """
    return _parse(text.strip(), time_required)


@functools.lru_cache(maxsize=4096)  # a batch repeats its times; errors are not cached
def _parse(value: str, time_required: bool) -> float:
    found = _DMY.fullmatch(value)
    if found:
        day, month, year, hour, minute, second = found.groups()
    else:
        found = _YMD.fullmatch(value)
        if not found:
            raise ValueError(f"unreadable Moscow time {value[:40]!r}")
        year, month, day, hour, minute, second = found.groups()
    if hour is None and time_required:
        raise ValueError(f"no time of day in {value[:40]!r}")
    parts = (int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    try:
        datetime(*parts)  # validates the calendar
    except ValueError:
        raise ValueError(f"no such moment {value[:40]!r}") from None
    return float(calendar.timegm(parts) - _OFFSET_S)


def format_moscow(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Unix seconds written in Moscow time with a strftime format (request parameters)."""
    return datetime.fromtimestamp(ts, MSK).strftime(fmt)
