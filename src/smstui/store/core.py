"""The Store: journal first, then memory; one checkpointer writes the day partitions.

Every write (any process) becomes a journal record, fsync'd before the call returns, and is
then applied to memory. Memory always equals the partitions plus the journal up to `pos`,
applied in journal order, in every process: a process that finds other processes' records
before its own (catch-up) applies those first. The writer (holder of `writer.lock`)
checkpoints changed partitions off the event loop and trims the journal behind them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from smstui.atomic import remove_stale_temps
from smstui.clock import Clock, SystemClock
from smstui.errors import StoreError
from smstui.model import (
    AppliedChange,
    Balance,
    IncomingMessage,
    Message,
    Rekey,
    Source,
    StatusChange,
)
from smstui.queries import Query
from smstui.store import records as rec
from smstui.store import rejects
from smstui.store.checkpoint import Checkpointer
from smstui.store.journal import Damaged, Journal, Record, Tail, encode
from smstui.store.lock import WriterLock
from smstui.store.opening import Opener
from smstui.store.partitions import PartInfo
from smstui.store.query import Narrow, Reader, decode_some, partition_reader, prefilter
from smstui.store.reads import ReadAPI
from smstui.store.schema import Decoded, StoreEvent, doc_to_side, side_to_doc
from smstui.store.state import State
from smstui.store.summaries import SET_STATES, Keys, phone_hashes, read_keys, read_sets
from smstui.store_view import Listener, StoreHealth

__all__ = ["Store", "StoreHealth"]  # StoreHealth: smstui.store_view


log = logging.getLogger("smstui.store")
DEFAULT_MEMORY_MESSAGES = 10_000


class Store(ReadAPI, Opener, Checkpointer):
    """The cache in one directory. `Store.open(dir, clock=…)`; any process may write."""

    def __init__(self, root: Path, clock: Clock, lock: WriterLock | None, memory: int) -> None:
        self.root = root
        self.path = root  # the old name, kept for messages and callers
        self._clock = clock
        self._lock = lock
        self.memory_messages = memory
        self.journal = Journal(root)
        self.state = State(self._read_partition)
        self.pos = 0  # the journal position memory is complete up to
        self.version = 0
        self.notices: list[str] = []
        self.append_error = ""
        self.read_error = ""  # the follower's last failed read ("" once one succeeds)
        self.damage_problem = ""  # the latest damaged journal record found (stays shown)
        self._damaged_seen: set[int] = set()  # positions noticed: once per process
        self._listeners: list[Listener] = []
        self._results: dict[str, list[AppliedChange]] = {}
        self._queue: list[tuple[bytes, dict[str, Any], Any, asyncio.Future[Any]]] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None
        self._keys_cache: dict[str, Keys] = {}  # partition → its keys summary, once read
        self._init_checkpointer()

    # ---- life cycle -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        clock: Clock | None = None,
        readonly: bool | Literal["auto"] = False,
        memory_messages: int = DEFAULT_MEMORY_MESSAGES,
    ) -> Store:
        """Open (or create) the cache directory.

        readonly=False takes the writer role (StoreError when another process has it);
        True never checkpoints; "auto" is the writer when it can be. Every role may append.
        """
        if readonly not in (True, False, "auto"):
            raise StoreError(f"readonly must be True, False or 'auto', not {readonly!r}")
        root = Path(path)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot create {root}: {err.strerror}") from err
        lock: WriterLock | None = None
        if readonly is not True:
            lock = WriterLock(root)
            try:
                lock.acquire()
            except StoreError:
                if readonly != "auto":
                    raise
                lock = None
        store = cls(root, clock or SystemClock(), lock, memory_messages)
        try:
            if lock is not None:
                remove_stale_temps(root)
            store._load()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def readonly(self) -> bool:
        """True when another process checkpoints (this one still appends and follows)."""
        return self._lock is None

    def close(self) -> None:
        """Checkpoint (when the writer) and release the lock; idempotent."""
        try:
            if self._lock is not None and self.needs_checkpoint():
                self.checkpoint()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _notice(self, text: str) -> None:
        log.warning("%s", text)
        self.notices.append(text)
        self.state.side.events.append(StoreEvent("store", text, self._clock.now()))

    # ---- writes: journal, then memory ---------------------------------------------------

    def apply(
        self, items: Iterable[Message | StatusChange | Rekey], *, source: Source = Source.HISTORY
    ) -> list[AppliedChange]:
        """Apply a batch durably: journaled and fsync'd, then in memory; returns what changed.

        `source` labels the timeline entries that Messages (not StatusChanges) produce.
        """
        batch = list(items)
        return self._commit(rec.apply_body(batch, source, self._clock.now()), batch)

    async def apply_async(
        self, items: Iterable[Message | StatusChange | Rekey], *, source: Source = Source.HISTORY
    ) -> list[AppliedChange]:
        """apply() for the event loop: the fsync runs in a thread and concurrent callers share
        it (group commit). Returns once the batch is durable; raises StoreError if it is not."""
        batch = list(items)
        body = rec.apply_body(batch, source, self._clock.now())
        future: asyncio.Future[list[AppliedChange]] = asyncio.get_running_loop().create_future()
        self._queue.append((encode(body), body, batch, future))
        if not self._draining:
            self._draining = True
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    spans = await asyncio.to_thread(
                        self.journal.append, [line for line, *_ in batch], base_if_new=self.pos
                    )
                except StoreError as err:
                    self._append_failed(err)
                    for *_, future in batch:
                        if not future.done():
                            future.set_exception(err)
                    continue
                self.append_error = ""
                for (_, body, objs, future), span in zip(batch, spans, strict=True):
                    changes = self._absorb(span, body, objs)
                    if not future.done():
                        future.set_result(changes)
        finally:
            self._draining = False

    def _commit(self, body: dict[str, Any], objs: Any = None) -> list[AppliedChange]:
        # Synchronous, so it may run on the event loop: the journal's lock wait is then
        # bounded to a fraction of a second (lock.wait_limit), and a StoreError tells the
        # caller. One rule for every sync writer instead of an async twin of each method.
        try:
            (span,) = self.journal.append([encode(body)], base_if_new=self.pos)
        except StoreError as err:
            self._append_failed(err)
            raise
        self.append_error = ""
        return self._absorb(span, body, objs)

    def _append_failed(self, err: StoreError) -> None:
        self.append_error = f"cache journal: {err}"
        log.error("%s", self.append_error)

    def _absorb(
        self, span: tuple[int, int], body: dict[str, Any], objs: Any
    ) -> list[AppliedChange]:
        """Apply a record this process just wrote: directly when it follows what memory has,
        else by catching up on the records other processes wrote before it."""
        start, end = span
        if self.pos == start:
            changes = self._apply_record(body, objs)
            self.pos = end
            self._changed(changes)
            return changes
        if self.pos < start:
            self.catch_up()
        return self._results.pop(body["rid"], [])

    def record_balance(self, balance: Balance) -> None:
        """Keep a balance sample."""
        self._commit(rec.body("balance", b=side_to_doc(balance)), balance)

    def record_incoming(self, items: Iterable[IncomingMessage]) -> list[IncomingMessage]:
        """Keep incoming messages; returns the ones not seen before."""
        batch = list(items)
        new = [m for m in batch if self.state.side.incoming.get(m.account, {}).get(m.incoming_id)
               != m]  # fmt: skip
        if new:
            self._commit(rec.body("incoming", items=[side_to_doc(m) for m in new]), new)
        return new

    def record_event(
        self, kind: str, text: str, at: float | None = None, *, account: str = ""
    ) -> None:
        """Add a line to the event log (budget back-offs, gateway errors, notices)."""
        when = self._clock.now() if at is None else at
        self._commit(rec.body("event", e=side_to_doc(StoreEvent(kind, text, when, account))))

    def set_cursor(self, name: str, value: Any) -> None:
        """Persist a poller value (e.g. history gaps per account); JSON data only."""
        self.state.side.check_cursor(name, value)
        self._commit(rec.body("cursor", name=name, value=value))

    def prune(self, older_than_s: float) -> int:
        """Drop whole partitions of settled messages older than the retention; returns count."""
        before = len(self.state.index)
        cutoff = self._prune_cutoff(older_than_s)
        self._commit(rec.body("prune", cutoff=cutoff, at=self._clock.now()))
        return before - len(self.state.index)

    # ---- applying records (own and others') ---------------------------------------------

    def _apply_record(self, body: dict[str, Any], objs: Any = None) -> list[AppliedChange]:
        op = body.get("op")
        state = self.state
        if op == "apply":
            if objs is None:
                items, source, now = rec.apply_items(body)
            else:
                items, source, now = objs, Source(body["src"]), body["now"]
            return state.apply(items, source, now)
        if op == "balance":
            state.side.add_balance(objs or doc_to_side(Balance, body["b"]))
        elif op == "incoming":
            state.side.add_incoming(
                objs or [doc_to_side(IncomingMessage, d) for d in body["items"]]
            )
        elif op == "event":
            state.side.events.append(doc_to_side(StoreEvent, body["e"]))
        elif op == "cursor":
            state.side.set_cursor(str(body["name"]), body["value"])
        elif op == "prune":
            self._prune(float(body["cutoff"]), float(body.get("at", body["cutoff"])))
        else:
            log.warning("journal record of unknown kind %r skipped", op)
            return []
        state.side_dirty = True
        self.version += 1  # side tables changed: views of balances and events refresh
        return []

    def _apply_records(self, records: Sequence[Record]) -> list[AppliedChange]:
        out: list[AppliedChange] = []
        for r in records:
            try:
                changes = self._apply_record(r.body)
            except StoreError as err:  # one bad record must not stop the rest
                self._notice(f"journal record at {r.start} skipped: {err}")
                changes = []
            if rec.is_mine(r.body):
                self._results[r.body["rid"]] = changes
            out += changes
            self.pos = r.end
        return out

    def catch_up(self) -> list[AppliedChange]:
        """Apply what other processes appended since `pos` (a follower's tail; cheap when idle)."""
        return self._take_in(self.journal.read_tail(self.pos))

    refresh = catch_up

    async def refresh_async(self) -> list[AppliedChange]:
        """catch_up() with the file read in a thread; memory changes only on the loop. A trim
        that overtook this follower is caught up from what changed, in slices (_overtaken)."""
        out: list[AppliedChange] = []
        while True:
            seen = self.journal.signature()
            if seen == self._seen:
                return out
            pos = self.pos
            got = await asyncio.to_thread(self.journal.read_tail, pos)
            if self.pos != pos:
                self._seen = seen
                return out + self.catch_up()  # memory moved while reading (our own append)
            if got is not None or self._lock is not None:
                self._seen = seen  # only once read: a failed read is tried again next turn
                return out + self._take_in(got)
            out += await self._overtaken()
            self._seen = None  # then the records after the manifest's position, at once

    def _take_in(self, got: Tail | None) -> list[AppliedChange]:
        if got is None:
            return self._reload()
        for bad in got.damaged:
            self._damaged(bad)
        changes = self._apply_records(got.records)
        self.pos = max(self.pos, got.end)
        self._changed(changes)
        return changes

    def _damaged(self, bad: Damaged) -> None:
        """Say once per process that a journal record was damaged (the file keeps it once)."""
        if bad.start in self._damaged_seen:
            return
        self._damaged_seen.add(bad.start)
        where = "kept in journal.damaged" if not bad.kept else f"could not be kept: {bad.kept}"
        self.damage_problem = (f"journal: skipped a damaged record at {bad.start} "
                               f"({bad.size} bytes; {where})")  # fmt: skip
        self._notice(self.damage_problem)

    async def follow(self, interval_s: float = 0.25) -> None:
        """Tail the journal forever: other processes' appends reach memory within interval_s."""
        while True:
            try:
                await self.refresh_async()
            except StoreError as err:  # an unreadable journal now may be readable next turn
                text = f"cache journal: {err}"
                if text != self.read_error:  # once, not every turn, while it lasts
                    log.warning("%s", text)
                self.read_error = text
            else:
                self.read_error = ""
            await asyncio.sleep(interval_s)

    def _changed(self, changes: list[AppliedChange]) -> None:
        if changes:
            self.version += 1
            for listener in list(self._listeners):
                try:
                    listener(changes)
                except Exception:  # a broken view must not break the writer
                    log.exception("store listener %r failed", listener)

    # ---- whole-history queries ----------------------------------------------------------

    def _query_reader(self, query: Query) -> Reader:
        """How a query reads a partition that is not loaded: the summary's sets file when the
        query wants only open or failed messages, else the partition file; the documents that
        cannot match are never decoded."""
        root, keep = self.root, prefilter(query)
        whole = partition_reader(root, query)
        if query.states is None or not query.states <= SET_STATES:
            return whole

        def read(info: PartInfo) -> Decoded:
            docs = read_sets(root, info.name, info.stamp)
            if docs is None:
                self._resummarise.add(info.name)
                return whole(info)
            return decode_some(info.name, docs, keep)

        return read

    def _narrow(self) -> Narrow:
        """How a query narrows partitions by id (the manifest's id ranges) or phone (the
        summaries' Bloom filters, read once per process and stamp)."""

        def narrow(query: Query, parts: list[PartInfo]) -> tuple[list[PartInfo], list[str]]:
            if query.message_id is not None:
                parts = [i for i in parts if i.may_hold_id(query.message_id)]
            if query.phone is not None:
                hashes = phone_hashes(query.phone)
                kept = []
                for info in parts:
                    keys = self._keys(info)
                    if keys is None or keys.phones.may_hold(hashes):
                        kept.append(info)
                parts = kept
            return parts, []

        return narrow

    def _keys(self, info: PartInfo) -> Keys | None:
        """A partition's keys summary (cached by stamp); None → read the partition whole, and
        the writer rebuilds the summary at its next checkpoint."""
        cached = self._keys_cache.get(info.name)
        if cached is not None and cached.stamp == info.stamp:
            return cached
        keys = read_keys(self.root, info.name, info.stamp)
        if keys is None:
            self._resummarise.add(info.name)
            self._keys_cache.pop(info.name, None)
        else:
            self._keys_cache[info.name] = keys
        return keys

    def partition_rollups(
        self, accounts: frozenset[str] | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The rollup documents of every partition not loaded (of these accounts), and the
        partitions without a usable one (a breakdown must read those)."""
        docs, lacking = [], []
        for info in self.unloaded_partitions():
            if accounts is not None and info.account not in accounts:
                continue
            keys = self._keys(info)
            if keys is None or keys.rollup is None:
                lacking.append(info.name)
            else:
                docs.append(keys.rollup)
        return docs, lacking

    # ---- listeners ----------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(changes)` after every applied batch (own or another process's)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling a listener (no error when it was not registered)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    # ---- health -------------------------------------------------------------------------

    def health(self) -> StoreHealth:
        """The cache's state for the health line."""
        unloaded = self.unloaded_partitions()
        sig = self.journal.signature()
        problems = (self.append_error, self.checkpoint_error, self.read_error, self.damage_problem,
                    rejects.problem(self.state.rejected))  # fmt: skip
        return StoreHealth(
            problem=next((p for p in problems if p), ""),
            journal_bytes=sig[1] if sig else 0,
            loaded=len(self.state.index),
            total=self.total(),
            unloaded_partitions=len(unloaded),
        )
