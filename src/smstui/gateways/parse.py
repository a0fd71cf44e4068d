"""Lenient, typed coercion of gateway values: every failure is a BadPayload, nothing else."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from smstui.errors import BadPayload
from smstui.moscow import format_moscow, parse_moscow
from smstui.secrets import Secret, mask_text

SNIPPET_CHARS = 80
Secrets = tuple[Secret | str, ...]  # configured values to mask in snippets of a reply

# Plausible message times: after 2000-01-01 and before 2100-01-01 (anything else is junk that
# would only overflow a date conversion further up).
_MIN_TIME, _MAX_TIME = 946_684_800.0, 4_102_444_800.0


def snippet(body: bytes | str, secrets: Secrets = ()) -> str:
    """The first ~80 characters of a body, printable and with secrets masked (for messages)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    cut = text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else "")
    return mask_text(cut, secrets) if cut else "(empty body)"


def decode_utf8(body: bytes, *, provider: str, secrets: Secrets = ()) -> str:
    """Body bytes as UTF-8 text; windows-1251 or other bytes become a clear BadPayload."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BadPayload(
            f"{provider}: reply is not UTF-8 (charset ignored?) at byte {err.start}: "
            f"{snippet(body, secrets)}",
            provider=provider,
        ) from err


def load_json(body: bytes, *, provider: str, status: int = 200, secrets: Secrets = ()) -> Any:
    """Parse a JSON reply strictly; HTML pages, truncation and junk raise BadPayload."""
    text = decode_utf8(body, provider=provider, secrets=secrets).strip()
    http = f" (HTTP {status})" if status != 200 else ""
    if not text:
        raise BadPayload(f"{provider}: empty reply{http}", provider=provider)
    if text.startswith("<"):
        raise BadPayload(
            f"{provider}: HTML/XML page instead of JSON{http}: {snippet(text, secrets)}",
            provider=provider,
        )
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        raise BadPayload(
            f"{provider}: invalid or truncated JSON{http}: {snippet(text, secrets)}",
            provider=provider,
        ) from err


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def to_int(value: Any, field: str, *, provider: str, default: int | None = None) -> int | None:
    """An int from a JSON number or numeric string; None/"" give the default."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise _wrong(field, value, "an integer", provider)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            return int(text)
    raise _wrong(field, value, "an integer", provider)


def to_decimal(value: Any, field: str, *, provider: str) -> Decimal | None:
    """Money as Decimal from a string ("1.20", "1,20") or a JSON number; None/"" give None."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _wrong(field, value, "a decimal amount", provider)
    try:
        # str() of a float keeps what the JSON said (10.6 stays 10.6, not 10.59999…).
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _wrong(field, value, "a decimal amount", provider) from None
    if not amount.is_finite():
        raise _wrong(field, value, "a decimal amount", provider)
    return amount


def to_str(value: Any, field: str, *, provider: str) -> str:
    """A text field: strings as they are, numbers as digits, None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _wrong(field, value, "a string", provider)


def to_time(value: Any, field: str, *, provider: str) -> float | None:
    """Unix seconds from a timestamp (number or digits) or a Moscow date in either format."""
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _wrong(field, value, "a date", provider)
    if isinstance(value, str) and not (value.strip().isdigit() and value.strip().isascii()):
        try:
            unix = parse_moscow(value)
        except ValueError:
            raise _wrong(
                field, value, "a date (DD.MM.YYYY hh:mm:ss or YYYY-MM-DD HH:MM:SS)", provider
            ) from None
    else:
        unix = float(value)
    if not math.isfinite(unix) or not _MIN_TIME <= unix < _MAX_TIME:
        raise _wrong(field, value, "a date between 2000 and 2100", provider)
    return unix


MOSCOW_UTC_OFFSET_H = 3  # Moscow keeps UTC+3 all year (no DST since 2014)
_MAX_OFFSET_MIN = 14 * 60  # Kiribati: the furthest any zone is from UTC


def utc_offset(value: Any, field: str, *, provider: str, from_moscow: bool = False) -> str:
    """A number's time zone as its signed UTC offset: "+7", "-1", "+5:30"; "" when absent.

    SMSC gives hours from UTC ("3" for Moscow), Webcom hours from Moscow ("4" for
    Novosibirsk, `from_moscow`): both become the one meaning NumberInfo.timezone holds.
    Fractions and "h:mm" are accepted; a value no zone can have is a BadPayload.
    """
    text = to_str(value, field, provider=provider).strip().upper().removeprefix("UTC")
    if not text:
        return ""
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    try:
        total = round(float(hours) * 60) + (int(minutes) if minutes else 0)
    except ValueError:
        raise _wrong(field, value, "an hour offset", provider) from None
    total = sign * total + (MOSCOW_UTC_OFFSET_H * 60 if from_moscow else 0)
    if abs(total) > _MAX_OFFSET_MIN:
        raise _wrong(field, value, "an hour offset", provider)
    h, m = divmod(abs(total), 60)
    return f"{'-' if total < 0 else '+'}{h}" + (f":{m:02d}" if m else "")


def format_smsc_date(unix: float) -> str:
    """Unix seconds → SMSC request date `dd.mm.yyyy` in Moscow time."""
    return format_moscow(unix, "%d.%m.%Y")


def format_webcom_time(unix: float) -> str:
    """Unix seconds → Webcom `YYYY-MM-DD HH:MM:SS` in Moscow time."""
    return format_moscow(unix, "%Y-%m-%d %H:%M:%S")


def require_dict(value: Any, what: str, *, provider: str) -> dict[str, Any]:
    """The value if it is a JSON object, else BadPayload naming what was expected."""
    if not isinstance(value, dict):
        raise BadPayload(
            f"{provider}: expected an object for {what}, got {type(value).__name__}",
            provider=provider,
        )
    return value


def require_list(value: Any, what: str, *, provider: str) -> list[Any]:
    """The value if it is a JSON array, else BadPayload naming what was expected."""
    if not isinstance(value, list):
        raise BadPayload(
            f"{provider}: expected an array for {what}, got {type(value).__name__}",
            provider=provider,
        )
    return value


def _wrong(field: str, value: Any, expected: str, provider: str) -> BadPayload:
    shown = repr(value)
    shown = shown[:40] + "…" if len(shown) > 40 else shown
    return BadPayload(
        f"{provider}: field {field!r} should be {expected}, got {shown}", provider=provider
    )
