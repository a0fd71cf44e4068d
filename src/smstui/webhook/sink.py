"""Where accepted pushes go: the sink protocol and an in-memory sink (tests, bench, demo)."""

from __future__ import annotations

from typing import Protocol

from smstui.model import IncomingMessage, Source, StatusChange
from smstui.store.merge import status_wins  # the one rule for which status is current


class PushSink(Protocol):
    """What the receiver hands accepted pushes to; it answers the gateway only after these return.

    A sink may also define `async def push_calls(items: list[CallConfirmation]) -> None`;
    the receiver calls it for SMSC `waitcall` events when present.
    """

    async def push_changes(self, changes: list[StatusChange]) -> None:
        """Take status changes (idempotent: a retried push may bring the same change again)."""
        ...

    async def push_incoming(self, items: list[IncomingMessage]) -> None:
        """Take incoming SMS (idempotent by (account, incoming_id))."""
        ...


class MemorySink:
    """Keeps every change and the latest status per message key, in memory; deduplicates."""

    def __init__(self) -> None:
        self.changes: list[StatusChange] = []
        self.latest: dict[tuple[str, str, str], StatusChange] = {}
        self.incoming: dict[tuple[str, str], IncomingMessage] = {}
        self.calls: list[object] = []
        self._seen: set[tuple[object, ...]] = set()

    async def push_changes(self, changes: list[StatusChange]) -> None:
        """Record new changes; an identical change seen before is ignored."""
        for change in changes:
            ident = (change.account, change.message_id, change.phone, change.raw_status, change.at)
            if ident in self._seen:
                continue
            self._seen.add(ident)
            self.changes.append(change)
            key = (change.account, change.message_id, change.phone)
            old = self.latest.get(key)
            if old is None or status_wins(old.state, old.at, change.state, change.at):
                self.latest[key] = change

    async def push_incoming(self, items: list[IncomingMessage]) -> None:
        """Record incoming SMS by (account, incoming_id)."""
        for item in items:
            self.incoming.setdefault((item.account, item.incoming_id), item)

    async def push_calls(self, items: list[object]) -> None:
        """Record call confirmations."""
        self.calls.extend(items)

    def states(self) -> dict[tuple[str, str, str], str]:
        """Latest raw status per message key (what tests compare with the emulator's truth)."""
        return {key: change.raw_status for key, change in self.latest.items()}


class StoreSink:
    """Feeds accepted pushes into smstui's Store (the one writer), in the same batches."""

    def __init__(self, store: object) -> None:
        self.store = store  # smstui.store.Store; not imported here so this module stays light

    async def push_changes(self, changes: list[StatusChange]) -> None:
        """Apply the changes durably (unknown ids are parked by the store until history finds
        them); returns only once they are on disk, so the receiver may acknowledge."""
        await self.store.apply_async(changes, source=Source.WEBHOOK)  # type: ignore[attr-defined]

    async def push_incoming(self, items: list[IncomingMessage]) -> None:
        """Keep incoming SMS (the store ignores ones it has)."""
        self.store.record_incoming(items)  # type: ignore[attr-defined]
