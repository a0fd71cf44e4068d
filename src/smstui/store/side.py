"""The cache's side tables: balance samples, incoming messages, events and the poller's cursor."""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage
from smstui.store.schema import StoreEvent


class SideTables:
    """Bounded, append-mostly records next to the messages; all values immutable once stored."""

    def __init__(self, *, max_balances: int = 2_000, max_events: int = 2_000) -> None:
        self.max_balances = max_balances
        self.balances: dict[str, list[Balance]] = {}
        self.incoming: dict[str, dict[str, IncomingMessage]] = {}
        self.events: deque[StoreEvent] = deque(maxlen=max_events)
        self.cursor: dict[str, Any] = {}

    def load(
        self,
        balances: Iterable[Balance],
        incoming: Iterable[IncomingMessage],
        events: Iterable[StoreEvent],
        cursor: Mapping[str, Any],
    ) -> None:
        """Replace everything with what was read from disk."""
        self.balances = {}
        for b in balances:
            self.add_balance(b)
        self.incoming = {}
        self.add_incoming(incoming)
        self.events.clear()
        self.events.extend(events)
        self.cursor = dict(cursor)

    def add_balance(self, b: Balance) -> None:
        """Keep one more balance sample (the oldest go once the per-account cap is reached)."""
        samples = self.balances.setdefault(b.account, [])
        samples.append(b)
        if len(samples) > self.max_balances:
            del samples[: len(samples) - self.max_balances]

    def add_incoming(self, items: Iterable[IncomingMessage]) -> list[IncomingMessage]:
        """Store incoming messages; returns those not seen before (ids dedupe re-deliveries)."""
        new = []
        for m in items:
            per = self.incoming.setdefault(m.account, {})
            if per.get(m.incoming_id) != m:
                per[m.incoming_id] = m
                new.append(m)
        return new

    @staticmethod
    def check_cursor(name: str, value: Any) -> None:
        """A cursor value must be JSON data (checked before it is journaled)."""
        try:
            json.dumps(value)
        except (TypeError, ValueError) as err:
            raise StoreError(f"cursor {name!r} must be JSON data: {err}") from err

    def set_cursor(self, name: str, value: Any) -> None:
        """Keep one poller value (a private copy)."""
        self.cursor[name] = copy.deepcopy(value)

    def prune(self, cutoff: float) -> None:
        """Drop records older than cutoff, keeping each account's latest balance."""
        for account, samples in self.balances.items():
            kept = [b for b in samples[:-1] if b.at is None or b.at >= cutoff]
            self.balances[account] = kept + samples[-1:]
        for account, per in self.incoming.items():
            self.incoming[account] = {
                k: m for k, m in per.items() if m.received_at is None or m.received_at >= cutoff
            }
        kept_events = [e for e in self.events if e.at >= cutoff]
        self.events.clear()
        self.events.extend(kept_events)

    def all_balances(self) -> list[Balance]:
        """Every sample of every account (for a snapshot)."""
        return [b for samples in self.balances.values() for b in samples]

    def all_incoming(self) -> list[IncomingMessage]:
        """Every incoming message (for a snapshot)."""
        return [m for per in self.incoming.values() for m in per.values()]
