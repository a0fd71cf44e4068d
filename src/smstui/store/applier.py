"""Applying batches of Messages and StatusChanges in memory: merge, timeline, pending."""

from __future__ import annotations

from smstui.clock import Clock
from smstui.model import DeliveryState, Message, Source, StatusChange
from smstui.store import timeline
from smstui.store.index import MessageIndex
from smstui.store.merge import apply_status, merge_message
from smstui.store.rows import escape
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
        # One clock reading per batch: a batch is one poll answer or one webhook delivery, so
        # its changes were observed together (and time.time() per change is measurable).
        now = self._clock.now()
        apply_change = self._apply_change
        for item in batch:
            if item.__class__ is StatusChange or not isinstance(item, Message):
                apply_change(item, out, now)  # type: ignore[arg-type]
            else:
                self._apply_message(item, source, out, now)
        return out

    def _apply_message(
        self, m: Message, source: Source, out: list[AppliedChange], now: float
    ) -> None:
        key = m.key
        old = self.index.by_key.get(key)
        if old is None:
            self.index.put(m)
            out.append(AppliedChange("inserted", key, None, m))
            self._add_entry(key, m, source, now)
            self._reconcile(m, out, now)
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
            self._add_entry(key, new, source, now)

    def _add_entry(self, key: Key, m: Message, source: Source, now: float) -> None:
        """Timeline entry for a state learnt from a whole Message (history, send)."""
        if m.state is DeliveryState.UNKNOWN and not m.raw_status:
            return
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

    def _apply_change(self, c: StatusChange, out: list[AppliedChange], now: float) -> None:
        # The hot path of every poll cycle and webhook batch: locals instead of repeated
        # attribute lookups, the timeline entry formatted here in one f-string (the same text
        # timeline.append makes), and the index told the message keeps its place.
        phone = c.phone
        index = self.index
        if phone:
            key = (c.account, c.message_id, phone)
            old = index.by_key.get(key)
            if old is None:
                self._park(c)
                return
        else:
            keys = index.ids(c.account, c.message_id)
            if len(keys) != 1:
                self._park(c)
                return
            key = keys[0]
            old = index.by_key[key]
        observed = c.observed_at
        if observed is None or not phone:
            observed = now if observed is None else observed
            # The constructor: for nine fields it beats a slot copy (store/copying.py).
            c = StatusChange(
                c.account, c.message_id, c.state, c.raw_status, c.at, c.source,
                c.error_code, key[2], observed,
            )  # fmt: skip
        at = float(c.at)
        err = c.error_code
        head = f"{c.state}|{escape(c.raw_status)}|{at!r}|"
        text = f"{head}{c.source}|{'' if err is None else int(err)}|{float(observed)!r}"
        timelines = self.timelines
        line = timeline.insert(timelines.get(key, ""), head, text, at)
        if line is None:
            return  # the same observation again (webhook retry, repeated poll)
        timelines[key] = line
        new = apply_status(old, c)
        if new is old:
            index.changed.add(key)
            out.append(AppliedChange("timeline", key, old, old, c))
        else:
            index.replace(key, old, new)
            out.append(AppliedChange("updated", key, old, new, c))

    def _park(self, c: StatusChange) -> None:
        """Keep a change for a message not seen yet (deduplicated)."""
        parked = self.pending.setdefault((c.account, c.message_id), [])
        sig = (c.phone, c.state, c.raw_status, c.at)
        if any((p.phone, p.state, p.raw_status, p.at) == sig for p in parked):
            return
        parked.append(c)
        self.pending_dirty = True

    def _reconcile(self, m: Message, out: list[AppliedChange], now: float) -> None:
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
            self._apply_change(c, out, now)
