"""The history through a filter, patched per store batch instead of re-filtered (no Textual).

Filtering 100,000 messages costs ~100 ms; a live batch changes a few hundred. So the filtered
rows are computed once when the filter changes, and each batch only tests the messages it
touched: an update whose sort position did not move is replaced in place, the rest are removed
and inserted by bisecting a parallel list of sort keys (the store's own history order).

A whole-history search adds the matches read from disk as they come (`add_found`), while live
batches keep patching: a message a batch changed during the search is the batch's to place,
so the search's older copy of it is dropped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from heapq import merge

from smstui.filtering import Filter
from smstui.model import AppliedChange, Key, Message, SortKey, sort_key

# Above this many inserts/removals one merge pass beats that many list shifts of 100k pointers.
BULK_PATCH = 64


class FilteredRows:
    """Messages of a newest-first history that pass `flt` (and, optionally, are failures)."""

    def __init__(
        self,
        history: Sequence[Message],
        flt: Filter | None,
        *,
        failed_only: bool = False,
        now: float | None = None,
    ) -> None:
        self.filter = flt
        self.failed_only = failed_only
        rows: list[Message] = list(history) if not failed_only else []
        if failed_only:
            rows = [m for m in history if m.state.is_failure]
        if flt:
            rows = flt.select(rows, now)
        self.rows: list[Message] = rows
        self._keys: list[SortKey] = [sort_key(m) for m in rows]
        self._found: dict[Key, Message] = {}  # rows a search read from disk (not in memory)
        self._touched: set[Key] | None = None  # keys live batches changed during a search

    def begin_search(self) -> None:
        """A search starts streaming: note which messages live batches change meanwhile."""
        self._touched = set()

    def end_search(self) -> None:
        """The search is over (complete or cancelled): nothing more will be added."""
        self._touched = None

    def add_found(self, batch: Iterable[Message]) -> int:
        """Add a search's matches (newest first, not in memory); returns how many were added."""
        touched = self._touched or ()
        found, rows, keys = self._found, self.rows, self._keys
        added = 0
        for message in batch:
            key = message.key
            if key in touched or key in found:  # a live batch placed it (or took it away)
                continue
            sk = sort_key(message)
            if not keys or sk >= keys[-1]:  # the usual case: older than every row so far
                keys.append(sk)
                rows.append(message)
            else:
                index = bisect_left(keys, sk)
                keys.insert(index, sk)
                rows.insert(index, message)
            found[key] = message
            added += 1
        return added

    def again(self, loaded: Sequence[Message], now: float | None = None) -> FilteredRows:
        """The same view as of `now`: the loaded messages filtered afresh, the rows a search
        found on disk re-tested (their days are not read again)."""
        fresh = FilteredRows(loaded, self.filter, failed_only=self.failed_only, now=now)
        if self._found:
            loaded_keys = {m.key for m in loaded} if self._found else set()
            kept = [
                m
                for m in self._found.values()
                if m.key not in loaded_keys and fresh.accepts(m, now)
            ]
            kept.sort(key=sort_key)
            fresh.add_found(kept)
        return fresh

    def accepts(self, message: Message, now: float | None = None) -> bool:
        """Does the message belong in the filtered rows?"""
        if self.failed_only and not message.state.is_failure:
            return False
        return not self.filter or self.filter.matches(message, now)

    def patch(self, changes: Iterable[AppliedChange], now: float | None = None) -> bool:
        """Apply store changes; True when the rows changed."""
        # Net effect per message: one batch may change a message twice (A→B→C); the rows hold
        # the first `before` (A) and must end up with the last `after` (C) only.
        first: dict[tuple[str, str, str], Message | None] = {}
        last: dict[tuple[str, str, str], Message | None] = {}  # None: the message left
        shown: set[Key] = set()  # changed messages that are rows because a search found them
        for change in changes:
            before: Message | None = change.before
            after: Message | None = change.after
            if change.kind == "removed":
                after = None  # moved to another key (a send's client id became its id)
            elif before is after:
                continue  # a timeline-only change: the row itself is unchanged
            key = after.key if after is not None else before.key if before else change.key
            if key not in first:
                # A row a search read from disk is in the rows whatever the batch's `before`
                # says (the store may have had no copy: its partition was not loaded), and
                # that very object is the one to take out.
                row = self._found.pop(key, None)
                if row is not None:
                    shown.add(key)
                first[key] = row if row is not None else before
            last[key] = after
        if self._touched is not None:
            self._touched.update(last)
        accepts: Callable[[Message, float | None], bool] = self.accepts
        removals: list[Message] = []
        inserts: list[Message] = []
        changed = False
        for key, after in last.items():
            before = first[key]
            was = key in shown or (before is not None and accepts(before, now))
            now_in = after is not None and accepts(after, now)
            same_place = (
                was and now_in and before is not None and after is not None
                and sort_key(before) == sort_key(after)
            )  # fmt: skip
            if same_place and before is not None and after is not None:
                changed |= self._replace(before, after)
                continue
            if was and before is not None:
                removals.append(before)
            if now_in and after is not None:
                inserts.append(after)
        if not removals and not inserts:
            return changed
        if len(removals) + len(inserts) > BULK_PATCH:
            self._merge(removals, inserts)
        else:
            for message in removals:
                self._remove(message)
            for message in inserts:
                self._insert(message)
        return True

    def _find(self, message: Message) -> int | None:
        sk = sort_key(message)
        index = bisect_left(self._keys, sk)
        key = message.key
        while index < len(self.rows) and self._keys[index] == sk:
            if self.rows[index].key == key:  # equal sort keys only across accounts
                return index
            index += 1
        return None

    def _replace(self, before: Message, after: Message) -> bool:
        index = self._find(before)
        if index is None:
            self._insert(after)
        else:
            self.rows[index] = after
        return True

    def _remove(self, message: Message) -> None:
        index = self._find(message)
        if index is not None:
            del self.rows[index]
            del self._keys[index]

    def _insert(self, message: Message) -> None:
        sk = sort_key(message)
        index = bisect_left(self._keys, sk)
        self._keys.insert(index, sk)
        self.rows.insert(index, message)

    def _merge(self, removals: list[Message], inserts: list[Message]) -> None:
        # The removed rows are the very objects the store handed out: identity is enough.
        gone = {id(m) for m in removals}
        kept = [(k, m) for k, m in zip(self._keys, self.rows, strict=True) if id(m) not in gone]
        added = sorted(((sort_key(m), m) for m in inserts), key=lambda pair: pair[0])
        pairs = list(merge(kept, added, key=lambda pair: pair[0]))
        self._keys = [k for k, _ in pairs]
        self.rows = [m for _, m in pairs]
