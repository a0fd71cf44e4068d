"""How smstui writes times, money and counts for people: one zone, one clock, one money format.

The UI, the CLI tables, CSV and JSON exports all call this module; nothing else formats a
moment, an amount of money or a counted word, or groups digits. The display zone is
`[ui] timezone` (default: the machine's zone). JSON carries ISO 8601 with the offset, never
a raw Unix time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.tz import tzlocal

from smstui.codes import smsc_error
from smstui.model import NumberInfo
from smstui.moscow import MSK

LOCAL = "local"
MINUS = "\u2212"  # a real minus sign: a hyphen before money reads as a dash at a glance
UNKNOWN = "—"  # what money() shows for an amount nobody told us
_CENT = Decimal("0.01")
_zone: tzinfo | None = None  # set once from the config (use_zone); None: the machine's zone


def resolve_zone(name: str | None) -> tzinfo:
    """`local` (or None) → the machine's zone; `UTC`, `MSK` or an IANA name (Europe/Berlin).

    ValueError names the zone when it is unknown.
    """
    if name is None or name.strip().lower() == LOCAL:
        return _machine_zone()
    name = name.strip()
    if name.upper() == "UTC":
        return UTC
    if name.upper() == "MSK":
        return MSK
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = "use local, UTC, MSK or an IANA name"
        raise ValueError(f"unknown time zone {name!r} ({hint})") from None


def use_zone(zone: tzinfo | None) -> None:
    """Make `zone` the display zone of this process (None: back to the machine's zone)."""
    global _zone
    _zone = zone


def zone() -> tzinfo:
    """The display zone."""
    return _zone if _zone is not None else _machine_zone()


def _machine_zone() -> tzinfo:
    local: tzinfo = tzlocal()  # dateutil ships no types; tzlocal is a tzinfo
    return local


def zone_name(tz: tzinfo | None = None, at: float | None = None) -> str:
    """The zone's short name at a moment ("MSK", "UTC", "CET"), else its offset ("+05")."""
    moment = datetime.fromtimestamp(0 if at is None else at, tz or zone())
    name = moment.tzname() or ""
    if not name or name.startswith(("+", "-")) or (name.startswith("UTC") and len(name) > 3):
        offset = moment.strftime("%z")
        return f"UTC{offset[:3]}" + (f":{offset[3:]}" if offset[3:] != "00" else "")
    return name


def group(n: int | float) -> str:
    """A whole number with its thousands grouped by a space: 2066 → "2 066"."""
    return f"{round(n):,}".replace(",", " ")


def money(amount: Decimal | float | int | None, currency: str = "") -> str:
    """Money for people: "43 781.90", "−11 073.60 RUB"; "—" when the amount is unknown.

    Two decimals rounded half up, thousands grouped by a space, a real minus sign, the
    currency after the number when given. Exports keep machine values (`money_value`).
    """
    if amount is None:
        return UNKNOWN
    cents = _cents(amount)
    text = f"{MINUS if cents < 0 else ''}{abs(cents):,.2f}".replace(",", " ")
    return f"{text} {currency}" if currency else text


def money_rate(spent_per_h: Decimal | float | int, currency: str = "") -> str:
    """A burn rate as the balance's change per hour: 11073.6 spent → "−11 073.60/h"."""
    return f"{money(-_cents(spent_per_h), currency)}/h"


def money_value(amount: Decimal | float | int | None) -> str | None:
    """Money for machines (CSV, JSON): "-11073.60", two places or more, no grouping; None: unknown.

    Never rounded: a price of 1.245 per part stays 1.245 for the books to add up.
    """
    if amount is None:
        return None
    value = _decimal(amount)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(_CENT)
    return f"{value + 0:f}"  # + 0 turns -0.00 into 0.00


def _cents(amount: Decimal | float | int) -> Decimal:
    return _decimal(amount).quantize(_CENT, rounding=ROUND_HALF_UP) + 0  # + 0: no -0.00


def _decimal(amount: Decimal | float | int) -> Decimal:
    # str() first: Decimal(2.3) would carry the float's binary error into the rounding
    return Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count and its word: "1 row", "0 rows", "2 066 rows" (`many` for irregular plurals)."""
    return f"{group(n)} {word if n == 1 else (many or word + 's')}"


def utc_zone(offset: str) -> str:
    """A number's UTC offset as people read it: "+7" → "UTC+7"; "" (unknown) stays ""."""
    return f"UTC{offset}" if offset else ""


def number_rows(info: NumberInfo) -> list[tuple[str, str]]:
    """What a look-up found, as (label, value) rows in one order and one wording everywhere
    (the CLI, the detail view, the toasts). Names stay as the gateway gave them; raw ids
    (the HLR request id, IMSI, MSC) are for `--json` only."""
    rows = [
        ("Operator", info.operator),
        ("Region", info.region),
        ("Country", info.country),
        ("Time zone", utc_zone(info.timezone)),
        ("MCC/MNC", "/".join(p for p in (info.mcc, info.mnc) if p)),
        ("Reachable", _reachable(info)),
        ("Roaming", info.roaming),
    ]
    return [(label, value) for label, value in rows if value]


def number_source(info: NumberInfo) -> str:
    """Where the answer comes from: the network's own names (HLR) or the numbering plan."""
    if is_hlr(info):
        return "live HLR query (names as the network reports them)"
    return "numbering plan (names as the gateway lists them)"


def is_hlr(info: NumberInfo) -> bool:
    """True for the answer of a live HLR query (it names reachability or its request)."""
    return info.reachable is not None or any(k == "hlr_id" for k, _ in info.extra)


def _reachable(info: NumberInfo) -> str:
    if info.reachable is True:
        return "yes"
    err = next((v for k, v in info.extra if k == "err"), "")
    if info.reachable is False:
        return f"no: {smsc_error(err).en} (err {err})" if err and err != "0" else "no"
    return "not known yet (the network has not answered)" if is_hlr(info) else ""


def clock(
    ts: float, now: float | None = None, tz: tzinfo | None = None, *, sec: bool = False
) -> str:
    """Time of day ("05:51", `sec`: "05:51:12"); "12-01 05:51" when not on `now`'s day."""
    tz = tz or zone()
    when = datetime.fromtimestamp(ts, tz)
    fmt = "%H:%M:%S" if sec else "%H:%M"
    if now is not None and when.date() != datetime.fromtimestamp(now, tz).date():
        fmt = "%m-%d " + fmt  # ISO order, short enough for a table column
    return when.strftime(fmt)


def stamp(ts: float | None, tz: tzinfo | None = None) -> str:
    """Date and time for tables and CSV ("2026-12-01 05:51:12"), blank when unknown."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz or zone()).strftime("%Y-%m-%d %H:%M:%S")


def iso(ts: float | None, tz: tzinfo | None = None) -> str | None:
    """ISO 8601 with the offset, for JSON ("2026-12-01T05:51:12+03:00"); None when unknown."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz or zone()).isoformat(timespec="seconds")


def duration(seconds: float) -> str:
    """A span rounded up to the second: "42 s", "1 min 5 s", "29 min", "2 h 5 min", "3 d 2 h"."""
    s = max(0, math.ceil(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, s = divmod(s, 60)
        return f"{m} min {s} s" if s else f"{m} min"
    if s < 48 * 3600:
        h, rest = divmod(s, 3600)
        m = math.ceil(rest / 60)
        if m == 60:
            h, m = h + 1, 0
        return f"{h} h {m} min" if m else f"{h} h"
    d, rest = divmod(s, 86400)
    h = round(rest / 3600)
    return f"{d} d {h} h" if h else f"{d} d"


def short_duration(seconds: float) -> str:
    """A span in its largest unit only, for tight places: "42 s", "4 min", "2 h", "3 d"."""
    s = max(0, math.ceil(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 48 * 3600:
        return f"{round(s / 3600)} h"
    return f"{round(s / 86400)} d"


def relative(at: float, now: float, tz: tzinfo | None = None, *, sec: bool = False) -> str:
    """A moment seen from now: "in 4 min (05:51)", "3 min ago (05:44)", "now (05:44)"."""
    when = clock(at, now, tz, sec=sec)
    gap = at - now
    if abs(gap) < 1:
        return f"now ({when})"
    if gap > 0:
        return f"in {short_duration(gap)} ({when})"
    return f"{short_duration(-gap)} ago ({when})"
