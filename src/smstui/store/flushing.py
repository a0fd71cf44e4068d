"""Flushing: a cheap snapshot on the caller's thread, then encode + atomic write in a worker."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from smstui.clock import Clock
from smstui.store import storage
from smstui.store.document import Snapshot, encode_snapshot
from smstui.store.fragments import MessageFragments
from smstui.store.index import MessageIndex
from smstui.store.lock import WriterLock
from smstui.store.schema import Key
from smstui.store.side import SideTables


@dataclass(frozen=True, slots=True)
class FlushResult:
    """What one flush did: whether it wrote, how long each half took, how many bytes."""

    written: bool
    snapshot_s: float = 0.0  # on the event loop
    write_s: float = 0.0  # in the worker thread: encode + write + fsync + rename
    bytes: int = 0
    reencoded: int = 0  # messages encoded afresh (the others reused their cached JSON)


class Flusher:
    """The flushing half of the Store: generations, the fragment cache and the atomic write."""

    path: Path
    index: MessageIndex
    timelines: dict[Key, str]
    side: SideTables
    _clock: Clock
    _lock: WriterLock | None

    def _init_flusher(self) -> None:
        self._gen = 0  # bumped by every mutation; the file holds `_flushed_gen`
        self._flushed_gen = 0
        self._written_gen = -1
        self._write_lock = threading.Lock()
        self._fragments = MessageFragments()

    @property
    def dirty(self) -> bool:
        """True when memory holds changes the file does not."""
        return self._gen != self._flushed_gen

    def _snapshot(self) -> Snapshot:
        """References to immutable values only: pointer copies, no encoding on the loop."""
        gen = self._gen
        self._fragments.mark(self.index.take_changed(), gen)
        order, by_key = self.index.frozen()  # O(1): the index copies on its next write instead
        return Snapshot(
            order=order,
            by_key=by_key,
            gen=gen,
            timelines=dict(self.timelines),
            pending=[c for parked in self.pending.values() for c in parked],  # type: ignore[attr-defined]
            balances=self.side.all_balances(),
            incoming=self.side.all_incoming(),
            events=tuple(self.side.events),
            cursor=dict(self.side.cursor),
            saved_at=self._clock.now(),
        )

    def _write(self, snap: Snapshot, gen: int) -> tuple[int, int]:
        """Encode and atomically write one snapshot; never lets an older one overwrite a newer.

        Returns (bytes written, messages re-encoded); (0, 0) when a newer one was written.
        """
        with self._write_lock:
            if gen <= self._written_gen:
                return 0, 0
            payload = encode_snapshot(snap, self._fragments)
            storage.write_atomic(self.path, payload)
            self._written_gen = gen
            return len(payload), self._fragments.reencoded

    def flush(self) -> bool:
        """Write the cache now, in this thread; False when there was nothing to write."""
        if self._lock is None or not self.dirty:
            return False
        gen = self._gen
        self._write(self._snapshot(), gen)
        self._flushed_gen = max(self._flushed_gen, gen)
        return True

    async def flush_async(self) -> FlushResult:
        """Snapshot on the loop, then encode and write in a thread: the loop never waits on disk."""
        if self._lock is None or not self.dirty:
            return FlushResult(written=False)
        gen = self._gen
        t0 = time.perf_counter()
        snap = self._snapshot()
        t1 = time.perf_counter()
        size, reencoded = await asyncio.to_thread(self._write, snap, gen)
        t2 = time.perf_counter()
        self._flushed_gen = max(self._flushed_gen, gen)
        return FlushResult(True, t1 - t0, t2 - t1, size, reencoded)
