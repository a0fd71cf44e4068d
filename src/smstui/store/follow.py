"""Read-only followers: reload what the writer flushed, and take over when it is gone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from smstui.errors import StoreError
from smstui.store import storage
from smstui.store.document import Snapshot, gc_paused
from smstui.store.index import MessageIndex
from smstui.store.lock import WriterLock
from smstui.store.schema import AppliedChange


class Follower:
    """The reader's half of the Store (mixed into Store)."""

    path: Path
    index: MessageIndex
    version: int
    _lock: WriterLock | None
    _signature: tuple[int, int, int] | None

    if TYPE_CHECKING:  # provided by Store

        def _read_file(self) -> Snapshot | None: ...
        def _install(self, snap: Snapshot) -> None: ...
        def _notify(self, changes: list[AppliedChange]) -> None: ...

    def refresh(self) -> list[AppliedChange]:
        """Reload what the writer flushed; cheap (one stat) when the file did not change."""
        if self._lock is not None:
            return []
        if storage.file_signature(self.path) == self._signature:
            return []
        with gc_paused():
            return self._reload_as_reader()

    async def refresh_async(self) -> list[AppliedChange]:
        """refresh() for a reader on an event loop: the file is read in a thread, and the index
        changes only on the loop, so views reading it never see it half-replaced."""
        if self._lock is not None:
            return []
        if storage.file_signature(self.path) == self._signature:
            return []
        snap = await asyncio.to_thread(self._read_file)
        with gc_paused():
            return self._install_as_reader(snap)

    def _reload_as_reader(self) -> list[AppliedChange]:
        return self._install_as_reader(self._read_file())

    def _install_as_reader(self, snap: Snapshot | None) -> list[AppliedChange]:
        if snap is None:
            return []
        old = self.index.by_key
        changes = []
        for m in snap.messages:
            before = old.get(m.key)
            if before is None:
                changes.append(AppliedChange("inserted", m.key, None, m))
            elif before != m:
                changes.append(AppliedChange("updated", m.key, before, m))
        self._install(snap)
        self.version += 1
        if changes:
            self._notify(changes)
        return changes

    def promote(self) -> bool:
        """Try to become the writer (e.g. after the daemon stopped); True on success."""
        if self._lock is not None:
            return True
        lock = WriterLock(self.path)
        try:
            lock.acquire()
        except StoreError:
            return False
        self._lock = lock
        self._signature = None
        self._reload_as_writer()
        return True

    def _reload_as_writer(self) -> None:
        """Reload the file as the new writer so nothing the old writer flushed is lost."""
        with gc_paused():
            snap = self._read_file()
            if snap is not None:
                self._install(snap)
                self.version += 1
