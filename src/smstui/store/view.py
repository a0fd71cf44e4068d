"""SortedView: the history order at one moment, as the UI reads it (O(1) to take)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from smstui.model import Message
from smstui.store.schema import Key

__all__ = ["SortedView"]


class SortedView(Sequence[Message]):
    """A read-only view of the history order at one moment; later changes never show through.

    It holds the order (keys) and the key → message map of that moment; the index copies
    either one before its next change once a view shares it (copy-on-write).
    """

    __slots__ = ("_by_key", "_keys")

    def __init__(self, keys: list[Key], by_key: dict[Key, Message]) -> None:
        self._keys = keys
        self._by_key = by_key

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, i: int) -> Message: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Message]: ...
    def __getitem__(self, i: int | slice) -> Message | Sequence[Message]:
        if isinstance(i, slice):
            return tuple(map(self._by_key.__getitem__, self._keys[i]))
        return self._by_key[self._keys[i]]

    def __iter__(self) -> Iterator[Message]:
        return map(self._by_key.__getitem__, self._keys)

    def __repr__(self) -> str:
        return f"SortedView({len(self._keys)} messages)"
