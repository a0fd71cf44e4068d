"""Message documents that do not decode: set aside by the writer, reported by every process.

One flipped character inside one message of a partition must not take the cache down, nor
vanish: the writer appends each such document to `rejected.jsonl` in the cache directory (one
JSON line: partition, reason, document, when) and fsyncs it before the partition may be
rewritten without it. Only a writer writes there, so a reader never races a checkpoint.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from smstui.atomic import fsync_dir
from smstui.errors import StoreError
from smstui.store.partitions import partition_path
from smstui.store.schema import Decoded, Rejected

REJECTS_NAME = "rejected.jsonl"


def set_aside(root: Path, part: Decoded, writer: bool, now: float) -> str:
    """Keep a partition's rejected documents (writer only) and say so: the notice's text.

    Sets `part.kept` when they are safe on disk. Should the file not take them (a full disk),
    the partition file is hard-linked aside instead (no data blocks needed); should that fail
    too, StoreError: the caller then sets the whole partition aside, as an unreadable one.
    """
    first = part.rejected[0]
    n = len(part.rejected)
    what = f"{n} message document{'s' if n > 1 else ''} of partition {first.partition}"
    if not writer:
        return f"{what} set aside (not shown here): {first.reason}"
    try:
        _append(root / REJECTS_NAME, part.rejected, now)
    except StoreError as err:
        aside = _link_aside(root, first.partition, now)
        if aside is None:
            raise StoreError(f"{what} could not be set aside ({err}): {first.reason}") from err
        part.kept = True
        return f"{what} set aside in {aside} ({err}): {first.reason}"
    part.kept = True
    return f"{what} set aside in {REJECTS_NAME}: {first.reason}"


def _append(path: Path, rejected: list[Rejected], now: float) -> None:
    """Append the documents not there yet (a crash before the rewrite repeats the set-aside)."""
    known = {(r.get("partition"), _canon(r.get("doc"))) for r in read_rejects(path)}
    lines = [
        json.dumps({"partition": r.partition, "reason": r.reason, "doc": r.doc, "at": now},
                   ensure_ascii=False) + "\n"
        for r in rejected
        if (r.partition, _canon(r.doc)) not in known
    ]  # fmt: skip
    if not lines:
        return
    try:
        with open(path, "a", encoding="utf-8", errors="backslashreplace") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(path.parent)
    except OSError as err:
        raise StoreError(f"cannot write {path}: {err.strerror or err}") from err


def _link_aside(root: Path, partition: str, now: float) -> str | None:
    """Hard-link the partition file aside (its bad documents with it); its name, or None."""
    path = partition_path(root, partition)
    aside = path.with_name(f"{path.name}.rejects-{int(now)}")
    try:
        if not aside.exists():
            os.link(path, aside)
        fsync_dir(aside.parent)
    except OSError:
        return None
    return aside.name


def read_rejects(path: Path) -> list[dict[str, object]]:
    """The set-aside records of a cache (unreadable lines skipped: it is a keepsake)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StoreError(f"cannot read {path}: {err.strerror or err}") from err
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def _canon(doc: object) -> str:
    """One text per document, to recognise it again."""
    return json.dumps(doc, sort_keys=True, ensure_ascii=False)


def problem(rejected: list[Rejected]) -> str:
    """The health line's words for the documents set aside since open ('' when none)."""
    if not rejected:
        return ""
    n, first = len(rejected), rejected[0]
    parts = len({r.partition for r in rejected})
    where = f"partition {first.partition}" if parts == 1 else f"{parts} partitions"
    return f"{n} message document{'s' if n > 1 else ''} of {where} set aside: {first.reason}"
