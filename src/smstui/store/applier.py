"""Applying batches of Messages and StatusChanges in memory: merge, timeline, pending."""

from __future__ import annotations

from smstui.clock import Clock
from smstui.model import DeliveryState, Message, Source, StatusChange
from smstui.store import timeline
from smstui.store.index import MessageIndex
from smstui.store.merge import apply_status, merge_message
from smstui.store.schema import AppliedChange, Key
from smstui.store.timeline import Entry


class Applier:
    """The mutable heart of the store: index, timelines and pending changes, changed by batches."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.index = MessageIndex()
        # Each message's timeline as one string (timeline.py): cheap to open, append and flush.
        self.timelines: dict[Key, str] = {}
        # Changes whose message we have not seen yet (a webhook can beat the send's answer).
        self.pending: dict[tuple[str, str], list[StatusChange]] = {}
        self.pending_dirty = False
        self.version = 0

    def apply_batch(
        self, batch: list[Message | StatusChange], source: Source
    ) -> list[AppliedChange]:
        """Apply every item in order; returns the effective changes."""
        out: list[AppliedChange] = []
        for item in batch:
            if isinstance(item, Message):
                self._apply_message(item, source, out)
            else:
                self._apply_change(item, out)
        return out

    def _apply_message(self, m: Message, source: Source, out: list[AppliedChange]) -> None:
        key = m.key
        old = self.index.by_key.get(key)
        if old is None:
            self.index.put(m)
            out.append(AppliedChange("inserted", key, None, m))
            self._add_entry(key, m, source)
            self._reconcile(m, out)
            return
        new = merge_message(old, m)
        if new is old:
            return
        self.index.put(new)
        out.append(AppliedChange("updated", key, old, new))
        if (new.state, new.raw_status, new.updated_at) != (
            old.state,
            old.raw_status,
            old.updated_at,
        ):
            self._add_entry(key, new, source)

    def _add_entry(self, key: Key, m: Message, source: Source) -> None:
        """Timeline entry for a state learnt from a whole Message (history, send)."""
        if m.state is DeliveryState.UNKNOWN and not m.raw_status:
            return
        now = self._clock.now()
        at = (
            m.updated_at
            if m.updated_at is not None
            else (m.sent_at if m.sent_at is not None else now)
        )
        entry = (m.state, m.raw_status, at, source, m.error_code, now)
        self._append_entry(key, entry)

    def entries(self, key: Key) -> tuple[Entry, ...]:
        """A message's timeline entries, decoded from the string the store keeps."""
        return timeline.decode(self.timelines.get(key, ""))

    def _append_entry(self, key: Key, entry: Entry) -> bool:
        """Add an entry in time order; False when the same (state, raw, at) is already there."""
        new = timeline.append(self.timelines.get(key, ""), entry)
        if new is None:
            return False
        self.timelines[key] = new
        self.index.changed.add(key)
        return True

    def _resolve(self, c: StatusChange) -> list[Key]:
        """The message keys a change is about: by full key, or by id when that id is unique."""
        if c.phone:
            key = (c.account, c.message_id, c.phone)
            return [key] if key in self.index.by_key else []
        keys = self.index.ids(c.account, c.message_id)
        return list(keys) if len(keys) == 1 else []

    def _apply_change(self, c: StatusChange, out: list[AppliedChange]) -> None:
        # The hot path of every poll cycle and webhook batch: plain attribute reads, the
        # frozenset test instead of the enum property, and a positional constructor instead
        # of dataclasses.replace (three times faster per change; see bench/store.py).
        phone = c.phone
        if phone:
            key = (c.account, c.message_id, phone)
            old = self.index.by_key.get(key)
            if old is None:
                self._park(c)
                return
        else:
            keys = self.index.ids(c.account, c.message_id)
            if len(keys) != 1:
                self._park(c)
                return
            key = keys[0]
            old = self.index.by_key[key]
        observed = c.observed_at
        if observed is None or not phone:
            observed = self._clock.now() if observed is None else observed
            c = StatusChange(
                c.account, c.message_id, c.state, c.raw_status, c.at, c.source,
                c.error_code, key[2], observed,
            )  # fmt: skip
        entry = (c.state, c.raw_status, c.at, c.source, c.error_code, observed)
        if not self._append_entry(key, entry):
            return  # the same observation again (webhook retry, repeated poll)
        new = apply_status(old, c)
        if new is old:
            out.append(AppliedChange("timeline", key, old, old, c))
        else:
            self.index.put(new, old)
            out.append(AppliedChange("updated", key, old, new, c))

    def _park(self, c: StatusChange) -> None:
        """Keep a change for a message not seen yet (deduplicated)."""
        parked = self.pending.setdefault((c.account, c.message_id), [])
        sig = (c.phone, c.state, c.raw_status, c.at)
        if any((p.phone, p.state, p.raw_status, p.at) == sig for p in parked):
            return
        parked.append(c)
        self.pending_dirty = True

    def _reconcile(self, m: Message, out: list[AppliedChange]) -> None:
        """Apply the parked changes that belong to a message that just appeared."""
        parked = self.pending.get((m.account, m.message_id))
        if not parked:
            return
        unique = len(self.index.ids(m.account, m.message_id)) == 1
        mine = [c for c in parked if c.phone == m.phone or (not c.phone and unique)]
        if not mine:
            return
        rest = [c for c in parked if c not in mine]
        if rest:
            self.pending[(m.account, m.message_id)] = rest
        else:
            del self.pending[(m.account, m.message_id)]
        self.pending_dirty = True
        for c in sorted(mine, key=lambda c: c.at):
            self._apply_change(c, out)
