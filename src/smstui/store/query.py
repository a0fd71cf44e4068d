"""One query path over the whole cache: loaded messages and every partition on disk, merged.

A query is a filter (hints the store can use to skip partitions, plus any predicate) answered
newest-first as a stream. Memory holds the loaded partitions with every journal change
applied; a partition not loaded is read from its file, one at a time, in the order of its
newest message, and its matches are merged into the stream as soon as nothing unread can be
newer. Memory stays bounded by the partitions whose time ranges overlap (about one day).

`Store.query()` takes a snapshot on the event loop (an O(1) view of memory and the partition
list); iterating the answer reads files and may run in a worker thread.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from smstui.errors import StoreError
from smstui.model import DeliveryState, Key, Message, StatusChange, sort_key
from smstui.phones import digits
from smstui.queries import AnswerStopped, Query
from smstui.store.index import SortedView
from smstui.store.partitions import PartInfo, read_partition
from smstui.store.schema import Decoded, Entry, decode_partition, entry_to_change


def may_hold(query: Query, info: PartInfo) -> bool:
    """Whether a partition can hold an answer, from its manifest entry alone."""
    if query.accounts is not None and info.account not in query.accounts:
        return False
    if query.states is not None and not any(info.states.get(s.value, 0) for s in query.states):
        return False
    if query.since is not None and info.last_sent is not None and info.last_sent < query.since:
        return False
    if query.until is not None and info.first_sent is not None and info.first_sent >= query.until:
        return False
    return info.count > 0


# What the store hands a query: read one partition (decoded), and which partitions may hold a
# phone or an id (from the look-up summaries; None: no summary, read them all).
Reader = Callable[[PartInfo], Decoded]
Narrow = Callable[[Query, list[PartInfo]], tuple[list[PartInfo], list[str]]]


@dataclass
class Answer:
    """A query's answer: iterate for messages, newest first. Progress and gaps as it goes.

    `missing` names the partitions that could not be read (damaged files): the answer is then
    partial, and `missing_days` says which (account, day) pairs it lacks.
    """

    query: Query
    view: SortedView
    parts: list[PartInfo]
    read: Reader
    timelines: dict[Key, tuple[Entry, ...]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    parts_total: int = 0
    parts_done: int = 0
    parts_skipped: int = 0
    done: bool = False
    keep_timelines: bool = False  # keep disk messages' timelines for `timeline()` (look-ups)
    _disk_timelines: dict[Key, tuple[Entry, ...]] = field(default_factory=dict)
    _names: dict[str, PartInfo] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Message]:
        return self._stream()

    def loaded(self, key: Key) -> Message | None:
        """The message under `key` in memory at the snapshot (None: only on disk)."""
        return self.view.get(key)

    def stop_when(self, stop: threading.Event) -> None:
        """Raise AnswerStopped before the next partition read once `stop` is set."""
        read = self.read

        def guarded(info: PartInfo) -> Decoded:
            if stop.is_set():
                raise AnswerStopped
            return read(info)

        self.read = guarded

    @property
    def days_total(self) -> int:
        """How many days on disk the answer reads (its partitions' distinct days)."""
        return len({i.day for i in self.parts})

    @property
    def days_done(self) -> int:
        """How many of those days it has read so far."""
        return len({i.day for i in self.parts[: self.parts_done]})

    @property
    def complete(self) -> bool:
        """Every partition was read and none was missing."""
        return self.done and not self.missing

    @property
    def missing_days(self) -> list[tuple[str, str]]:
        """(account, day) of every partition that could not be read."""
        out = {(i.account, i.day) for n in self.missing if (i := self._names.get(n))}
        return sorted(out)

    def partial_reason(self) -> str:
        """'' when whole; else what the answer lacks, in words."""
        if not self.missing:
            return ""
        days = ", ".join(f"{a} {d}" for a, d in self.missing_days)
        return f"{len(self.missing)} damaged partition(s) could not be read; missing: {days}"

    def timeline(self, key: Key) -> tuple[Entry, ...]:
        """A streamed message's stored timeline (memory's, or its partition's)."""
        got = self.timelines.get(key)
        return got if got is not None else self._disk_timelines.get(key, ())

    def changes(self, key: Key) -> list[StatusChange]:
        """A streamed message's timeline as status changes, oldest first."""
        return [entry_to_change(key, e) for e in self.timeline(key)]

    def _stream(self) -> Iterator[Message]:
        q = self.query
        accepts = q.accepts
        mem = (m for m in self.view if accepts(m))
        head = next(mem, None)
        head_key = sort_key(head) if head is not None else None
        heap: list[tuple[tuple[float, int, str, str, str], Message]] = []
        self.parts_total = len(self.parts)
        for info in self.parts:
            bound = -info.newest  # everything placed after this partition's newest is safe
            while True:
                if heap and (head_key is None or heap[0][0] < head_key):
                    if heap[0][0][0] >= bound:
                        break
                    yield heapq.heappop(heap)[1]
                elif head_key is not None:
                    if head_key[0] >= bound:
                        break
                    yield head  # type: ignore[misc]
                    head = next(mem, None)
                    head_key = sort_key(head) if head is not None else None
                else:
                    break
            try:
                part = self.read(info)
            except StoreError:
                self.missing.append(info.name)
                self.parts_done += 1
                continue
            in_memory = self.view.get
            for m, timeline in part.items:
                if accepts(m) and in_memory(m.key) is None:  # a stale copy of a moved one
                    heapq.heappush(heap, (sort_key(m), m))
                    if timeline and self.keep_timelines:  # else memory grows with the answer
                        self._disk_timelines[m.key] = timeline
            self.parts_done += 1
        while heap or head is not None:
            if heap and (head_key is None or heap[0][0] < head_key):
                yield heapq.heappop(heap)[1]
            else:
                yield head  # type: ignore[misc]
                head = next(mem, None)
                head_key = sort_key(head) if head is not None else None
        self.done = True


@dataclass(frozen=True)
class Found:
    """A point look-up's answer: the messages with their timelines, and what it lacks."""

    items: list[tuple[Message, list[StatusChange]]]
    partial: str = ""  # '' when every partition that could hold it was read
    missing_days: list[tuple[str, str]] = field(default_factory=list)


def plan(
    query: Query, unloaded: Iterable[PartInfo], narrow: Narrow | None
) -> tuple[list[PartInfo], int, list[str]]:
    """The partitions to read, newest first; how many were skipped; which summaries were
    unreadable (the partitions they describe are read whole instead)."""
    infos = [replace(i) for i in unloaded]  # copies: a checkpoint recounts the live ones
    wanted = [i for i in infos if may_hold(query, i)]
    damaged: list[str] = []
    if narrow is not None and (query.phone is not None or query.message_id is not None):
        wanted, damaged = narrow(query, wanted)
    wanted.sort(key=lambda i: i.newest, reverse=True)
    return wanted, len(infos) - len(wanted), damaged


def prefilter(query: Query) -> Callable[[dict[str, Any]], bool] | None:
    """A test on raw documents for the hints (decoding costs ~10x more than a dict look-up):
    only the documents that pass are decoded; `accepts` still decides on the message."""
    tests: list[Callable[[dict[str, Any]], bool]] = []
    if query.states is not None:
        wanted = {s.value for s in query.states}
        tests.append(lambda d: d.get("state", DeliveryState.UNKNOWN.value) in wanted)
    if query.message_id is not None:
        mid = query.message_id
        tests.append(lambda d: d.get("message_id") == mid)
    if query.phone is not None:
        phone = digits(query.phone)

        def same_phone(d: dict[str, Any]) -> bool:
            stored = str(d.get("phone", ""))
            if stored == phone:
                return True
            if stored.isdigit() and not (len(stored) == 11 and stored[0] == "8"):
                return False  # already in normal form (the usual case): no need to normalise
            return digits(stored) == phone

        tests.append(same_phone)
    if not tests:
        return None
    return lambda d: all(t(d) for t in tests)


def decode_some(name: str, docs: list[dict[str, Any]], keep: Callable[..., bool] | None) -> Decoded:
    """Decode the documents that pass `keep` (all of them without one)."""
    if keep is not None:
        docs = [d for d in docs if isinstance(d, dict) and keep(d)]
    return decode_partition(name, docs)


def partition_reader(root: Path, query: Query | None = None) -> Reader:
    """Read one partition file and decode what may match (StoreError when unreadable)."""
    keep = prefilter(query) if query is not None else None

    def read(info: PartInfo) -> Decoded:
        return decode_some(info.name, read_partition(root, info), keep)

    return read
