"""The store's read API for the UI and the poller: cheap, and returning immutable values."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

from smstui.model import Balance, DeliveryState, IncomingMessage, Message, StatusChange
from smstui.store.index import MessageIndex, SortedView
from smstui.store.schema import Key, entry_to_change
from smstui.store.side import SideTables
from smstui.store.state import State


class ReadAPI:
    """Read-only queries over the loaded messages, timelines and side tables."""

    state: State

    @property
    def index(self) -> MessageIndex:
        """The loaded messages' index."""
        return self.state.index

    @property
    def side(self) -> SideTables:
        """Balances, incoming messages, events, cursor."""
        return self.state.side

    @property
    def pending(self) -> dict[tuple[str, str], list[StatusChange]]:
        """Parked status changes by (account, message id)."""
        return self.state.pending

    def __len__(self) -> int:
        return len(self.index)

    def messages_sorted(self) -> SortedView:
        """Every message, newest sent first, as a view that later changes never alter (O(1))."""
        return self.index.view()

    def get(self, key: Key) -> Message | None:
        """One message by (account, message_id, phone)."""
        return self.index.by_key.get(key)

    def find(self, account: str, message_id: str) -> list[Message]:
        """Every recipient of one message id (several phones share an SMSC id)."""
        return [self.index.by_key[k] for k in self.index.ids(account, message_id)]

    def timeline(self, key: Key) -> list[StatusChange]:
        """Every status observed for one message, oldest first."""
        return [entry_to_change(key, e) for e in self.state.timelines.get(key, ())]

    def non_final(self, account: str) -> list[Message]:
        """Messages of an account that may still change (the ones worth polling)."""
        by_key = self.index.by_key
        return [by_key[k] for k in self.index.non_final.get(account, {})]

    def counts_by_state(self, account: str | None = None) -> dict[DeliveryState, int]:
        """How many messages are in each state, for one account or all."""
        if account is not None:
            return dict(self.index.counts.get(account, {}))
        total: Counter[DeliveryState] = Counter()
        for counts in self.index.counts.values():
            total.update(counts)
        return dict(total)

    def accounts(self) -> list[str]:
        """Accounts that have messages or balances in the cache."""
        return sorted(set(self.index.counts) | set(self.side.balances))

    def pending_changes(self) -> list[StatusChange]:
        """Status changes still waiting for their message to appear."""
        return [c for parked in self.pending.values() for c in parked]

    def balances(self, account: str) -> list[Balance]:
        """Balance samples of an account, oldest first."""
        return list(self.side.balances.get(account, ()))

    def latest_balance(self, account: str) -> Balance | None:
        """The most recent balance sample, if any."""
        samples = self.side.balances.get(account)
        return samples[-1] if samples else None

    def incoming(self, account: str) -> list[IncomingMessage]:
        """Incoming messages of an account, newest first."""
        items = self.side.incoming.get(account, {}).values()
        return sorted(items, key=lambda m: -(m.received_at or 0.0))

    def get_cursor(self, name: str, default: Any = None) -> Any:
        """A persisted poller value (a copy: mutating it changes nothing)."""
        return copy.deepcopy(self.side.cursor.get(name, default))
