"""Checkpoints: the writer rewrites changed partitions and the manifest, then trims the journal.

What a checkpoint writes is taken on the loop (references to immutable messages and timeline
tuples, the key map frozen by copy-on-write); encoding and writing run in a thread. A failed
checkpoint loses nothing — the journal still holds every change — and is retried with
back-off while the health line says so.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smstui.errors import StoreError
from smstui.model import Message
from smstui.store.manifest import side_docs, write_manifest
from smstui.store.partitions import PartInfo, partition_path, write_partition
from smstui.store.schema import Entry, Key, message_to_doc
from smstui.store.state import State

if TYPE_CHECKING:
    from smstui.clock import Clock
    from smstui.store.journal import Journal
    from smstui.store.lock import WriterLock

log = logging.getLogger("smstui.store")
TRIM_BYTES = 4 << 20  # checkpoint anyway once the journal is this long (replay stays short)
RETRY_BASE_S, RETRY_MAX_S = 2.0, 120.0


@dataclass
class Taken:
    """What one checkpoint writes, taken on the loop."""

    upto: int
    by_key: dict[Key, Message]
    parts: list[tuple[PartInfo, list[Key], dict[Key, tuple[Entry, ...]]]]
    side: dict[str, list[dict[str, Any]]]
    manifest_parts: list[dict[str, Any]]
    dropped: set[str]
    dirty: set[str]


class Checkpointer:
    """The writer's half of the Store (mixed into Store)."""

    root: Path
    state: State
    journal: Journal
    pos: int
    _clock: Clock
    _lock: WriterLock | None

    def _init_checkpointer(self) -> None:
        self.checkpoint_error = ""
        self.checkpoints = 0
        self._failures = 0
        self._retry_at = 0.0
        self._checkpointed_pos = -1
        self._dropped: set[str] = set()

    def needs_checkpoint(self) -> bool:
        """True when memory holds changes the partitions do not."""
        state = self.state
        return bool(state.dirty or state.side_dirty or self._dropped) or (
            self.pos != self._checkpointed_pos and self._journal_long()
        )

    def _journal_long(self) -> bool:
        sig = self.journal.signature()
        return sig is not None and sig[1] > TRIM_BYTES

    def _take(self) -> Taken:
        """Everything one checkpoint writes, as of now (on the loop; cheap)."""
        state = self.state
        by_key = state.index.view()._by_key  # frozen by copy-on-write: safe in a thread
        parts = []
        # Partitions a message moved into are written before the ones it left: a crash in
        # between leaves it filed twice (merged at the next load), never nowhere.
        for name in sorted(state.dirty, key=lambda n: (n in state.shrunk, n)):
            if name not in state.parts:
                continue
            keys = [k for k in state.members.get(name, ()) if k in by_key]
            timelines = {k: state.timelines.get(k, ()) for k in keys}
            parts.append((copy.copy(state.summarise(name)), keys, timelines))
        pending = [c for parked in state.pending.values() for c in parked]
        side = side_docs(state.side, pending)
        manifest_parts = [p.to_doc() for p in state.parts.values() if p.count]
        taken = Taken(self.pos, by_key, parts, side, manifest_parts, set(self._dropped),
                      set(state.dirty))  # fmt: skip
        state.dirty.clear()
        state.shrunk.clear()
        state.side_dirty = False
        self._dropped.clear()
        return taken

    def _write(self, taken: Taken, now: float) -> None:
        """The I/O of a checkpoint (in a thread, or inline at close)."""
        for info, keys, timelines in taken.parts:
            docs = [message_to_doc(taken.by_key[k], timelines[k]) for k in keys]
            if docs:
                write_partition(self.root, info, docs)
            else:
                partition_path(self.root, info.name).unlink(missing_ok=True)
        write_manifest(self.root, taken.upto, taken.manifest_parts, taken.side, now)
        for name in taken.dropped:
            partition_path(self.root, name).unlink(missing_ok=True)
        self.journal.trim(taken.upto)

    def _failed(self, taken: Taken, err: StoreError) -> None:
        """Nothing is lost: mark what was taken dirty again and retry later."""
        self.state.dirty |= taken.dirty
        self.state.side_dirty = True
        self._dropped |= taken.dropped
        self._failures += 1
        delay = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** (self._failures - 1))
        self._retry_at = self._clock.now() + delay
        self.checkpoint_error = f"cache checkpoint failed ({err}); retrying in {delay:.0f} s"
        log.error("%s", self.checkpoint_error)

    def _done(self, taken: Taken) -> None:
        self._checkpointed_pos = taken.upto
        self._failures = 0
        self._retry_at = 0.0
        self.checkpoint_error = ""
        self.checkpoints += 1

    def _check_writer(self) -> None:
        if self._lock is None:
            raise StoreError(f"{self.root}: only the writer checkpoints")

    def checkpoint(self) -> bool:
        """Checkpoint now, inline (at close, in tests); False when it failed."""
        self._check_writer()
        taken = self._take()
        try:
            self._write(taken, self._clock.now())
        except StoreError as err:
            self._failed(taken, err)
            return False
        self._done(taken)
        return True

    async def checkpoint_async(self, *, force: bool = False) -> bool:
        """Checkpoint with the I/O in a thread; skipped while backing off after a failure."""
        self._check_writer()
        if not force and (self._clock.now() < self._retry_at or not self.needs_checkpoint()):
            return False
        taken = self._take()
        try:
            await asyncio.to_thread(self._write, taken, self._clock.now())
        except StoreError as err:
            self._failed(taken, err)
            return False
        self._done(taken)
        return True

    def _prune(self, cutoff: float) -> None:
        """Forget partitions whose every message is settled and older than the cutoff."""
        state = self.state
        infos = [state.summarise(n) if n in state.loaded else p for n, p in state.parts.items()]
        old = [
            p.name for p in infos
            if p.last_sent is not None and p.last_sent < cutoff and not p.open_count
        ]  # fmt: skip
        state.drop_partitions(old)
        self._dropped |= set(old)
        side = state.side
        side.prune(cutoff)
        for ident, parked in list(state.pending.items()):
            kept = [c for c in parked if c.at >= cutoff]
            if kept:
                state.pending[ident] = kept
            else:
                del state.pending[ident]
