"""What a reader may ask the cache: a query (filters and hints), independent of how it is kept.

The store answers a `Query` from memory and every partition on disk (smstui.store.query); the
UI, the CLI and the breakdown build queries here without importing the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smstui.model import DeliveryState, Message, placed_at
from smstui.phones import digits

Predicate = Callable[[Message], bool]


class AnswerStopped(Exception):
    """An answer was told to stop (`Answer.stop_when`) before its next partition read."""


@dataclass(frozen=True)
class Query:
    """What to find. Every field narrows; the hints also let whole partitions be skipped."""

    accounts: frozenset[str] | None = None
    states: frozenset[DeliveryState] | None = None
    phone: str | None = None  # a whole number, any format (digits compared)
    message_id: str | None = None
    since: float | None = None  # placement time (send time, else first seen) ≥ since
    until: float | None = None  # placement time < until
    match: Predicate | None = None  # anything else (the dashboard's filter); thread-safe

    def accepts(self, m: Message) -> bool:
        """Whether one message is an answer."""
        if self.accounts is not None and m.account not in self.accounts:
            return False
        if self.states is not None and m.state not in self.states:
            return False
        if self.message_id is not None and m.message_id != self.message_id:
            return False
        if self.phone is not None and digits(m.phone) != digits(self.phone):
            return False
        if self.since is not None or self.until is not None:
            t = placed_at(m)
            if t is None or (self.since is not None and t < self.since):
                return False
            if self.until is not None and t >= self.until:
                return False
        return self.match is None or self.match(m)
