"""Checkpoints: the writer rewrites changed partitions and the manifest, then trims the journal.

What a checkpoint writes is taken on the loop (references to immutable messages and timeline
tuples, the key map frozen by copy-on-write); encoding and writing run in a thread. A failed
checkpoint loses nothing — the journal still holds every change, and what it took is marked
dirty again — and is retried with back-off while the health line says so.

One checkpoint at a time, whatever cancels what: a cancelled checkpoint's thread keeps writing,
so the next checkpoint waits for it (or abandons it before it starts) and only then takes its
own. Two interleaved checkpoints could land an older manifest or partition after a newer one
trimmed the journal, and lose what was acknowledged in between.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smstui.errors import StoreError
from smstui.model import Key, Message
from smstui.store.manifest import side_docs, write_manifest
from smstui.store.partitions import (
    PartInfo,
    day_of,
    partition_path,
    read_partition,
    write_partition,
)
from smstui.store.schema import Entry, StoreEvent, decode_partition, message_to_doc
from smstui.store.state import State
from smstui.store.summaries import remove_summary, write_summary

if TYPE_CHECKING:
    from smstui.clock import Clock
    from smstui.store.journal import Journal
    from smstui.store.lock import WriterLock

log = logging.getLogger("smstui.store")
TRIM_BYTES = 4 << 20  # checkpoint anyway once the journal is this long (replay stays short)
RETRY_BASE_S, RETRY_MAX_S = 2.0, 120.0
BACKFILL_PER_CHECKPOINT = 8  # missing summaries rebuilt per checkpoint (~30 ms each)


@dataclass
class Taken:
    """What one checkpoint writes, taken on the loop."""

    upto: int
    by_key: Mapping[Key, Message]  # a KeyMap snapshot: frozen, safe in a thread
    parts: list[tuple[PartInfo, list[Key], dict[Key, tuple[Entry, ...]]]]
    side: dict[str, list[dict[str, Any]]]
    manifest_parts: list[dict[str, Any]]
    dropped: set[str]
    dirty: set[str]
    shrunk: set[str]
    backfill: list[PartInfo] = field(default_factory=list)  # summaries to rebuild
    written: set[str] = field(default_factory=set)  # partitions now on disk
    removed: set[str] = field(default_factory=set)  # partitions now gone from disk
    # Outcome, set under the I/O lock: done, failed (error) or abandoned before it started.
    done: bool = False
    error: StoreError | None = None
    abandoned: bool = False
    settled: bool = False  # its outcome was taken into memory (on the loop)
    seconds: float = 0.0  # how long the write took (for the metrics' histogram)

    @property
    def finished(self) -> bool:
        """True once nothing more will be written for this checkpoint."""
        return self.done or self.error is not None or self.abandoned


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
        # Called on the loop with (seconds, done) after every checkpoint that wrote or failed.
        self.checkpoint_observers: list[Callable[[float, bool], None]] = []
        self._failures = 0
        self._retry_at = 0.0
        self._checkpointed_pos = -1
        self._dropped: set[str] = set()
        self._io = threading.Lock()  # held while a checkpoint writes (thread or inline)
        self._inflight: Taken | None = None
        self._inflight_future: asyncio.Future[None] | None = None
        self._on_disk: set[str] | None = None  # partitions known to be on disk
        self._resummarise: set[str] = set()  # partitions whose summary a query missed

    def needs_checkpoint(self) -> bool:
        """True when memory holds changes the partitions do not."""
        state = self.state
        return bool(state.dirty or state.side_dirty or self._dropped or self._resummarise) or (
            self.pos != self._checkpointed_pos and self._journal_long()
        )

    def _journal_long(self) -> bool:
        sig = self.journal.signature()
        return sig is not None and sig[1] > TRIM_BYTES

    def _take(self) -> Taken:
        """Everything one checkpoint writes, as of now (on the loop; cheap)."""
        state = self.state
        if self._on_disk is None:  # first checkpoint: what is not dirty came from the disk
            self._on_disk = set(state.parts) - state.dirty
        # The manifest names only what is on disk: a partition no checkpoint has written yet
        # is written by this one, whatever happened to its dirty mark.
        state.dirty |= state.parts.keys() - self._on_disk
        by_key = state.index.view()._by_key  # frozen by copy-on-write: safe in a thread
        parts = []
        # Partitions a message moved into are written before the ones it left: a crash in
        # between leaves it filed twice (merged at the next load), never nowhere.
        for name in sorted(state.dirty, key=lambda n: (n in state.shrunk, n)):
            if name not in state.parts:
                continue
            keys = [k for k in state.members.get(name, ()) if k in by_key]
            timelines = {k: state.timelines.get(k, ()) for k in keys}
            info = state.summarise(name)
            info.stamp = self.pos  # its summary files carry the same stamp (summaries.py)
            parts.append((copy.copy(info), keys, timelines))
        # Partitions whose summary a query found missing or stale: rebuilt from their files,
        # a few per checkpoint so that no checkpoint grows long.
        backfill = [
            copy.copy(state.parts[n])
            for n in sorted(self._resummarise)
            if n in state.parts and n not in state.loaded
        ][:BACKFILL_PER_CHECKPOINT]
        self._resummarise.clear()
        pending = [c for parked in state.pending.values() for c in parked]
        side = side_docs(state.side, pending)
        manifest_parts = [p.to_doc() for p in state.parts.values() if p.count]
        taken = Taken(self.pos, by_key, parts, side, manifest_parts, set(self._dropped),
                      set(state.dirty), set(state.shrunk), backfill)  # fmt: skip
        state.dirty.clear()
        state.shrunk.clear()
        state.side_dirty = False
        self._dropped.clear()
        return taken

    def _write(self, taken: Taken, now: float) -> None:
        """The I/O of a checkpoint: partitions, then the manifest naming them, then the trim."""
        for info, keys, timelines in taken.parts:
            messages = [taken.by_key[k] for k in keys]
            docs = [message_to_doc(m, timelines[m.key]) for m in messages]
            if docs:
                write_partition(self.root, info, docs)
                write_summary(self.root, info, messages, timelines)
                taken.written.add(info.name)
            else:
                partition_path(self.root, info.name).unlink(missing_ok=True)
                remove_summary(self.root, info.name)
                taken.removed.add(info.name)
        for info in taken.backfill:
            self._rebuild_summary(info)
        write_manifest(self.root, taken.upto, taken.manifest_parts, taken.side, now)
        for name in taken.dropped:
            partition_path(self.root, name).unlink(missing_ok=True)
            remove_summary(self.root, name)
            taken.removed.add(name)
        self.journal.trim(taken.upto)  # only now: everything before upto is on disk

    def _rebuild_summary(self, info: PartInfo) -> None:
        """A missing or stale summary, written again from its partition's file (an unreadable
        partition is left to the queries that say so)."""
        try:
            part = decode_partition(info.name, read_partition(self.root, info))
        except StoreError:
            return
        if part.items:
            messages = [m for m, _ in part.items]
            write_summary(self.root, info, messages, {m.key: t for m, t in part.items})

    def _run(self, taken: Taken, now: float) -> None:
        """Write one checkpoint under the I/O lock and record its outcome (never raises).

        Any error is a failed checkpoint, not only StoreError: a bare OSError (no free
        inodes for a mkdir) or a bug must not lose the dirty marks or kill the checkpointer.
        """
        with self._io:
            if taken.abandoned:  # a later checkpoint took over before this one began
                return
            started = time.perf_counter()
            error: StoreError | None = None
            try:
                self._write(taken, now)
            except StoreError as err:
                error = err
            except OSError as err:
                error = StoreError(f"{err.filename or self.root}: {err.strerror or err}")
            except Exception as err:  # a bug: a visible failure with its trace, never a lost mark
                log.exception("cache checkpoint failed")
                error = StoreError(f"unexpected {type(err).__name__}: {err}")
            taken.seconds = time.perf_counter() - started  # before the outcome: read after it
            taken.error, taken.done = error, error is None

    def _settle(self, taken: Taken) -> None:
        """Take a finished checkpoint's outcome into memory (on the loop; once)."""
        if taken.settled or not taken.finished:
            return
        taken.settled = True
        if self._inflight is taken:
            self._inflight = self._inflight_future = None
        if taken.done or taken.error is not None:  # it wrote, or tried to: observers hear
            for observe in self.checkpoint_observers:
                observe(taken.seconds, taken.done)
        if taken.done:
            self._done(taken)
        else:
            self._requeue(taken)
            if taken.error is not None:
                self._failed(taken.error)

    def _requeue(self, taken: Taken) -> None:
        """What a checkpoint did not write is dirty again: the next one writes it."""
        self.state.dirty |= taken.dirty
        self.state.shrunk |= taken.shrunk
        self.state.side_dirty = True
        self._dropped |= taken.dropped

    def _failed(self, err: StoreError) -> None:
        """Nothing is lost (the journal holds it all): back off and say so."""
        self._failures += 1
        delay = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** (self._failures - 1))
        self._retry_at = self._clock.now() + delay
        self.checkpoint_error = f"cache checkpoint failed ({err}); retrying in {delay:.0f} s"
        log.error("%s", self.checkpoint_error)

    def _done(self, taken: Taken) -> None:
        if self._on_disk is not None:
            self._on_disk |= taken.written
            self._on_disk -= taken.removed
        self._checkpointed_pos = taken.upto
        self._failures = 0
        self._retry_at = 0.0
        self.checkpoint_error = ""
        self.checkpoints += 1

    def _check_writer(self) -> None:
        if self._lock is None:
            raise StoreError(f"{self.root}: only the writer checkpoints")

    def _end_inflight(self) -> None:
        """Before an inline checkpoint: let a cancelled one's thread finish, or abandon it if
        its thread has not begun (it then writes nothing), and take in its outcome."""
        inflight = self._inflight
        if inflight is None:
            return
        with self._io:  # waits while its thread writes
            if not inflight.finished:
                inflight.abandoned = True
        self._settle(inflight)

    def checkpoint(self) -> bool:
        """Checkpoint now, inline (at close, in tests); False when it failed."""
        self._check_writer()
        self._end_inflight()
        taken = self._take()
        self._inflight = taken
        self._run(taken, self._clock.now())
        self._settle(taken)
        return taken.done

    async def checkpoint_async(self, *, force: bool = False) -> bool:
        """Checkpoint with the I/O in a thread; skipped while backing off after a failure.

        Cancelling the caller does not cancel the write: it runs to its end in its thread,
        and its outcome is taken in when it ends (or by the next checkpoint, which waits).
        """
        self._check_writer()
        await self._await_inflight()
        if not force and (self._clock.now() < self._retry_at or not self.needs_checkpoint()):
            return False
        taken = self._take()
        future = asyncio.ensure_future(asyncio.to_thread(self._run, taken, self._clock.now()))
        future.add_done_callback(lambda _: self._settle(taken))
        self._inflight, self._inflight_future = taken, future
        await asyncio.wait([future])  # a cancelled caller leaves the write running
        self._settle(taken)
        return taken.done

    async def _await_inflight(self) -> None:
        """Wait for a checkpoint a cancelled caller left running, and take in its outcome."""
        taken, future = self._inflight, self._inflight_future
        if taken is None:
            return
        if future is not None:
            await asyncio.wait([future])
        if taken.finished:
            self._settle(taken)
        else:  # its task was cancelled (loop shutdown) while its thread may still write
            self._end_inflight()

    def _prune_cutoff(self, older_than_s: float) -> float:
        """The retention's cutoff, from the newest send the cache holds as much as from the
        clock: a clock 60 days ahead (a VM restored with a wrong date) must not make the
        whole campaign "older than 30 days" and delete it."""
        state = self.state
        infos = [state.summarise(n) if n in state.loaded else p for n, p in state.parts.items()]
        newest = max((p.last_sent for p in infos if p.last_sent is not None), default=None)
        now = self._clock.now()
        return min(now, newest if newest is not None else now) - older_than_s

    def _prune(self, cutoff: float, at: float) -> None:
        """Forget partitions whose every message is settled and older than the cutoff; the
        event log (every process) and the writer's log say what went."""
        state = self.state
        infos = [state.summarise(n) if n in state.loaded else p for n, p in state.parts.items()]
        old = [
            p for p in infos
            if p.last_sent is not None and p.last_sent < cutoff and not p.open_count
        ]  # fmt: skip
        state.drop_partitions([p.name for p in old])
        self._dropped |= {p.name for p in old}
        if old:
            days = sorted({p.day for p in old})
            text = (f"retention: removed {sum(p.count for p in old):,} settled messages sent "
                    f"before {day_of(cutoff)} ({len(old)} partitions, {days[0]} to "
                    f"{days[-1]})")  # fmt: skip
            state.side.events.append(StoreEvent("store", text, at))
            if self._lock is not None:
                log.warning("%s", text)
        side = state.side
        side.prune(cutoff)
        for ident, parked in list(state.pending.items()):
            kept = [c for c in parked if c.at >= cutoff]
            if kept:
                state.pending[ident] = kept
            else:
                del state.pending[ident]
