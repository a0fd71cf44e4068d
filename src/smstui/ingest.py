"""The one door gateway news enters the cache by: pushed status changes and polled messages.

The webhook receiver hands its pushes here, and the pollers their results, so the rules live
once: a verified push for an id no history has named yet becomes a message of its own, placed
by when it was first seen (`Message.seen_at`) with its price unknown (never 0.00), and every
applied batch is told to the listeners that keep books on it (which final messages still need
a price). Nothing here imports the poller or Textual: the receiver no longer climbs up to the
engine and back down to the store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from smstui.clock import Clock
from smstui.model import AppliedChange, IncomingMessage, Message, Provider, Source, StatusChange
from smstui.store import Store

log = logging.getLogger("smstui.ingest")
Listener = Callable[[Sequence[AppliedChange]], None]


@dataclass(frozen=True)
class Origin:
    """What the door must know of an account: its gateway, and whether history can name a
    message later (SMSC: a change without its phone waits for it; Webcom has no history)."""

    provider: Provider
    has_history: bool


class Ingest:
    """Applies gateway news to the store durably; a PushSink for the webhook receiver."""

    def __init__(self, store: Store, clock: Clock, origins: dict[str, Origin]) -> None:
        self.store = store
        self.clock = clock
        self.origins = origins
        self.pushes_seen_at: dict[str, float] = {}  # account → last push (polling backs off)
        self._listeners: list[Listener] = []

    def on_applied(self, listener: Listener) -> None:
        """Call `listener(changes)` after every batch this door applied."""
        self._listeners.append(listener)

    async def messages(
        self, items: Iterable[Message | StatusChange], source: Source
    ) -> list[AppliedChange]:
        """Apply messages and changes as one durable batch; returns what changed."""
        applied = await self.store.apply_async(list(items), source=source)
        for listener in self._listeners:
            try:
                listener(applied)
            except Exception:  # book-keeping must never refuse news that is already durable
                log.exception("ingest listener %r failed", listener)
        return applied

    async def push_changes(self, changes: list[StatusChange]) -> None:
        """Statuses pushed by a gateway; returns once durable (the receiver acknowledges then).

        A verified push for an unknown id is a message of its own (phone, state, time, error;
        seen now); text, sender and cost fill in when history or a status reply brings them.
        Webcom has no history call at all, and SMSC history pages at most ~30,000 messages an
        hour: without this, a fast campaign's messages would stay invisible though every status
        was pushed to us. The store looks on disk too (ids' ranges) before taking it as new.
        """
        now = self.clock.now()
        new = []
        for change in changes:
            origin = self.origins.get(change.account)
            if origin is None:
                continue
            self.pushes_seen_at[change.account] = now
            if not change.phone and origin.has_history:
                continue  # an SMSC change without its phone cannot name the message: parked
            known = self.store.find(change.account, change.message_id)
            # One SMSC send to several phones shares its id: a push names the phone, and a
            # phone the id has no message for is a message of its own (not the first phone's).
            other_phone = change.phone and all(m.phone and m.phone != change.phone for m in known)
            if not known or other_phone:
                new.append(
                    Message(
                        account=change.account, provider=origin.provider,
                        message_id=change.message_id, phone=change.phone, state=change.state,
                        raw_status=change.raw_status, error_code=change.error_code,
                        updated_at=change.at, seen_at=now,
                    )
                )  # fmt: skip
        await self.messages([*new, *changes], Source.WEBHOOK)

    async def push_incoming(self, items: list[IncomingMessage]) -> None:
        """Incoming SMS pushed by a gateway (the store ignores ones it has)."""
        self.store.record_incoming(items)
