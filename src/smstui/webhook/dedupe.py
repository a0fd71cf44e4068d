"""Which pushes were already handed to the sink: a bounded memory with linear batch checks."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence


class PushMemory:
    """Identities of delivered pushes, the oldest forgotten first once `capacity` is reached.

    Every check is a hash lookup: a Webcom batch of n entries costs O(n), where the list
    membership test it replaces cost O(n²) (18,000 ids held the event loop for 4.6 s).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    def __contains__(self, ident: Hashable) -> bool:
        return ident in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def fresh(self, idents: Sequence[Hashable]) -> list[int]:
        """Positions of the idents neither remembered nor already met earlier in `idents`."""
        seen, batch, positions = self._seen, set(), []
        for position, ident in enumerate(idents):
            if ident in seen or ident in batch:
                continue
            batch.add(ident)
            positions.append(position)
        return positions

    def remember(self, idents: Iterable[Hashable]) -> None:
        """Note these as delivered; forget the oldest beyond capacity."""
        seen = self._seen
        for ident in idents:
            seen[ident] = None
        while len(seen) > self.capacity:
            seen.popitem(last=False)
