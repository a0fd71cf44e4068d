"""Arguments and output helpers shared by the headless commands."""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from smstui.config import Config, load_config
from smstui.display import iso, resolve_zone, use_zone


def add_config_args(parser: argparse.ArgumentParser, *, account: bool = True) -> None:
    """--config FILE and --account NAME, shared by every command that reads the config."""
    parser.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    if account:
        parser.add_argument("--account", default=None, help="account name (default: the first)")


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
