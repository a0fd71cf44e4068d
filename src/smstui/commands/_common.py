"""Arguments and output helpers shared by the headless commands."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import Enum
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from smstui.config import Config, load_config
from smstui.display import iso, resolve_zone, use_zone, zone
from smstui.model import Message


def add_config_args(
    parser: argparse.ArgumentParser,
    *,
    account: bool = True,
    account_help: str = "account name (default: the first)",
) -> None:
    """--config FILE and --account NAME, shared by every command that reads the config."""
    parser.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    if account:
        parser.add_argument("--account", default=None, help=account_help)


def add_json_arg(parser: argparse.ArgumentParser) -> None:
    """--json: one JSON document on stdout instead of a table."""
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def load(args: argparse.Namespace) -> Config:
    """The configuration the command was pointed at; its [ui] timezone becomes the display zone."""
    config = load_config(getattr(args, "config", None))
    use_zone(resolve_zone(config.timezone))
    return config


def to_jsonable(value: Any) -> Any:
    """Model values → JSON-friendly data (Decimal as string, enums as values, times ISO 8601)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {f: _field(f, getattr(value, f)) for f in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def _field(name: str, value: Any) -> Any:
    # The model names every moment `at` or `*_at` (Unix seconds): JSON readers get ISO 8601.
    is_time = isinstance(value, int | float) and not isinstance(value, bool)
    if is_time and (name == "at" or name.endswith("_at")):
        return iso(value)
    return to_jsonable(value)


def print_json(value: Any) -> None:
    """Write one JSON document to stdout."""
    json.dump(to_jsonable(value), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    """A plain aligned text table on stdout."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=False))
    print(line.rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())


# ---- streamed JSON: one message a line, the record `to_jsonable(message)` makes -------------

_FIELDS = ("account", "provider", "message_id", "phone", "state", "text", "sender", "sent_at",
           "raw_status", "error_code", "cost", "parts", "country", "operator", "region",
           "updated_at", "resend_of", "seen_at")  # fmt: skip
_FIELDS_KNOWN = tuple(f.name for f in dataclasses.fields(Message)) == _FIELDS


def iso_encoder(tz: tzinfo) -> Callable[[float | None], str | None]:
    """`iso(ts, tz)` by arithmetic: the zone's offset is looked up once per hour of UTC (and
    the date once per day); a million rows cannot afford a datetime and a zone call each."""
    hours: dict[int, tuple[int, str] | None] = {}
    dates: dict[int, str] = {}

    def offset_of(hour: int) -> tuple[int, str] | None:
        # One offset over the whole hour (a zone changes it at most once an hour), in whole
        # seconds: else None, and that hour takes the slow path.
        start = datetime.fromtimestamp(hour * 3600, tz)
        offset = start.utcoffset()
        if offset is None or offset != datetime.fromtimestamp(hour * 3600 + 3599, tz).utcoffset():
            return None
        if offset.microseconds:
            return None
        return int(offset.total_seconds()), start.isoformat(timespec="seconds")[19:]

    def iso_at(ts: float | None) -> str | None:
        if ts is None:
            return None
        whole = int(ts)
        if ts < 0 or ts - whole >= 0.9999995:  # datetime would round up to the next second
            return iso(ts, tz)
        hour = whole // 3600
        if hour not in hours:
            if len(hours) > 100_000:
                hours.clear()
            hours[hour] = offset_of(hour)
        block = hours[hour]
        if block is None:
            return iso(ts, tz)
        days, rest = divmod(whole + block[0], 86_400)
        day = dates.get(days)
        if day is None:
            day = dates[days] = date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
        h, rest = divmod(rest, 3600)
        m, sec = divmod(rest, 60)
        return f"{day}T{h:02d}:{m:02d}:{sec:02d}{block[1]}"

    return iso_at


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def message_encoder(tz: tzinfo | None = None) -> Callable[[Message], str]:
    """One message → one compact JSON object, equal to `json.dumps(to_jsonable(message))` but
    several times faster (history streams a million rows)."""
    if not _FIELDS_KNOWN:  # Message grew a field: the generic path names it too
        return lambda m: json.dumps(to_jsonable(m), ensure_ascii=False, separators=(",", ":"))
    at = iso_encoder(tz or zone())
    q = encode_basestring

    def text_or_null(value: str | None) -> str:
        return "null" if value is None else q(value)

    def num_or_null(value: int | None) -> str:
        return "null" if value is None else str(int(value))

    def encode(m: Message) -> str:
        return (
            f'{{"account":{q(m.account)},"provider":{q(m.provider.value)},'
            f'"message_id":{q(m.message_id)},"phone":{q(m.phone)},"state":{q(m.state.value)},'
            f'"text":{q(m.text)},"sender":{q(m.sender)},"sent_at":{text_or_null(at(m.sent_at))},'
            f'"raw_status":{q(m.raw_status)},"error_code":{num_or_null(m.error_code)},'
            f'"cost":{"null" if m.cost is None else q(str(m.cost))},'
            f'"parts":{num_or_null(m.parts)},"country":{q(m.country)},'
            f'"operator":{q(m.operator)},"region":{q(m.region)},'
            f'"updated_at":{text_or_null(at(m.updated_at))},"resend_of":{q(m.resend_of)},'
            f'"seen_at":{text_or_null(at(m.seen_at))}}}'
        )

    return encode


def partial_record(reason: str, missing_days: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The record that ends a partial answer (last JSON line, last array element)."""
    days = [{"account": account, "day": day} for account, day in missing_days]
    return {"partial": reason, "missing_days": days}


class JsonStream:
    """Rows written as they come, never held: `--jsonl` (a line each) or `--json` (one array,
    `[`, rows joined by `,\n`, `]`). Buffered in batches: a write per row is the cost."""

    BATCH = 512

    def __init__(self, *, lines: bool) -> None:
        self.lines = lines
        self.rows = 0
        self._buf: list[str] = []

    def write(self, row: str) -> None:
        """Add one encoded JSON object."""
        if self.lines:
            self._buf.append(row + "\n")
        else:
            self._buf.append(("[" if not self.rows else ",\n") + row)
        self.rows += 1
        if len(self._buf) >= self.BATCH:
            sys.stdout.write("".join(self._buf))
            self._buf.clear()

    def close(self) -> None:
        """Flush; close the array (an empty answer is `[]`)."""
        if not self.lines:
            self._buf.append("]\n" if self.rows else "[]\n")
        sys.stdout.write("".join(self._buf))
        self._buf.clear()
