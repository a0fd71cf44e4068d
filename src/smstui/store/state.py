"""The cache in memory: loaded messages, timelines, parked changes, partition membership.

Every process on a cache builds this same state by applying the same journal records in the
same order on top of the same partitions; nothing here does I/O except through `load`, the
callback that reads a partition the state needs (a day a history page reached into).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from smstui.errors import StoreError
from smstui.model import (
    AppliedChange,
    DeliveryState,
    Key,
    Message,
    Rekey,
    Source,
    StatusChange,
    placed_at,
)
from smstui.store.index import MessageIndex
from smstui.store.merge import apply_status, merge_message
from smstui.store.partitions import CHUNK, PartInfo, day_of
from smstui.store.schema import Decoded, Entry, Rejected, change_to_entry
from smstui.store.side import SideTables
from smstui.store.timelines import insert

Loader = Callable[[PartInfo], Decoded]


class State:
    """Messages of the loaded partitions plus everything the manifest and journal said."""

    def __init__(self, load: Loader) -> None:
        self._load = load
        self.index = MessageIndex()
        self.timelines: dict[Key, tuple[Entry, ...]] = {}
        # Changes whose message is not here (yet): a push can beat the history that lists it.
        self.pending: dict[tuple[str, str], list[StatusChange]] = {}
        self.side = SideTables()
        self.parts: dict[str, PartInfo] = {}  # every partition, loaded or not
        self._days: dict[tuple[str, str], list[PartInfo]] = {}  # (account, day) → its chunks
        self.loaded: set[str] = set()
        self.members: dict[str, set[Key]] = {}
        self.part_of: dict[Key, str] = {}
        self.dirty: set[str] = set()  # partitions changed since the last checkpoint
        self.shrunk: set[str] = set()  # of those, the ones a message moved out of
        self.side_dirty = False
        self._reconciled: list[AppliedChange] = []  # parked changes a load applied
        # Message documents of loaded partitions that did not decode (the reader reports them;
        # the writer has set them aside before handing them here).
        self.rejected: list[Rejected] = []
        # Partitions found unreadable and set aside (name → why): whole-history answers say
        # they lack these days.
        self.damaged_parts: dict[str, str] = {}
        # Open messages of partitions not loaded (from their sets summary): what the poller
        # asks. A change to one loads its partition first (unless it repeats what is known).
        self.stubs: dict[Key, tuple[str, Message]] = {}
        self._stub_ids: dict[tuple[str, str], list[Key]] = {}

    # ---- partitions -------------------------------------------------------------------

    def install(self, info: PartInfo, part: Decoded) -> list[AppliedChange]:
        """Add a partition's messages as read from disk; returns what parked changes did."""
        name = info.name
        self.add_part(info)
        self.loaded.add(name)
        if part.rejected:
            self.rejected += part.rejected
            if part.kept:  # safe elsewhere: the next checkpoint writes the partition without
                self.dirty.add(name)
        keys = self.members.setdefault(name, set())
        fresh = []
        by_key, part_of, timelines = self.index.by_key, self.part_of, self.timelines
        for m, timeline in part.items:
            key = m.key
            if key in by_key:
                self._merge_stale(name, m, timeline)
                continue
            fresh.append(m)
            keys.add(key)
            part_of[key] = name
            if timeline:
                timelines[key] = timeline
        self.index.add_many(fresh)
        if self.stubs:
            self._drop_stubs([m.key for m, _ in part.items])
        out: list[AppliedChange] = []
        if self.pending:
            for m in fresh:
                self._reconcile(m, out, None)
        return out

    def add_stubs(self, info: PartInfo, part: Decoded) -> None:
        """Keep the open messages of a partition that stays on disk."""
        self.add_part(info)
        for m, _ in part.items:
            if not m.state.is_final and m.key not in self.index.by_key:
                self.stubs[m.key] = (info.name, m)
                self._stub_ids.setdefault(m.key[:2], []).append(m.key)

    def _drop_stubs(self, keys: Iterable[Key]) -> None:
        for key in keys:
            if self.stubs.pop(key, None) is not None:
                ids = self._stub_ids.get(key[:2], [])
                if key in ids:
                    ids.remove(key)
                if not ids:
                    self._stub_ids.pop(key[:2], None)

    def stub_keys(self, account: str, message_id: str) -> list[Key]:
        """Keys of open messages on disk with this id."""
        return list(self._stub_ids.get((account, message_id), ()))

    def _load_stubbed(self, key: Key) -> None:
        """Load the partition of an open message kept as a stub (a change is about it)."""
        name = self.stubs[key][0]
        info = self.parts.get(name)
        if info is None or name in self.loaded:
            self._drop_stubs([key])
            return
        self._reconciled += self.install(info, self._load(info))
        self._drop_stubs([key])

    def add_part(self, info: PartInfo) -> None:
        """Know of a partition (from the manifest, a load, or a new day)."""
        if info.name not in self.parts:
            self.parts[info.name] = info
            self._days.setdefault((info.account, info.day), []).append(info)

    def _merge_stale(self, name: str, stored: Message, timeline: tuple[Entry, ...]) -> None:
        """A message filed twice (re-dated while its old day was on disk, or a crash between
        a move's two writes): the copy in memory stays where it is and takes in the stored
        copy's details and timeline; this partition's file drops it at the next checkpoint."""
        key = stored.key
        current = self.index.by_key[key]
        merged = merge_message(stored, current)
        if merged != current:
            self.index.put(merged)
        for e in timeline:
            if self.part_of.get(key) is not None:
                self._insert_entry(key, e)
        self.dirty.add(name)
        self.shrunk.add(name)

    def _ensure_day(self, account: str, day: str) -> None:
        """Load the not-yet-loaded partitions of one account and day (a key may be there)."""
        for info in list(self._days.get((account, day), ())):
            if info.name not in self.loaded:
                self._reconciled += self.install(info, self._load(info))

    def _ensure_id(self, account: str, message_id: str) -> None:
        """Load the partitions on disk whose id range may hold this id: a push for an id no
        loaded day has may be about an old message, which must not get a twin today."""
        for info in list(self.parts.values()):
            if (info.account == account and info.name not in self.loaded
                    and info.id_lo is not None and info.may_hold_id(message_id)):  # fmt: skip
                self._reconciled += self.install(info, self._load(info))

    def _place(self, m: Message, day: str) -> None:
        """Put a new message in its day's last partition with room, or open a new one (the
        caller has loaded that day: `_ensure_day`)."""
        chunks = self._days.get((m.account, day), [])
        room = [i for i in chunks if len(self.members.get(i.name, ())) < CHUNK]
        if room:
            info = max(room, key=lambda i: i.chunk)
        else:
            info = PartInfo(m.account, day, max((i.chunk for i in chunks), default=-1) + 1)
            self.add_part(info)
            self.loaded.add(info.name)
        self.members.setdefault(info.name, set()).add(m.key)
        self.part_of[m.key] = info.name
        self.dirty.add(info.name)

    def adopt(self, items: Sequence[tuple[Message, tuple[Entry, ...]]]) -> None:
        """Take messages with their timelines as they are (a migrated cache)."""
        fresh = [(m, t) for m, t in items if m.key not in self.index.by_key]
        self.index.add_many(m for m, _ in fresh)
        for m, timeline in fresh:
            day = _day(m, m.updated_at or 0.0)
            self._ensure_day(m.account, day)
            self._place(m, day)
            if timeline:
                self.timelines[m.key] = timeline

    def _move_if_redated(self, old: Message, new: Message, now: float) -> None:
        """A message whose send time changed day moves to that day's partition."""
        name = self.part_of[new.key]
        self.dirty.add(name)
        if old.sent_at != new.sent_at and _day(new, now) != self.parts[name].day:
            self.members[name].discard(new.key)
            self.shrunk.add(name)
            day = _day(new, now)
            self._ensure_day(new.account, day)
            self._place(new, day)

    def drop_partitions(self, names: Iterable[str]) -> int:
        """Forget whole partitions (retention); returns the messages dropped from memory."""
        names = list(names)
        keys: list[Key] = []
        for name in names:
            keys += self.members.pop(name, ())
            info = self.parts.pop(name, None)
            if info is not None:
                self._days[(info.account, info.day)].remove(info)
            self.loaded.discard(name)
            self.dirty.discard(name)
        for key in keys:
            self.part_of.pop(key, None)
            self.timelines.pop(key, None)
        gone = set(names)
        self._drop_stubs([k for k, (n, _) in self.stubs.items() if n in gone])
        return self.index.remove_many(keys)

    def summarise(self, name: str) -> PartInfo:
        """A loaded partition's manifest entry, recounted from its messages."""
        info = self.parts[name]
        by_key = self.index.by_key
        messages = [by_key[k] for k in self.members.get(name, ()) if k in by_key]
        sent = [t for m in messages if (t := placed_at(m)) is not None]
        info.count = len(messages)
        info.states = {str(s): n for s, n in Counter(m.state for m in messages).items()}
        info.first_sent = min(sent, default=None)
        info.last_sent = max(sent, default=None)
        ids = [(len(m.message_id), m.message_id) for m in messages]
        info.id_lo = min(ids)[1] if ids else None
        info.id_hi = max(ids)[1] if ids else None
        return info

    # ---- applying -----------------------------------------------------------------------

    def apply(
        self, items: Iterable[Message | StatusChange | Rekey], source: Source, now: float
    ) -> list[AppliedChange]:
        """Apply every item in order; returns the effective changes."""
        out: list[AppliedChange] = []
        for item in items:
            if isinstance(item, StatusChange):
                self._apply_change(item, out, now)
            elif isinstance(item, Message):
                self._apply_message(item, source, out, now)
            elif isinstance(item, Rekey):
                self._rekey(item, source, out, now)
            else:
                raise StoreError(f"cannot apply a {type(item).__name__}")
        if self._reconciled:
            out += self._reconciled
            self._reconciled = []
        return out

    def _apply_message(
        self, m: Message, source: Source, out: list[AppliedChange], now: float
    ) -> None:
        key = m.key
        if key in self.stubs:
            self._load_stubbed(key)
        old = self.index.by_key.get(key)
        if old is None and m.phone and (bare := (m.account, m.message_id, "")) in self.index.by_key:
            # A push that named no phone (Webcom's never do) came before the send that names
            # it: one message, not a phone-less twin holding the final state.
            self._rekey(Rekey(bare, key), source, out, now)
            old = self.index.by_key.get(key)
        if old is None and m.sent_at is None and m.seen_at is not None:
            self._ensure_id(m.account, m.message_id)
            old = self.index.by_key.get(key)
        if old is None:
            day = _day(m, now)
            self._ensure_day(m.account, day)
            old = self.index.by_key.get(key)
        if old is None:
            self.index.put(m)
            self._place(m, day)
            out.append(AppliedChange("inserted", key, None, m))
            self._add_entry(key, m, source, now)
            self._reconcile(m, out, now)
            return
        new = merge_message(old, m)
        if new is old:
            return
        self.index.put(new)
        self._move_if_redated(old, new, now)
        out.append(AppliedChange("updated", key, old, new))
        if (new.state, new.raw_status, new.updated_at) != (old.state, old.raw_status,
                                                           old.updated_at):  # fmt: skip
            self._add_entry(key, new, source, now)

    def _rekey(self, r: Rekey, source: Source, out: list[AppliedChange], now: float) -> None:
        """Move a message to its new key: status, details and timeline; the old key goes.

        The old one is where this process filed it (a send's client id, a phone-less push),
        so it is loaded; merged into whatever the new key holds by the usual rules."""
        old = self.index.by_key.get(r.old)
        if old is None or r.old == r.new:
            return
        timeline = self.timelines.pop(r.old, ())
        name = self.part_of.pop(r.old)
        self.members[name].discard(r.old)
        self.dirty.add(name)
        self.shrunk.add(name)
        self.index.remove(r.old)
        out.append(AppliedChange("removed", r.old, old, old))
        account, message_id, phone = r.new
        moved = Message(
            account, old.provider, message_id, phone, old.state, old.text, old.sender,
            old.sent_at, old.raw_status, old.error_code, old.cost, old.parts, old.country,
            old.operator, old.region, old.updated_at, old.resend_of, old.seen_at,
        )  # fmt: skip
        self._apply_message(moved, source, out, now)
        for entry in timeline:
            self._insert_entry(r.new, entry)

    def _add_entry(self, key: Key, m: Message, source: Source, now: float) -> None:
        """Timeline entry for a state learnt from a whole Message (history, send)."""
        if m.state is DeliveryState.UNKNOWN and not m.raw_status:
            return
        if m.state is DeliveryState.OUTCOME_UNKNOWN:
            return  # smstui's own placeholder for a send, not something a gateway reported
        at = m.updated_at if m.updated_at is not None else (m.sent_at or now)
        self._insert_entry(key, (m.state, m.raw_status, float(at), source, m.error_code, now, None))

    def _insert_entry(self, key: Key, entry: Entry) -> bool:
        """Add an observation to a timeline (bounded: store/timelines.py); False when it is
        there already (a webhook retry, a repeated poll answer)."""
        timeline = insert(self.timelines.get(key, ()), entry)
        if timeline is None:
            return False
        self.timelines[key] = timeline
        self.dirty.add(self.part_of[key])
        return True

    def _repeats_stub(self, c: StatusChange) -> bool:
        """True when a change names a stub and says what it says already; otherwise the
        stub's partition is loaded (if any) so the change applies to the whole message."""
        keys = [(c.account, c.message_id, c.phone)] if c.phone else []
        keys = [k for k in keys if k in self.stubs] or self.stub_keys(c.account, c.message_id)
        if not keys:
            return False
        if len(keys) == 1:
            m = self.stubs[keys[0]][1]
            if (m.state, m.raw_status, m.updated_at) == (c.state, c.raw_status, c.at):
                return True
        for key in keys:
            if key in self.stubs:
                self._load_stubbed(key)
        return False

    def _resolve(self, c: StatusChange) -> Key | None:
        """The message a change is about: by full key, or by id when that id is unique."""
        if c.phone:
            key = (c.account, c.message_id, c.phone)
            return key if key in self.index.by_key else None
        keys = self.index.ids(c.account, c.message_id)
        return keys[0] if len(keys) == 1 else None

    def _apply_change(self, c: StatusChange, out: list[AppliedChange], now: float | None) -> None:
        if self.stubs and self._repeats_stub(c):
            return  # the poller asking an open message on disk and hearing the same again
        key = self._resolve(c)
        if (c.observed_at is None and now is not None) or (key is not None and not c.phone):
            # When smstui learnt of it (parked or not), and which phone it is about. The
            # constructor: replace() costs three times as much on the hot path.
            c = StatusChange(
                c.account, c.message_id, c.state, c.raw_status, c.at, c.source, c.error_code,
                key[2] if key is not None else c.phone,
                now if c.observed_at is None else c.observed_at, c.claimed_at,
            )  # fmt: skip
        if key is None:
            self._park(c)
            return
        if not self._insert_entry(key, change_to_entry(c)):
            return
        old = self.index.by_key[key]
        new = apply_status(old, c)
        if new is old:
            out.append(AppliedChange("timeline", key, old, old, c))
        else:
            self.index.put(new)
            out.append(AppliedChange("updated", key, old, new, c))

    def _park(self, c: StatusChange) -> None:
        """Keep a change for a message not here yet (deduplicated)."""
        parked = self.pending.setdefault((c.account, c.message_id), [])
        sig = (c.phone, c.state, c.raw_status, c.at)
        if all((p.phone, p.state, p.raw_status, p.at) != sig for p in parked):
            parked.append(c)
            self.side_dirty = True

    def _reconcile(self, m: Message, out: list[AppliedChange], now: float | None) -> None:
        """Apply the parked changes that belong to a message that just appeared."""
        ident = (m.account, m.message_id)
        parked = self.pending.get(ident)
        if not parked:
            return
        unique = len(self.index.ids(*ident)) == 1
        mine = [c for c in parked if c.phone == m.phone or (not c.phone and unique)]
        if not mine:
            return
        rest = [c for c in parked if c not in mine]
        if rest:
            self.pending[ident] = rest
        else:
            del self.pending[ident]
        self.side_dirty = True
        for c in sorted(mine, key=lambda c: c.at):
            self._apply_change(c, out, now)


def _day(m: Message, now: float) -> str:
    """The day a message is filed under: its send day, else the day smstui first saw it, else
    its last status's, else today's."""
    if (at := placed_at(m)) is not None:
        return day_of(at)
    return day_of(m.updated_at if m.updated_at is not None else now)
