"""Appending to a cache without opening it: what a one-shot command (`smstui send`) needs.

Opening a cache reads its manifest and newest partitions (seconds at a few hundred thousand
messages); a send must record its intent before the request leaves, so it appends one journal
record instead. Every process that has the cache open (or opens it next) applies that record,
exactly as if an open Store had written it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from smstui.errors import StoreError
from smstui.model import Source
from smstui.store import records as rec
from smstui.store.journal import Journal, encode
from smstui.store.manifest import read_manifest


def append_items(root: Path, items: Sequence[rec.Item], source: Source, now: float) -> None:
    """Journal one batch (Messages, StatusChanges, Rekeys) durably; StoreError if it is not."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create {root}: {err.strerror or err}") from err
    journal = Journal(root)
    journal.append([encode(rec.apply_body(items, source, now))], base_if_new=_base_if_new(root))


def _base_if_new(root: Path) -> int:
    """Where a journal that does not exist yet must start: after what the partitions hold
    (a record placed before the manifest's position would be taken as checkpointed)."""
    if (root / "journal.log").exists():
        return 0  # not used: the journal's own header says where it starts
    try:
        manifest = read_manifest(root)
    except StoreError:
        return 0  # a damaged manifest is rebuilt at open from the partitions and the journal
    return max(0, manifest.journal_pos) if manifest is not None else 0
