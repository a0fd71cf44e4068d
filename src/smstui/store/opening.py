"""Opening a cache: manifest, the partitions the live view needs, the journal after them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smstui.errors import StoreError
from smstui.model import AppliedChange
from smstui.store import legacy, overtake
from smstui.store.manifest import Manifest, read_manifest
from smstui.store.partitions import (
    MANIFEST_NAME,
    PARTITIONS_DIR,
    PartInfo,
    partition_path,
    read_partition,
    scan_partitions,
)
from smstui.store.rejects import set_aside
from smstui.store.schema import Decoded, NewerSchema, decode_partition
from smstui.store.state import State
from smstui.store.summaries import read_sets

if TYPE_CHECKING:
    from smstui.clock import Clock
    from smstui.store.journal import Journal
    from smstui.store.lock import WriterLock


OPEN_TRIES = 5  # manifest reads at open while checkpoints keep trimming under a reader


class _Overtake:
    """A catch-up after a trim, in progress: its slices once planned (a write that must catch
    up now runs the rest of them), or superseded by such a write while still planning."""

    steps: Iterator[list[AppliedChange]] | None = None
    superseded = False


class Opener:
    """The loading half of the Store (mixed into Store)."""

    root: Path
    state: State
    journal: Journal
    pos: int
    memory_messages: int
    _clock: Clock
    _lock: WriterLock | None
    _seen: tuple[int, int] | None = None
    _overtake: _Overtake | None = None  # a catch-up after a trim, while it runs
    _slice_lock: asyncio.Lock | None = None
    _sigs: dict[str, overtake.Sig] | None = None
    _listeners: list[Any]

    if TYPE_CHECKING:  # provided by Store and Checkpointer

        def _notice(self, text: str) -> None: ...
        def catch_up(self) -> list[AppliedChange]: ...
        def _apply_records(self, records: Any) -> list[AppliedChange]: ...
        def _changed(self, changes: list[AppliedChange]) -> None: ...
        def checkpoint(self) -> bool: ...

    def _read_partition(self, info: PartInfo) -> Decoded:
        """A partition's messages; a damaged file is set aside (never overwritten) with a
        notice, so is a message document that does not decode (store/rejects.py), and a file
        from a newer smstui refuses the whole cache."""
        try:
            part = decode_partition(info.name, read_partition(self.root, info))
            if part.rejected:
                self._notice(set_aside(self.root, part, self._lock is not None,
                                       self._clock.now()))  # fmt: skip
            return part
        except NewerSchema:
            raise
        except StoreError as err:
            if self._lock is None:  # a reader leaves files alone; the writer sets it aside
                self.state.damaged_parts[info.name] = f"unreadable ({err})"
                self._notice(f"partition {info.name} is unreadable ({err}); not shown here")
                return Decoded([], [])
            path = partition_path(self.root, info.name)
            aside = path.with_name(f"{path.name}.damaged-{int(self._clock.now())}")
            os.replace(path, aside)
            self.state.damaged_parts[info.name] = f"unreadable, kept as {aside.name}"
            self._notice(f"partition {info.name} was unreadable ({err}); kept it as "
                         f"{aside.name}; the journal's changes to that day are kept")  # fmt: skip
            return Decoded([], [])

    def _load(self) -> None:
        writer = self._lock is not None
        manifest, base = self._manifest_and_base(writer)
        if manifest is None and any((self.root / PARTITIONS_DIR).glob("*/*.json")):
            # A crash between a first checkpoint's partitions and its manifest: rebuild quietly.
            manifest = Manifest(journal_pos=-1, parts=scan_partitions(self.root))
            self.state.side_dirty = True
        old = self.root / legacy.LEGACY_NAME
        migrated = manifest is None and old.exists()
        self._install(manifest or Manifest())
        if migrated:
            migrated = self._migrate(old)
        if writer:  # the only process that trims: its journal cannot move under it
            self.journal.repair(base_if_new=max(0, manifest.journal_pos if manifest else 0))
            base = self.journal.base()
        pos = manifest.journal_pos if manifest else 0
        if base is None:
            pos = max(pos, 0)
        elif pos < base:
            if pos >= 0:  # the journal was trimmed past the manifest: a restored backup?
                self._notice(f"the journal starts at {base}, after the manifest's {pos}")
            pos = base
        self.pos = pos
        self.catch_up()
        # The old file goes only once its contents are in partitions (else: next open again).
        if migrated and writer and self.checkpoint():
            os.replace(old, old.with_name(old.name + ".v2-migrated"))

    def _manifest_and_base(self, writer: bool) -> tuple[Manifest | None, int | None]:
        """The manifest and the journal's base, as one consistent pair.

        The writer writes a manifest, then trims the journal behind it. A reader that read the
        manifest just before a checkpoint and the base just after its trim would jump over
        records that no partition it reads holds yet; seeing the base past the manifest, it
        reads the manifest again (the newer one is there before any trim).
        """
        for _ in range(OPEN_TRIES):
            try:
                manifest = read_manifest(self.root)
            except NewerSchema:
                raise
            except StoreError as err:
                return self._rebuild(err, writer), self.journal.base()
            base = self.journal.base()
            if writer or manifest is None or base is None or manifest.journal_pos >= base:
                return manifest, base
        return manifest, base  # still behind: the journal really starts later (a restore)

    def _rebuild(self, err: StoreError, writer: bool) -> Manifest:
        """A damaged manifest: the partition files describe themselves, the journal the rest."""
        path = self.root / MANIFEST_NAME
        if writer and path.exists():
            aside = path.with_name(f"{MANIFEST_NAME}.damaged-{int(self._clock.now())}")
            os.replace(path, aside)
            err = StoreError(f"{err}; kept it as {aside.name}")
        self._notice(f"{path}: {err}; rebuilt it from the partitions and the journal")
        self.state.side_dirty = True  # the next checkpoint writes the rebuilt manifest
        return Manifest(journal_pos=-1, parts=scan_partitions(self.root))

    def _migrate(self, old: Path) -> bool:
        """Read a schema 1/2 cache.json into memory (the writer then checkpoints it)."""
        try:
            snap = legacy.read(old)
        except StoreError as err:
            self._notice(f"{old} could not be migrated ({err}); it is left as it was")
            return False
        self.state.adopt(snap.messages)
        side = self.state.side
        side.load(snap.balances, snap.incoming, snap.events, snap.cursor)
        for c in snap.pending:
            self.state.pending.setdefault((c.account, c.message_id), []).append(c)
        self.state.side_dirty = True
        self._notice(f"migrated {len(snap.messages)} messages from {old.name} (schema "
                     f"{snap.schema}) to day partitions")  # fmt: skip
        return True

    def _install(self, manifest: Manifest) -> None:
        state = self.state
        state.side.load(manifest.balances, manifest.incoming, manifest.events, manifest.cursor)
        for c in manifest.pending:
            state.pending.setdefault((c.account, c.message_id), []).append(c)
        for info in manifest.parts:
            state.add_part(info)
        # Files a checkpoint wrote before it stopped (its manifest never came): a message that
        # moved there would otherwise be replayed as new, without what it had before.
        for info in scan_partitions(self.root, state.parts):
            state.add_part(info)
        chosen = self._eager(manifest.parts)
        names = {p.name for p in chosen}
        for info in manifest.parts:
            # Open messages of older days: the poller needs them, not their days. The sets
            # summary holds them; without a usable one the day is loaded as before.
            if info.open_count and info.name not in names:
                docs = read_sets(self.root, info.name, info.stamp)
                if docs is None:
                    chosen.append(info)
                else:
                    state.add_stubs(info, decode_partition(info.name, docs))
        for info in chosen:
            if info.name not in state.loaded:
                state.install(info, self._read_partition(info))

    def _eager(self, parts: list[PartInfo]) -> list[PartInfo]:
        """What the live view needs: the newest partitions up to the memory budget, at least
        one per account (so every account's first page shows); open messages of older days
        are kept as stubs (`State.stubs`), not by loading their days."""
        chosen: list[PartInfo] = []
        total, seen, full = 0, set(), False
        for p in sorted(parts, key=lambda p: p.newest, reverse=True):
            # Newest first without gaps: a big new day that does not fit ends the window
            # (skipping it for smaller older ones would leave a hole in the history).
            full = full or total + p.count > self.memory_messages
            if not full or p.account not in seen:
                chosen.append(p)
                total += p.count
                seen.add(p.account)
        return chosen

    def _reload(self) -> list[AppliedChange]:
        """The journal was trimmed past what this process saw, and it must catch up now (its
        own write waits for the records before it): what changed since memory read it, read
        here on the loop, or the rest of a catch-up already running (overtake.py)."""
        ot = self._overtake
        if self._lock is not None:  # the writer trims behind itself: only a restored backup
            return self._reload_whole()
        if ot is not None and ot.steps is not None:
            changes = [c for batch in ot.steps for c in batch]
        else:
            if ot is not None:
                ot.superseded = True  # its plan, still being read, is older than this one
            plan = overtake.plan(self, overtake.seen(self))
            if plan is None:
                return self._reload_whole()
            changes = [c for batch in overtake.apply(self, plan) for c in batch]
        self._overtake = None
        listeners, self._listeners = self._listeners, []  # one report, of the whole difference
        try:
            changes += self.catch_up()
        finally:
            self._listeners = listeners
        self._changed(changes)
        return changes

    async def _overtaken(self) -> list[AppliedChange]:
        """Catch up after a trim overtook this follower without freezing its loop: the manifest
        and the partitions that changed are read in a thread, the difference is applied in
        slices with a pause between them (listeners hear each slice)."""
        async with self._slices():
            ot = self._overtake = _Overtake()
            plan = await asyncio.to_thread(overtake.plan, self, overtake.seen(self))
            if ot.superseded or self._overtake is not ot:  # a write caught up meanwhile
                return []
            if plan is None:
                self._overtake = None
                return self._reload_whole()
            ot.steps = overtake.apply(self, plan)
            out: list[AppliedChange] = []
            for changes in ot.steps:  # a write in a pause may run the rest (then: stops)
                self._changed(changes)
                out += changes
                await asyncio.sleep(0)
            if self._overtake is ot:
                self._overtake = None
            return out

    def _slices(self) -> asyncio.Lock:
        """One sliced change of loaded partitions at a time (a catch-up, a load of older)."""
        if self._slice_lock is None:
            self._slice_lock = asyncio.Lock()
        return self._slice_lock

    def _part_sigs(self) -> dict[str, overtake.Sig]:
        """Loaded partition → the file (inode, size, mtime) its copy in memory was read from."""
        if self._sigs is None:
            self._sigs = {}
        return self._sigs

    def _reload_whole(self) -> list[AppliedChange]:
        """Open again from scratch, load what was loaded, and report what differs from before
        as changes (no readable manifest, or the writer after a restore)."""
        before, loaded = self.state.index.by_key, set(self.state.loaded)
        self.state = State(self._read_partition)
        self._sigs = None
        listeners, self._listeners = self._listeners, []  # one report, of the whole difference
        try:
            self._load()
            for name in loaded - self.state.loaded:
                if (info := self.state.parts.get(name)) is not None:
                    self.state.install(info, self._read_partition(info))
        finally:
            self._listeners = listeners
        changes = [
            AppliedChange("inserted" if old is None else "updated", key, old, m)
            for key, m in self.state.index.by_key.items()
            if (old := before.get(key)) != m
        ]
        self._changed(changes)
        return changes

    # ---- what is not loaded -------------------------------------------------------------

    def unloaded_partitions(self) -> list[PartInfo]:
        """Partitions on disk but not in memory, newest first."""
        state = self.state
        out = [p for name, p in state.parts.items() if name not in state.loaded]
        return sorted(out, key=lambda p: p.newest, reverse=True)

    def total(self) -> int:
        """Every message in the cache, loaded or not (from the manifest for the rest)."""
        return len(self.state.index) + sum(p.count for p in self.unloaded_partitions())

    async def load_older(self, partitions: int = 1) -> int:
        """Load the newest not-yet-loaded partitions, read in a thread, installed one per slice
        on the loop (listeners hear each); messages added."""
        async with self._slices():
            todo = self.unloaded_partitions()[:partitions]
            if not todo:
                return 0
            root = self.root

            def read(info: PartInfo) -> tuple[overtake.Sig | None, Decoded]:
                return overtake.file_sig(root, info.name), self._read_partition(info)

            docs = await asyncio.to_thread(lambda: [read(p) for p in todo])
            before = len(self.state.index)
            for info, (sig, d) in zip(todo, docs, strict=True):
                state = self.state  # a catch-up from scratch may have replaced it meanwhile
                if info.name in state.loaded or info.name not in state.parts:
                    continue
                if sig != overtake.file_sig(root, info.name):  # rewritten since it was read
                    sig, d = await asyncio.to_thread(read, info)
                    if info.name in self.state.loaded or info.name not in self.state.parts:
                        continue
                self._changed(self.state.install(info, d))
                if sig is not None:
                    self._part_sigs()[info.name] = sig
                await asyncio.sleep(0)
            return len(self.state.index) - before
