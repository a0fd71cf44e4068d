"""A follower overtaken by a checkpoint's trim: catch up from what changed, not from scratch.

The journal no longer holds records this process never applied; the new manifest and the
partitions hold them. A loaded partition whose file is the one its copy was read from (same
inode, size and mtime) holds nothing new: every record that touched one of its messages
either rewrote it (the writer had it loaded) or was parked in the manifest's pending changes.
So only changed files, partitions the manifest no longer names and new partitions the view
needs are read (in a thread); the difference is applied on the loop in slices. Memory then
equals a fresh open that loads the same partitions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from smstui.errors import StoreError
from smstui.model import AppliedChange, Key
from smstui.store.manifest import Manifest, read_manifest
from smstui.store.merge import merge_message
from smstui.store.partitions import PartInfo, partition_path, scan_partitions
from smstui.store.schema import Decoded, Entry, NewerSchema

if TYPE_CHECKING:
    from smstui.model import Message
    from smstui.store.opening import Opener

Sig = tuple[int, int, int]  # (inode, size, mtime_ns) of a partition file
SLICE = 2_000  # messages compared or moved per slice on the loop (a few ms each)
TRIES = 5  # manifest reads while checkpoints keep trimming (as at open)


def file_sig(root: Path, name: str) -> Sig | None:
    """The partition file's identity right now (None: no file). Taken before reading it, so a
    file replaced meanwhile reads as changed next time, never the other way round."""
    try:
        st = os.stat(partition_path(root, name))
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


@dataclass
class Seen:
    """What memory holds, taken on the loop before planning."""

    loaded: dict[str, Sig | None]  # loaded partition → the file its copy came from (None: unknown)
    infos: dict[str, PartInfo]  # the loaded partitions' entries
    known: set[str]  # every partition memory knows of, loaded or not
    oldest: float  # the oldest loaded partition's newest placement time


@dataclass
class Plan:
    """What to change: the manifest, and the partitions to take as their files say now."""

    manifest: Manifest
    parts: list[PartInfo]  # every partition on disk: the manifest's and files it does not name
    reads: list[tuple[PartInfo, Sig | None, Decoded]]  # read now (new content; gone: empty)
    pos: int  # where tailing resumes
    behind: str  # a notice when the journal starts after the manifest ('' normally)


def seen(store: Opener) -> Seen:
    """Memory's partitions and the files they came from (on the loop)."""
    state, sigs = store.state, store._part_sigs()
    loaded = {name: sigs.get(name) for name in state.loaded}
    newest = [state.parts[n].newest for n in state.loaded if n in state.parts]
    infos = {n: state.parts[n] for n in state.loaded if n in state.parts}
    return Seen(loaded, infos, set(state.parts), min(newest, default=float("inf")))


def plan(store: Opener, was: Seen) -> Plan | None:
    """Read the manifest and what changed since memory read it (in a thread: files only).
    None when there is no readable manifest (the caller opens again from scratch)."""
    root = store.root
    for _ in range(TRIES):
        try:
            manifest = read_manifest(root)
        except NewerSchema:
            raise
        except StoreError:  # damaged: opening again from scratch rebuilds it
            return None
        base = store.journal.base()
        if manifest is None or base is None or manifest.journal_pos >= base:
            break
    if manifest is None:
        return None
    named = {p.name: p for p in manifest.parts}
    parts = list(manifest.parts) + scan_partitions(root, named)  # a checkpoint cut short
    eager = {p.name for p in store._eager(manifest.parts)}  # what a fresh open would load
    want: list[PartInfo] = []
    for info in parts:
        name = info.name
        if name in was.loaded:
            sig = was.loaded[name]
            if sig is None or file_sig(root, name) != sig:
                want.append(info)
        elif name in eager or (name not in was.known and info.newest >= was.oldest):
            want.append(info)
    reads = [(info, file_sig(root, info.name), store._read_partition(info)) for info in want]
    on_disk = {p.name for p in parts}
    for name in was.loaded.keys() - on_disk:  # emptied or pruned: its messages leave memory
        if name in was.infos:
            reads.append((was.infos[name], None, Decoded([], [])))
    pos, behind = manifest.journal_pos, ""
    if base is None:
        pos = max(pos, 0)
    elif pos < base:
        if pos >= 0:
            behind = f"the journal starts at {base}, after the manifest's {pos}"
        pos = base
    return Plan(manifest, parts, reads, pos, behind)


def apply(store: Opener, p: Plan) -> Iterator[list[AppliedChange]]:
    """Make memory what a fresh open loading the same partitions would hold; yields each
    slice's changes (the caller reports them, and may pause between slices or run all)."""
    state = store.state
    m = p.manifest
    state.side.load(m.balances, m.incoming, m.events, m.cursor)
    state.pending = {}
    for c in m.pending:
        state.pending.setdefault((c.account, c.message_id), []).append(c)
    retaken = {info.name for info, _, _ in p.reads}
    moving: set[Key] = set()  # keys a re-read partition takes from another one
    for _, _, part in p.reads:
        moving.update(msg.key for msg, _ in part.items)
    for info, _, part in p.reads:
        yield from _retake(store, info.name, part, moving, retaken)
    out: list[AppliedChange] = []
    on_disk = {info.name for info in p.parts}
    for name in retaken - on_disk:
        state.loaded.discard(name)
        state.members.pop(name, None)
    state.parts, state._days = {}, {}
    for info in p.parts:
        state.add_part(info)
    by_key = state.index.by_key
    for ident in list(state.pending):  # parked changes of messages now loaded, as install does
        for key in state.index.ids(*ident):
            if (msg := by_key.get(key)) is not None:
                state._reconcile(msg, out, None)
    state.dirty.clear()  # a reader writes nothing: what it holds is what the files say
    state.shrunk.clear()
    state.side_dirty = False
    sigs = store._part_sigs()
    for info, sig, _ in p.reads:
        if sig is None or info.name not in state.loaded:
            sigs.pop(info.name, None)
        else:
            sigs[info.name] = sig
    store.pos = p.pos
    if p.behind:
        store._notice(p.behind)
    yield out


def _retake(
    store: Opener, name: str, part: Decoded, moving: set[Key], retaken: set[str]
) -> Iterator[list[AppliedChange]]:
    """Replace one partition's copy in memory with its file's, reporting what differs."""
    state = store.state
    index, part_of, timelines = state.index, state.part_of, state.timelines
    new = {msg.key: (msg, tl) for msg, tl in part.items}
    old_keys = state.members.get(name, set()) if name in state.loaded else set()
    members = state.members[name] = set()
    state.loaded.add(name)
    state.rejected = [r for r in state.rejected if r.partition != name] + part.rejected
    out: list[AppliedChange] = []
    gone = [k for k in old_keys if k not in new and k not in moving and part_of.get(k) == name]
    for i in range(0, len(gone), SLICE):
        batch = gone[i : i + SLICE]
        before = [index.by_key[k] for k in batch]
        index.remove_many(batch)
        for k, was in zip(batch, before, strict=True):
            part_of.pop(k, None)
            timelines.pop(k, None)
            out.append(AppliedChange("removed", k, was, was))
        yield out
        out = []
    fresh: list[tuple[Message, tuple[Entry, ...]]] = []
    done = 0
    for key, (msg, tl) in new.items():
        done += 1
        if done % SLICE == 0:
            yield out
            out = []
        cur = index.by_key.get(key)
        if cur is None:
            fresh.append((msg, tl))
            continue
        owner = part_of.get(key)
        if owner is not None and owner != name and owner not in retaken:
            # Filed twice (a writer that had the old day unloaded re-dated it into this one):
            # this file changed since, so its copy is the newer word; the other's details stay.
            state.members.get(owner, set()).discard(key)
            part_of[key] = name
            members.add(key)
            merged = merge_message(cur, msg)
            if merged != cur:
                index.put(merged)
                out.append(AppliedChange("updated", key, cur, merged))
            kept = timelines.pop(key, ())
            if tl:
                timelines[key] = tl
            for e in kept:
                state._insert_entry(key, e)
            continue
        if owner != name:
            if owner is not None:
                state.members.get(owner, set()).discard(key)
            part_of[key] = name
        members.add(key)
        if cur != msg:
            index.put(msg)
            out.append(AppliedChange("updated", key, cur, msg))
        if tl:
            timelines[key] = tl
        else:
            timelines.pop(key, None)
    for i in range(0, len(fresh), SLICE):
        run = fresh[i : i + SLICE]
        for msg, tl in run:
            key = msg.key
            members.add(key)
            part_of[key] = name
            if tl:
                timelines[key] = tl
        index.add_many(msg for msg, _ in run)
        out += [AppliedChange("inserted", msg.key, None, msg) for msg, _ in run]
        yield out
        out = []
    yield out
