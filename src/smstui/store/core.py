"""The Store: smstui's TinyDB cache with one writer, an in-memory index and atomic flushes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from smstui.clock import Clock, SystemClock
from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage, Message, Source, StatusChange
from smstui.store import storage
from smstui.store.applier import Applier
from smstui.store.document import Snapshot, from_tables, gc_paused
from smstui.store.flushing import Flusher, FlushResult
from smstui.store.follow import Follower
from smstui.store.lock import WriterLock
from smstui.store.reads import ReadAPI
from smstui.store.schema import SCHEMA_VERSION, AppliedChange, StoreEvent
from smstui.store.side import SideTables

__all__ = ["FlushResult", "Store"]

log = logging.getLogger(__name__)
Listener = Callable[[list[AppliedChange]], None]
_APPLICABLE = frozenset((Message, StatusChange))


class Store(ReadAPI, Applier, Flusher, Follower):
    """The cache. Open with `Store.open(path, clock=…)`; only the lock holder may write."""

    def __init__(self, path: Path, clock: Clock, lock: WriterLock | None) -> None:
        super().__init__(clock)
        self.path = path
        self._lock = lock
        self.side = SideTables()
        self.notices: list[str] = []  # e.g. "corrupt cache moved aside": shown once by the UI
        self._listeners: list[Listener] = []
        self._init_flusher()
        self._signature: tuple[int, int, int] | None = None

    # ---- life cycle -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        clock: Clock | None = None,
        readonly: bool | Literal["auto"] = False,
    ) -> Store:
        """Open (or create) the cache; a second writer gets StoreError unless readonly="auto"."""
        if readonly not in (True, False, "auto"):
            raise StoreError(f"readonly must be True, False or 'auto', not {readonly!r}")
        path = Path(path)
        lock: WriterLock | None = None
        if readonly is not True:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create {path.parent}: {err.strerror}") from err
            lock = WriterLock(path)
            try:
                lock.acquire()
            except StoreError:
                if readonly != "auto":
                    raise
                lock = None
        store = cls(path, clock or SystemClock(), lock)
        try:
            store._load_initial()
        except BaseException:
            store.close()
            raise
        return store

    @property
    def readonly(self) -> bool:
        """True when another process is the writer (or read-only was asked for)."""
        return self._lock is None

    def close(self) -> None:
        """Flush (when writing) and release the lock; idempotent."""
        try:
            if self._lock is not None and self.dirty:
                self.flush()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _load_initial(self) -> None:
        if not self.readonly:
            storage.remove_stale_temps(self.path)
        with gc_paused(promote=True):
            snap = self._read_file()
            if snap is None and not self.readonly:
                self._gen += 1  # a fresh cache: write the schema on the first flush
            elif snap is not None:
                self._install(snap)

    def _read_file(self) -> Snapshot | None:
        """The file's contents; a corrupt file is moved aside (writer) or ignored (reader)."""
        self._signature = storage.file_signature(self.path)
        try:
            tables = storage.AtomicJSONStorage(self.path).read()
            return None if tables is None else from_tables(tables)
        except StoreError as err:
            if self.readonly:
                self._notice(f"cache {self.path} is unreadable ({err}); waiting for the writer")
                return None
            moved = storage.move_aside(self.path, self._clock.now())
            self._signature = None
            self._notice(
                f"cache {self.path} was unreadable ({err}); moved it to {moved.name} "
                "and started a fresh cache"
            )
            return None

    def _notice(self, text: str) -> None:
        log.warning("%s", text)
        self.notices.append(text)
        self.side.events.append(StoreEvent("store", text, self._clock.now()))

    def _install(self, snap: Snapshot) -> None:
        self.index.load(snap.messages, snap.keys, snap.columns)
        # A snapshot read from disk is ours alone: take its dict instead of copying 100k entries.
        tls = snap.timelines
        self.timelines = tls if isinstance(tls, dict) else dict(tls)
        self.pending = {}
        for c in snap.pending:
            self.pending.setdefault((c.account, c.message_id), []).append(c)
        self.side.load(snap.balances, snap.incoming, snap.events, snap.cursor)
        if self.readonly:
            self._fragments.clear()  # a reader never flushes; promote() reloads first
        elif snap.rows:
            self._fragments.seed(snap.keys or [m.key for m in snap.messages], snap.rows,
                                 snap.row_timelines)  # fmt: skip
        else:
            self._fragments.clear()
        if snap.schema != SCHEMA_VERSION and not self.readonly:
            self._gen += 1  # migrated from an older schema: the next flush writes the new one

    # ---- writes -----------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._lock is None:
            raise StoreError(f"cache {self.path} is open read-only; only the writer can change it")

    def apply(
        self, items: Iterable[Message | StatusChange], *, source: Source = Source.HISTORY
    ) -> list[AppliedChange]:
        """Apply a batch in memory; returns what changed and tells the listeners.

        `source` labels the timeline entries that Messages (not StatusChanges) produce.
        """
        self._check_writable()
        batch = list(items)
        # One C-level pass over the types; the per-item check only when something else is there.
        if not set(map(type, batch)) <= _APPLICABLE:
            for item in batch:
                if not isinstance(item, (Message, StatusChange)):
                    raise StoreError(
                        f"cannot apply a {type(item).__name__}; expected Message or StatusChange"
                    )
        with gc_paused():  # a batch allocates ~5 objects per change and makes no cycles
            out = self.apply_batch(batch, source)
        if out or self.pending_dirty:
            self.pending_dirty = False
            self._gen += 1
        if out:
            self.version += 1
            self._notify(out)
        return out

    def record_balance(self, balance: Balance) -> None:
        """Keep a balance sample."""
        self._check_writable()
        self.side.add_balance(balance)
        self._touch()

    def record_incoming(self, items: Iterable[IncomingMessage]) -> list[IncomingMessage]:
        """Keep incoming messages; returns the ones not seen before."""
        self._check_writable()
        new = self.side.add_incoming(items)
        if new:
            self._touch()
        return new

    def record_event(
        self, kind: str, text: str, at: float | None = None, *, account: str = ""
    ) -> None:
        """Add a line to the event log (budget back-offs, gateway errors, notices)."""
        self._check_writable()
        when = self._clock.now() if at is None else at
        self.side.events.append(StoreEvent(kind, text, when, account))
        self._touch()

    def set_cursor(self, name: str, value: Any) -> None:
        """Persist a poller value (e.g. last history id per account); JSON data only."""
        self._check_writable()
        self.side.set_cursor(name, value)
        self._touch()

    def _touch(self) -> None:
        self._gen += 1
        self.version += 1

    # ---- retention ----------------------------------------------------------------------

    def prune(self, older_than_s: float) -> int:
        """Drop final messages (and old side records) older than the retention; returns count."""
        self._check_writable()
        cutoff = self._clock.now() - older_than_s
        victims = [
            k
            for k, m in self.index.by_key.items()
            if m.state.is_final and _age_mark(m) is not None and _age_mark(m) < cutoff
        ]
        removed = self.index.remove_many(victims)
        for k in victims:
            self.timelines.pop(k, None)
        for ident, parked in list(self.pending.items()):
            kept = [c for c in parked if c.at >= cutoff]
            if kept:
                self.pending[ident] = kept
            else:
                del self.pending[ident]
        self.side.prune(cutoff)
        self._touch()
        return removed

    # ---- listeners ----------------------------------------------------------------------

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(changes)` after every applied batch (and every refresh that changed)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling a listener (no error when it was not registered)."""
        if callback in self._listeners:
            self._listeners.remove(callback)

    def _notify(self, changes: list[AppliedChange]) -> None:
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:  # a broken view must not break the writer
                log.exception("store listener %r failed", listener)


def _age_mark(m: Message) -> float | None:
    """The time retention measures a message by: its last change, else its sending."""
    return m.updated_at if m.updated_at is not None else m.sent_at
