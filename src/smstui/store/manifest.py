"""manifest.json: what the partitions hold, the side tables, and the journal position."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage, StatusChange
from smstui.store import schema as s
from smstui.store.partitions import MANIFEST_NAME, PartInfo, read_tables, write_tables
from smstui.store.schema import NewerSchema
from smstui.store.side import SideTables

_TABLES = ("meta", "partitions", "balances", "incoming", "events", "cursor", "pending")


@dataclass
class Manifest:
    """The manifest's contents, decoded."""

    journal_pos: int = 0
    parts: list[PartInfo] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    incoming: list[IncomingMessage] = field(default_factory=list)
    events: list[s.StoreEvent] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    pending: list[StatusChange] = field(default_factory=list)
    saved_at: float | None = None


def read_manifest(root: Path) -> Manifest | None:
    """The manifest, None when there is none; StoreError when unreadable or from the future."""
    tables = read_tables(root / MANIFEST_NAME, _TABLES)
    if tables is None:
        return None
    meta = tables["meta"][0] if tables["meta"] else {}
    version = meta.get("schema")
    if isinstance(version, int) and version > s.SCHEMA_VERSION:
        raise NewerSchema(
            f"the cache in {root} was written by a newer smstui (schema {version}; this one "
            f"reads up to {s.SCHEMA_VERSION}): upgrade smstui, or point [cache] dir elsewhere"
        )
    if version != s.SCHEMA_VERSION:
        raise StoreError(f"{root / MANIFEST_NAME}: schema {version!r}, expected 3")
    try:
        return Manifest(
            journal_pos=int(meta.get("journal_pos", 0)),
            parts=[PartInfo.from_doc(d) for d in tables["partitions"]],
            balances=[s.doc_to_side(Balance, d) for d in tables["balances"]],
            incoming=[s.doc_to_side(IncomingMessage, d) for d in tables["incoming"]],
            events=[s.doc_to_side(s.StoreEvent, d) for d in tables["events"]],
            cursor={d["name"]: d["value"] for d in tables["cursor"]},
            pending=[s.doc_to_change(d["c"]) for d in tables["pending"]],
            saved_at=meta.get("saved_at"),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise StoreError(f"{root / MANIFEST_NAME}: {err!r}") from err


def side_docs(side: SideTables, pending: list[StatusChange]) -> dict[str, list[dict[str, Any]]]:
    """The side tables as documents (taken on the loop: cheap, bounded)."""
    return {
        "balances": [s.side_to_doc(b) for b in side.all_balances()],
        "incoming": [s.side_to_doc(m) for m in side.all_incoming()],
        "events": [s.side_to_doc(e) for e in side.events],
        "cursor": [{"name": k, "value": v} for k, v in side.cursor.items()],
        "pending": [{"c": s.change_to_doc(c)} for c in pending],
    }


def write_manifest(
    root: Path,
    journal_pos: int,
    parts: list[dict[str, Any]],
    side: dict[str, list[dict[str, Any]]],
    saved_at: float,
) -> None:
    """Replace the manifest (atomic): written after the partitions it describes."""
    meta = {"schema": s.SCHEMA_VERSION, "journal_pos": journal_pos, "saved_at": saved_at}
    write_tables(root / MANIFEST_NAME, {"meta": [meta], "partitions": parts, **side})
