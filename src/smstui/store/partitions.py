"""Day partitions and the manifest: TinyDB databases in the cache directory.

`partitions/<account>/<YYYY-MM-DD>-<chunk>.json` each hold up to CHUNK messages of one account
sent on one UTC day (a busy day gets several chunks, so a checkpoint rewrites at most CHUNK
messages per changed chunk). `manifest.json` holds what opening needs without reading them:
each partition's time range and counts by state, the side tables, and the journal position
the partitions are complete up to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from smstui.atomic import write_atomic
from smstui.errors import StoreError
from smstui.store.schema import SCHEMA_VERSION, NewerSchema

CHUNK = 10_000  # messages per partition file: a rewrite stays well under 0.3 s
MANIFEST_NAME, PARTITIONS_DIR = "manifest.json", "partitions"
UNDATED = "undated"


class AtomicStorage(Storage):
    """TinyDB storage: compact UTF-8 JSON, replaced atomically; `fresh` skips reading."""

    def __init__(self, path: str | Path, fresh: bool = False, **_: Any) -> None:
        super().__init__()
        self.path = Path(path)
        self.fresh = fresh

    def read(self) -> dict[str, dict[str, Any]] | None:
        """The whole database, or None when missing (or when writing it afresh)."""
        if self.fresh:
            return None
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read {self.path}: {err.strerror}") from err
        try:
            data = json.loads(raw)  # bytes: decoded as UTF-8 in C (lone surrogates kept)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise StoreError(f"{self.path} is not valid JSON: {err}") from err
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StoreError(f"{self.path} is not a TinyDB database")
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Serialise and atomically replace the file."""
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:  # no free inodes, a read-only disk: a StoreError like the rest
            raise StoreError(f"cannot create {self.path.parent}: {err.strerror or err}") from err
        # A lone surrogate (a gateway can send "\\ud800") becomes the JSON escape it came
        # as: the file stays valid UTF-8 for TinyDB and any JSON tool, and reads back the same.
        write_atomic(self.path, text.encode("utf-8", "backslashreplace"))

    def close(self) -> None:
        """Nothing stays open between writes."""


def read_tables(path: Path, names: Iterable[str]) -> dict[str, list[dict[str, Any]]] | None:
    """The documents of some tables, in doc-id order; None when the file is missing.

    Read through the Storage (one parse), not Table.all(), which copies every document into
    a Document twice over: at 10,000 messages a partition that is a third of the open time.
    """
    data = AtomicStorage(path).read()
    if data is None:
        return None
    return {name: list(data.get(name, {}).values()) for name in names}


def write_tables(path: Path, tables: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """Write a whole database through TinyDB's Table API, as one atomic file write."""
    storage = CachingMiddleware(AtomicStorage)  # type: ignore[no-untyped-call]
    db = TinyDB(path, storage=storage, fresh=True)
    try:
        for name, docs in tables.items():
            db.table(name, cache_size=0).insert_multiple(docs)
    finally:
        db.close()  # CachingMiddleware writes once, here


@dataclass
class PartInfo:
    """What the manifest says of one partition: enough to open without reading it."""

    account: str
    day: str
    chunk: int
    count: int = 0
    states: dict[str, int] = field(default_factory=dict)
    first_sent: float | None = None  # placement times: send time, else first seen
    last_sent: float | None = None
    # The smallest and largest message id (numeric order: by length, then text): an id
    # look-up reads only partitions whose range covers it. None: unknown (an older manifest).
    id_lo: str | None = None
    id_hi: str | None = None
    stamp: int | None = None  # the journal position of the checkpoint that wrote it

    def may_hold_id(self, message_id: str) -> bool:
        """False when this partition certainly holds no message with this id."""
        if self.id_lo is None or self.id_hi is None:
            return True
        key = (len(message_id), message_id)
        return (len(self.id_lo), self.id_lo) <= key <= (len(self.id_hi), self.id_hi)

    @cached_property
    def name(self) -> str:
        """The partition's identity (and its file's path below partitions/)."""
        return f"{quote(self.account, safe='')}/{self.day}-{self.chunk:03d}"

    @property
    def open_count(self) -> int:
        """Messages in a state that may still change."""
        from smstui.model import DeliveryState

        return sum(n for s, n in self.states.items() if not DeliveryState(s).is_final)

    @property
    def newest(self) -> float:
        """Sort key for "newest partition first" (undated partitions count as oldest)."""
        return self.last_sent if self.last_sent is not None else float("-inf")

    def to_doc(self) -> dict[str, Any]:
        """The manifest document."""
        return {f: getattr(self, f) for f in _PART_FIELDS}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> PartInfo:
        """Decode a manifest document."""
        try:
            info = cls(**{k: v for k, v in doc.items() if k in _PART_FIELDS})
            if not isinstance(info.chunk, int) or not isinstance(info.count, int):
                raise TypeError("chunk and count must be whole numbers")
            info.states = {str(k): int(v) for k, v in info.states.items()}
            if not (isinstance(info.id_lo, str) and isinstance(info.id_hi, str)):
                info.id_lo = info.id_hi = None  # unknown: every id look-up reads it
            if not isinstance(info.stamp, int):
                info.stamp = None
            return info
        except (TypeError, ValueError, AttributeError) as err:
            raise StoreError(f"bad partition entry {doc!r}: {err!r}") from err


_PART_FIELDS = tuple(PartInfo.__dataclass_fields__)


def day_of(when: float | None) -> str:
    """The UTC day a message belongs to (UTC: one answer on every machine, no DST)."""
    if when is None:
        return UNDATED
    return time.strftime("%Y-%m-%d", time.gmtime(when))


def partition_path(root: Path, name: str) -> Path:
    """A partition's file."""
    return root / PARTITIONS_DIR / f"{name}.json"


def read_partition(root: Path, info: PartInfo) -> list[dict[str, Any]]:
    """The message documents of one partition ([] when its file is gone)."""
    tables = read_tables(partition_path(root, info.name), ("meta", "messages"))
    if tables is None:
        return []
    meta = tables["meta"][0] if tables["meta"] else {}
    if meta.get("schema", SCHEMA_VERSION) > SCHEMA_VERSION:
        raise NewerSchema(f"partition {info.name} was written by a newer smstui: upgrade smstui")
    return tables["messages"]


def write_partition(root: Path, info: PartInfo, docs: list[dict[str, Any]]) -> None:
    """Rewrite one partition whole (atomic)."""
    meta = {"schema": SCHEMA_VERSION, **info.to_doc()}
    write_tables(partition_path(root, info.name), {"meta": [meta], "messages": docs})


def scan_partitions(root: Path, known: Iterable[str] = ()) -> list[PartInfo]:
    """The partitions whose files are there but not `known`, from the files themselves: all of
    them when the manifest is lost, the ones a checkpoint wrote before it stopped otherwise."""
    skip = set(known)
    out = []
    for path in sorted((root / PARTITIONS_DIR).glob("*/*.json")):
        if f"{path.parent.name}/{path.stem}" in skip:
            continue
        try:
            tables = read_tables(path, ("meta",))
        except StoreError:
            continue
        if tables and tables["meta"]:
            out.append(PartInfo.from_doc(tables["meta"][0]))
    return out
