"""In-memory index of the loaded messages (by key, by (account, id), in history order) and the
immutable views of that order the UI reads."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from smstui.model import DeliveryState, Message
from smstui.store.schema import Key

SortKey = tuple[float, int, str, str, str]
_INF = float("inf")
_FINAL = frozenset(s for s in DeliveryState if s.is_final)


def sort_key(m: Message) -> SortKey:
    """History order: newest first by send time, else first-seen time (a message first seen
    through a push sits where it appeared until history names its send time); neither known:
    last. Ties by id (numeric-aware).

    Ends with the account so that every message has its own key: two accounts can share an
    id, a phone and a time.
    """
    at = m.sent_at if m.sent_at is not None else m.seen_at
    sent = -at if at is not None else _INF
    return (sent, len(m.message_id), m.message_id, m.phone, m.account)


class MessageIndex:
    """Messages by key, (account, id) → phones, open keys and state counts per account, order.

    The history order is a sorted list of (sort key, key). A view shares it and the key map;
    the next change copies whichever it touches first (copy-on-write), so taking a view is
    O(1) and a view never changes under its reader.
    """

    def __init__(self) -> None:
        self.by_key: dict[Key, Message] = {}
        self._phones: dict[tuple[str, str], list[str]] = {}
        self.non_final: dict[str, dict[Key, None]] = {}  # ordered set per account
        self.counts: dict[str, Counter[DeliveryState]] = {}
        self._order: list[tuple[SortKey, Key]] = []
        self._shared = False

    def __len__(self) -> int:
        return len(self.by_key)

    def view(self) -> SortedView:
        """The history order right now, O(1)."""
        self._shared = True
        return SortedView(self._order, self.by_key)

    def ids(self, account: str, message_id: str) -> list[Key]:
        """Every key that shares this id (several phones of one SMSC send)."""
        phones = self._phones.get((account, message_id), ())
        return [(account, message_id, p) for p in phones]

    def _unshare(self) -> None:
        if self._shared:
            self.by_key = dict(self.by_key)
            self._order = list(self._order)
            self._shared = False

    def put(self, m: Message) -> Message | None:
        """Insert or replace one message; returns the one it replaced."""
        self._unshare()
        key = m.key
        old = self.by_key.get(key)
        if old is not None:
            self._unindex(old, key)
            if (old.sent_at, old.seen_at) != (m.sent_at, m.seen_at):  # else: same place
                del self._order[bisect_left(self._order, (sort_key(old), key))]
                self._insert_ordered(m)
        else:
            self._phones.setdefault((m.account, m.message_id), []).append(m.phone)
            self._insert_ordered(m)
        self.by_key[key] = m
        self._index(m, key)
        return old

    def add_many(self, messages: Iterable[Message]) -> None:
        """Insert messages not indexed yet (a partition just loaded): one sort, not n inserts."""
        self._unshare()
        by_key, phones, order = self.by_key, self._phones, self._order
        for m in messages:
            key = m.key
            if key in by_key:
                continue
            by_key[key] = m
            phones.setdefault(key[:2], []).append(key[2])
            self._index(m, key)
            order.append((sort_key(m), key))
        order.sort()

    def remove(self, key: Key) -> Message | None:
        """Drop one message (it moved to another key); O(log n) in the order."""
        self._unshare()
        m = self.by_key.pop(key, None)
        if m is None:
            return None
        self._unindex(m, key)
        self._drop_phone(key)
        del self._order[bisect_left(self._order, (sort_key(m), key))]
        return m

    def _drop_phone(self, key: Key) -> None:
        phones = self._phones.get(key[:2], [])
        if key[2] in phones:
            phones.remove(key[2])
        if not phones:
            self._phones.pop(key[:2], None)

    def remove_many(self, keys: Iterable[Key]) -> int:
        """Drop these messages (retention); rebuilds the order once."""
        self._unshare()
        gone = set()
        for key in keys:
            m = self.by_key.pop(key, None)
            if m is None:
                continue
            gone.add(key)
            self._unindex(m, key)
            self._drop_phone(key)
        if gone:
            self._order = [entry for entry in self._order if entry[1] not in gone]
        return len(gone)

    def _insert_ordered(self, m: Message) -> None:
        entry = (sort_key(m), m.key)
        self._order.insert(bisect_left(self._order, entry), entry)

    def _index(self, m: Message, key: Key) -> None:
        counts = self.counts.get(m.account)
        if counts is None:
            counts = self.counts[m.account] = Counter()
        counts[m.state] += 1
        if m.state not in _FINAL:
            self.non_final.setdefault(m.account, {})[key] = None

    def _unindex(self, m: Message, key: Key) -> None:
        counts = self.counts[m.account]
        counts[m.state] -= 1
        if not counts[m.state]:
            del counts[m.state]
        if m.state not in _FINAL:
            self.non_final.get(m.account, {}).pop(key, None)


class SortedView(Sequence[Message]):
    """A read-only view of the history order at one moment; later changes never show through.

    It holds the order ((sort key, key) pairs) and the key → message map of that moment; the
    index copies either before its next change once a view shares it (copy-on-write).
    """

    __slots__ = ("_by_key", "_order")

    def __init__(self, order: list[tuple[Any, Key]], by_key: dict[Key, Message]) -> None:
        self._order = order
        self._by_key = by_key

    def __len__(self) -> int:
        return len(self._order)

    def get(self, key: Key) -> Message | None:
        """The message with this key at the view's moment, if loaded."""
        return self._by_key.get(key)

    @overload
    def __getitem__(self, i: int) -> Message: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Message]: ...
    def __getitem__(self, i: int | slice) -> Message | Sequence[Message]:
        if isinstance(i, slice):
            return tuple(self._by_key[k] for _, k in self._order[i])
        return self._by_key[self._order[i][1]]

    def __iter__(self) -> Iterator[Message]:
        by_key = self._by_key
        return (by_key[k] for _, k in self._order)

    def __repr__(self) -> str:
        return f"SortedView({len(self._order)} messages)"
