"""In-memory index of messages: by key, by (account, id), and in history order."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from smstui.model import DeliveryState, Message
from smstui.store.schema import Key

_INF = float("inf")
SortKey = tuple[float, int, str, str]


def sort_key(m: Message) -> SortKey:
    """History order: newest sent_at first (unknown times last), ties by id (numeric-aware)."""
    sent = -m.sent_at if m.sent_at is not None else _INF
    return (sent, len(m.message_id), m.message_id, m.phone)


class SortedView(Sequence[Message]):
    """A read-only view of the history order at one moment; later changes never show through."""

    __slots__ = ("_items",)

    def __init__(self, items: list[Message]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, i: int) -> Message: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Message]: ...
    def __getitem__(self, i: int | slice) -> Message | Sequence[Message]:
        if isinstance(i, slice):
            return tuple(self._items[i])
        return self._items[i]

    def __iter__(self) -> Iterator[Message]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"SortedView({len(self._items)} messages)"


class MessageIndex:
    """Messages by key, (account, id) → keys, non-final keys per account, state counts, order."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.by_key: dict[Key, Message] = {}
        self.by_id: dict[tuple[str, str], list[Key]] = {}
        self.non_final: dict[str, dict[Key, None]] = {}  # ordered set per account
        self.counts: dict[str, Counter[DeliveryState]] = {}
        self._order_keys: list[SortKey] = []
        self._order: list[Message] = []
        # Copy-on-write: once a view of `_order` is handed out, the next change copies the
        # lists first, so the view stays immutable and getting one stays O(1).
        self._shared = False

    def __len__(self) -> int:
        return len(self.by_key)

    def load(self, messages: Iterable[Message]) -> None:
        """Bulk-load (one sort instead of n bisects); replaces everything."""
        self._reset()
        for m in messages:
            key = m.key
            old = self.by_key.get(key)
            if old is not None:
                self._unindex(old)
            else:
                self.by_id.setdefault((m.account, m.message_id), []).append(key)
            self.by_key[key] = m
            self._index(m)
        self._order = sorted(self.by_key.values(), key=sort_key)
        self._order_keys = [sort_key(m) for m in self._order]

    def view(self) -> SortedView:
        """The history order right now, O(1)."""
        self._shared = True
        return SortedView(self._order)

    def ids(self, account: str, message_id: str) -> list[Key]:
        """Every key that shares this id (several phones of one SMSC send)."""
        return self.by_id.get((account, message_id), [])

    def put(self, m: Message) -> None:
        """Insert or replace one message, keeping every index in step."""
        key = m.key
        old = self.by_key.get(key)
        self._unshare()
        if old is not None:
            self._unindex(old)
            old_sk, new_sk = sort_key(old), sort_key(m)
            pos = bisect_left(self._order_keys, old_sk)
            if old_sk == new_sk:
                self._order[pos] = m
            else:
                del self._order_keys[pos]
                del self._order[pos]
                self._insert_ordered(m, new_sk)
        else:
            self.by_id.setdefault((m.account, m.message_id), []).append(key)
            self._insert_ordered(m, sort_key(m))
        self.by_key[key] = m
        self._index(m)

    def remove_many(self, keys: Iterable[Key]) -> int:
        """Drop these messages; rebuilds the order once (used by retention, not per change)."""
        gone = 0
        for key in keys:
            m = self.by_key.pop(key, None)
            if m is None:
                continue
            gone += 1
            self._unindex(m)
            siblings = self.by_id.get((m.account, m.message_id), [])
            if key in siblings:
                siblings.remove(key)
            if not siblings:
                self.by_id.pop((m.account, m.message_id), None)
        if gone:
            self._shared = False
            self._order = [m for m in self._order if m.key in self.by_key]
            self._order_keys = [sort_key(m) for m in self._order]
        return gone

    def _insert_ordered(self, m: Message, sk: SortKey) -> None:
        pos = bisect_left(self._order_keys, sk)
        self._order_keys.insert(pos, sk)
        self._order.insert(pos, m)

    def _unshare(self) -> None:
        if self._shared:
            self._order = list(self._order)
            self._order_keys = list(self._order_keys)
            self._shared = False

    def _index(self, m: Message) -> None:
        counts = self.counts.get(m.account)
        if counts is None:
            counts = self.counts[m.account] = Counter()
        counts[m.state] += 1
        if not m.state.is_final:
            self.non_final.setdefault(m.account, {})[m.key] = None

    def _unindex(self, m: Message) -> None:
        counts = self.counts[m.account]
        counts[m.state] -= 1
        if not counts[m.state]:
            del counts[m.state]
        if not m.state.is_final:
            self.non_final.get(m.account, {}).pop(m.key, None)
