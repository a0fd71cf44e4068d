"""The history through a filter, patched per store batch instead of re-filtered (no Textual).

Filtering 100,000 messages costs ~100 ms; a live batch changes a few hundred. So the filtered
rows are computed once when the filter changes, and each batch only tests the messages it
touched: an update whose sort position did not move is replaced in place, the rest are removed
and inserted by bisecting a parallel list of sort keys (the store's own history order).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from heapq import merge

from smstui.filtering import Filter
from smstui.model import Message
from smstui.store.index import SortKey, sort_key

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

    def accepts(self, message: Message, now: float | None = None) -> bool:
        """Does the message belong in the filtered rows?"""
        if self.failed_only and not message.state.is_failure:
            return False
        return not self.filter or self.filter.matches(message, now)

    def patch(self, changes: Iterable[object], now: float | None = None) -> bool:
        """Apply store changes (AppliedChange: before/after); True when the rows changed."""
        # Net effect per message: one batch may change a message twice (A→B→C); the rows hold
        # the first `before` (A) and must end up with the last `after` (C) only.
        first: dict[tuple[str, str, str], Message | None] = {}
        last: dict[tuple[str, str, str], Message | None] = {}  # None: the message left
        for change in changes:
            before: Message | None = getattr(change, "before", None)
            after: Message | None = change.after  # type: ignore[attr-defined]
            if getattr(change, "kind", "") == "removed":
                after = None  # moved to another key (a send's client id became its id)
            elif before is after:
                continue  # a timeline-only change: the row itself is unchanged
            key = (after or before).key  # type: ignore[union-attr]
            if key not in first:
                first[key] = before
            last[key] = after
        accepts: Callable[[Message, float | None], bool] = self.accepts
        removals: list[Message] = []
        inserts: list[Message] = []
        changed = False
        for key, after in last.items():
            before = first[key]
            was = before is not None and accepts(before, now)
            now_in = after is not None and accepts(after, now)
            if was and now_in and sort_key(before) == sort_key(after):  # type: ignore[arg-type]
                changed |= self._replace(before, after)  # type: ignore[arg-type]
                continue
            if was:
                removals.append(before)  # type: ignore[arg-type]
            if now_in:
                inserts.append(after)  # type: ignore[arg-type]
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
