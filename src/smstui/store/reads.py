"""The store's read API for the UI and the poller: cheap, and returning immutable values."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smstui.model import Balance, DeliveryState, IncomingMessage, Key, Message, StatusChange
from smstui.queries import Query
from smstui.store.index import MessageIndex, SortedView
from smstui.store.partitions import PartInfo, partition_path
from smstui.store.query import Answer, Found, Narrow, Reader
from smstui.store.schema import entry_to_change
from smstui.store.side import SideTables
from smstui.store.state import State


class ReadAPI:
    """Read-only queries over the loaded messages, timelines and side tables."""

    state: State
    root: Path

    if TYPE_CHECKING:  # provided by Store and Opener

        def _query_reader(self, query: Query) -> Reader: ...
        def _narrow(self) -> Narrow | None: ...
        def unloaded_partitions(self) -> list[PartInfo]: ...

    def query(self, query: Query, *, timelines: bool = False) -> Answer:
        """Answer a query from the whole cache, newest first (call on the loop; iterate the
        answer anywhere: it reads partition files as it goes)."""
        from smstui.store.query import plan

        # A damaged partition left in place (a reader's) is asked like one not loaded: its
        # summary may still answer, else the answer names it as missing. One the writer set
        # aside is gone: missing.
        damaged = self.state.damaged_parts
        unreadable = [i for n in damaged if (i := self.state.parts.get(n)) is not None
                      and partition_path(self.root, n).exists()]  # fmt: skip
        gone = [n for n in damaged if n not in {i.name for i in unreadable}]
        unloaded = self.unloaded_partitions() + unreadable
        parts, skipped, bad_summaries = plan(query, unloaded, self._narrow())
        answer = Answer(query, self.index.view(), parts, self._query_reader(query),
                        timelines=self.state.timelines)  # fmt: skip
        answer.parts_skipped = skipped
        answer.keep_timelines = timelines
        answer._names = {i.name: i for i in self.state.parts.values()}
        answer.missing += gone + bad_summaries
        return answer

    def count(self, query: Query) -> int | None:
        """How many messages match, from counts alone when the query is by account and state
        (exact, no file read); None when only reading can tell."""
        if (query.phone, query.message_id, query.match, query.since, query.until) != (
            None, None, None, None, None
        ):  # fmt: skip
            return None
        accounts = self.accounts() if query.accounts is None else sorted(query.accounts)
        return sum(n for a in accounts for s, n in self.counts_by_state(a).items()
                   if query.states is None or s in query.states)  # fmt: skip

    def lookup(self, account: str | None, message_id: str) -> Found:
        """Every message with this id in the whole cache, each with its timeline (memory
        first; partitions on disk that the id ranges say may hold it)."""
        accounts = None if account is None else frozenset({account})
        answer = self.query(Query(accounts=accounts, message_id=message_id), timelines=True)
        items = [(m, [entry_to_change(m.key, e) for e in answer.timeline(m.key)]) for m in answer]
        return Found(items, answer.partial_reason(), answer.missing_days)

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
        """One message by (account, message_id, phone): loaded, or open on disk (a stub)."""
        got = self.index.by_key.get(key)
        if got is None and (stub := self.state.stubs.get(key)) is not None:
            return stub[1]
        return got

    def find(self, account: str, message_id: str) -> list[Message]:
        """Every recipient of one message id (several phones share an SMSC id), loaded or
        open on disk; `lookup` searches the whole cache."""
        found = [self.index.by_key[k] for k in self.index.ids(account, message_id)]
        return found + [self.state.stubs[k][1] for k in self.state.stub_keys(account, message_id)]

    def timeline(self, key: Key) -> list[StatusChange]:
        """Every status observed for one message, oldest first."""
        return [entry_to_change(key, e) for e in self.state.timelines.get(key, ())]

    def non_final(self, account: str) -> list[Message]:
        """Messages of an account that may still change (the ones worth polling): loaded ones
        and the open ones of days on disk."""
        by_key = self.index.by_key
        loaded = [by_key[k] for k in self.index.non_final.get(account, {})]
        return loaded + [m for k, (_, m) in self.state.stubs.items() if k[0] == account]

    def counts_by_state(self, account: str | None = None) -> dict[DeliveryState, int]:
        """How many messages of the whole cache are in each state, for one account or all:
        memory's counts for the loaded days, the manifest's for the rest (no file read)."""
        total: Counter[DeliveryState] = Counter()
        for name, counts in self.index.counts.items():
            if account is None or name == account:
                total.update(counts)
        for info in self.unloaded_partitions():
            if account is None or info.account == account:
                total.update({DeliveryState(s): n for s, n in info.states.items()})
        return {s: n for s, n in total.items() if n}

    def accounts(self) -> list[str]:
        """Accounts that have messages (loaded or on disk) or balances in the cache."""
        on_disk = {info.account for info in self.state.parts.values() if info.count}
        return sorted(set(self.index.counts) | on_disk | set(self.side.balances))

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
