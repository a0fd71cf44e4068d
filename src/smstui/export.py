"""Write messages to CSV or JSONL atomically, UTF-8, safe to open in a spreadsheet. No Textual."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from smstui.atomic import fsync_dir
from smstui.codes import explain
from smstui.display import iso, money_value
from smstui.errors import SmstuiError
from smstui.model import DeliveryState, Message, Provider
from smstui.secrets import Secret, mask_text, mask_values

COLUMNS = (
    "time",
    "account",
    "provider",
    "message_id",
    "phone",
    "state",
    "raw_status",
    "error_code",
    "error_explanation",
    "operator",
    "region",
    "cost",
    "parts",
    "sender",
    "text",
)
# JSONL also carries what a faithful read-back needs (exact times, country, resend lineage).
JSONL_EXTRA = ("sent_at", "updated_at", "country", "resend_of")
# The fields where a secret could have been typed or echoed (the rest identify, they never mask).
FREE_TEXT = ("text", "sender", "operator", "region", "country")  # what a person or gateway wrote
FORMATS = ("csv", "jsonl")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BUFFER = 1 << 20  # rows reach the disk in 1 MiB writes
_temps = itertools.count()


class ExportError(SmstuiError):
    """The export could not be written (bad format, unwritable path); nothing was replaced."""


def iso_time(ts: float | None) -> str:
    """Unix seconds as ISO 8601 in the display zone with its offset, or "" when unknown."""
    return iso(ts) or ""


def error_explanation(message: Message) -> str:
    """One line explaining why a message failed ("" when nothing went wrong)."""
    status, error = explain(message.provider.value, message.raw_status, message.error_code)
    if error is not None:
        return f"{error.en} ({error.error_class.value}): {error.action}"
    if message.state.is_failure:
        return status.meaning or status.name_en
    return ""


def message_record(message: Message, secrets: Iterable[Secret | str] = ()) -> dict[str, Any]:
    """The export row of one message, typed for JSON (cost as a decimal string: "2.30")."""
    keep = tuple(secrets)
    record: dict[str, Any] = {
        "time": iso_time(message.sent_at if message.sent_at is not None else message.updated_at),
        "account": message.account,
        "provider": message.provider.value,
        "message_id": message.message_id,
        "phone": message.phone,
        "state": message.state.value,
        "raw_status": message.raw_status,
        "error_code": message.error_code,
        "error_explanation": error_explanation(message),
        "operator": message.operator,
        "region": message.region,
        "cost": money_value(message.cost),
        "parts": message.parts,
        "sender": message.sender,
        "text": message.text,
        "sent_at": message.sent_at,
        "updated_at": message.updated_at,
        "country": message.country,
        "resend_of": message.resend_of,  # the id this message resends ("" for a first send)
    }
    # A raw status is provider text: mask credential parameters in it like in any log line, and
    # configured secret values in the free text a person or a gateway wrote. Names, phones, ids
    # and numbers are never masked: a demo password "demo" must not rename "demo-webcom".
    record["raw_status"] = mask_text(message.raw_status, keep)
    if keep:
        for name in FREE_TEXT:
            record[name] = mask_values(record[name], keep)
    return record


def record_message(record: dict[str, Any]) -> Message:
    """Rebuild a Message from a JSONL record (the inverse of message_record)."""
    try:
        cost = None if record.get("cost") in (None, "") else Decimal(str(record["cost"]))
        return Message(
            account=record["account"],
            provider=Provider(record["provider"]),
            message_id=str(record["message_id"]),
            phone=str(record["phone"]),
            state=DeliveryState(record["state"]),
            text=record.get("text", ""),
            sender=record.get("sender", ""),
            sent_at=record.get("sent_at"),
            raw_status=record.get("raw_status", ""),
            error_code=record.get("error_code"),
            cost=cost,
            parts=record.get("parts"),
            country=record.get("country", ""),
            operator=record.get("operator", ""),
            region=record.get("region", ""),
            updated_at=record.get("updated_at"),
            resend_of=str(record.get("resend_of") or ""),
        )
    except (KeyError, ValueError, TypeError, InvalidOperation) as err:
        raise ExportError(f"not an smstui export record: {err!r}") from err


def read_jsonl(path: str | os.PathLike[str]) -> list[Message]:
    """Read a JSONL export back into Messages."""
    with open(path, encoding="utf-8") as fh:
        try:
            return [record_message(json.loads(line)) for line in fh if line.strip()]
        except (ValueError, RecursionError) as err:  # RecursionError: `[[[[…` on one line
            raise ExportError(f"{path}: not an smstui JSONL export: {type(err).__name__}") from None


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (=, +, -, @ get a leading quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(
    path: str | os.PathLike[str],
    messages: Iterable[Message],
    *,
    secrets: Iterable[Secret | str] = (),
) -> int:
    """Write messages as CSV (header + one row each) atomically; return the rows written."""
    keep = tuple(secrets)

    def write(fh: IO[str]) -> int:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        rows = 0
        for message in messages:
            record = message_record(message, keep)
            writer.writerow([safe_cell(record[c]) for c in COLUMNS])
            rows += 1
        return rows

    return _atomic_write(path, write, newline="")


def write_jsonl(
    path: str | os.PathLike[str],
    messages: Iterable[Message],
    *,
    secrets: Iterable[Secret | str] = (),
) -> int:
    """Write one JSON object per line atomically (UTF-8, not ASCII-escaped); return the count."""
    keep = tuple(secrets)

    def write(fh: IO[str]) -> int:
        rows = 0
        for message in messages:
            fh.write(json.dumps(message_record(message, keep), ensure_ascii=False) + "\n")
            rows += 1
        return rows

    return _atomic_write(path, write, newline="\n")


def export_messages(
    path: str | os.PathLike[str],
    messages: Iterable[Message],
    fmt: str,
    *,
    secrets: Iterable[Secret | str] = (),
) -> int:
    """Write messages as "csv" or "jsonl"; return the rows written."""
    writers: dict[str, Callable[..., int]] = {"csv": write_csv, "jsonl": write_jsonl}
    key = fmt.lower().lstrip(".")
    if key not in writers:
        raise ExportError(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return writers[key](path, messages, secrets=secrets)


def _atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[str]], int], *, newline: str
) -> int:
    """Stream the rows into a temp file beside the target, fsync, rename: readers never see
    half a file, a failure (disk, or the messages' iterator) replaces nothing, and a
    whole-history export never holds the whole file in memory."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise ExportError(f"{target} is a directory; give a file name")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{next(_temps)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # phones: owner only
        with open(fd, "w", encoding="utf-8", newline=newline, buffering=_BUFFER) as fh:
            rows = write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as err:
        _discard(tmp)
        raise ExportError(f"cannot write {target}: {err.strerror or err}") from err
    except BaseException:
        _discard(tmp)
        raise
    fsync_dir(target.parent)
    return rows


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def iter_records(messages: Iterable[Message]) -> Iterator[dict[str, Any]]:
    """Export records one by one (for callers streaming elsewhere)."""
    for message in messages:
        yield message_record(message)
