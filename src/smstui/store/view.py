"""SortedView: the history order at one moment, as the UI reads it (O(1) to take)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

from smstui.model import Message
from smstui.store.schema import Key

__all__ = ["SortedView"]


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
