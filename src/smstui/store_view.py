"""How the UI reads the cache: the store as a protocol, beside `Controller` (what it may ask).

The dashboard holds a `StoreView` and a `Controller` and imports nothing from `smstui.store`;
the store implements both this protocol and its answers' (`AnswerView`). Listeners receive
`Sequence[AppliedChange]` (smstui.model), the one change contract.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from smstui.model import (
    AppliedChange,
    Balance,
    DeliveryState,
    Key,
    Message,
    StatusChange,
)
from smstui.queries import Query

Listener = Callable[[Sequence[AppliedChange]], None]


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """What the health line says about the cache ('' when all is well)."""

    problem: str = ""
    journal_bytes: int = 0
    loaded: int = 0
    total: int = 0
    unloaded_partitions: int = 0


class AnswerView(Protocol):
    """A query's answer: iterate for messages, newest first; progress and gaps as it goes."""

    query: Query
    missing: list[str]
    parts_done: int
    parts_total: int
    done: bool

    def __iter__(self) -> Iterator[Message]: ...

    @property
    def complete(self) -> bool:
        """Every partition was read and none was missing."""
        ...

    @property
    def missing_days(self) -> list[tuple[str, str]]:
        """(account, day) of every partition that could not be read."""
        ...

    @property
    def days_total(self) -> int:
        """How many days on disk the answer reads."""
        ...

    @property
    def days_done(self) -> int:
        """How many of those it has read so far."""
        ...

    def partial_reason(self) -> str:
        """'' when whole; else what the answer lacks, in words."""
        ...

    def loaded(self, key: Key) -> Message | None:
        """The message under `key` in memory at the answer's snapshot (None: only on disk)."""
        ...

    def changes(self, key: Key) -> list[StatusChange]:
        """A streamed message's status history, oldest first."""
        ...

    def stop_when(self, stop: threading.Event) -> None:
        """Raise AnswerStopped before the next partition read once `stop` is set."""
        ...


class StoreView(Protocol):
    """What the dashboard reads of the cache (cheap, on the event loop, no file writes)."""

    version: int

    def __len__(self) -> int: ...

    def total(self) -> int:
        """Every message in the cache, loaded or not."""
        ...

    def accounts(self) -> list[str]:
        """Every account the cache holds, loaded or only on disk."""
        ...

    def messages_sorted(self) -> Sequence[Message]:
        """The loaded messages newest first, as a view later changes never alter."""
        ...

    def get(self, key: Key) -> Message | None:
        """One loaded message (or an open message's stub)."""
        ...

    def find(self, account: str, message_id: str) -> list[Message]:
        """The loaded messages with this id on this account."""
        ...

    def timeline(self, key: Key) -> list[StatusChange]:
        """A loaded message's status history, oldest first."""
        ...

    def non_final(self, account: str) -> list[Message]:
        """Every open message of an account, loaded or not."""
        ...

    def counts_by_state(self, account: str | None = None) -> dict[DeliveryState, int]:
        """Messages per state over the whole cache."""
        ...

    def balances(self, account: str) -> list[Balance]:
        """An account's balance samples, oldest first."""
        ...

    def latest_balance(self, account: str) -> Balance | None:
        """An account's newest balance sample."""
        ...

    def query(self, query: Query) -> AnswerView:
        """Answer a query from the whole cache (snapshot now; iterate off the loop)."""
        ...

    def partition_rollups(
        self, accounts: frozenset[str] | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The unloaded partitions' rollup documents, and the partitions that have none."""
        ...

    def health(self) -> StoreHealth:
        """The cache's state in words and numbers."""
        ...

    def add_listener(self, callback: Listener) -> None:
        """Call `callback` with every applied batch (maybe from a follower thread)."""
        ...

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling `callback`."""
        ...
