"""In-memory index of messages: by key, by (account, id), and in history order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import attrgetter

from smstui.model import DeliveryState, Message
from smstui.store.columns import SortKey, history_order, per_account, sort_key
from smstui.store.rows import Columns
from smstui.store.schema import Key
from smstui.store.view import SortedView

_KEY = attrgetter("account", "message_id", "phone")
_STATE, _SENT = attrgetter("state"), attrgetter("sent_at")
_FINAL = frozenset(s for s in DeliveryState if s.is_final)


class MessageIndex:
    """Messages by key, (account, id) → keys, non-final keys per account, state counts, order."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.by_key: dict[Key, Message] = {}
        # Keys whose message (or timeline) changed since the last flush took them: a flush
        # re-encodes only these (fragments.py).
        self.changed: set[Key] = set()
        # account → id → phone: plain strings, no per-message tuple or list, so a 100k cache
        # opens faster (and the garbage collector has less to scan); ids sent to several
        # phones (SMSC multi-recipient sends) are listed in `_phones`.
        self._phone: dict[str, dict[str, str]] = {}
        self._phones: dict[tuple[str, str], list[str]] = {}
        self.non_final: dict[str, dict[Key, None]] = {}  # ordered set per account
        self.counts: dict[str, Counter[DeliveryState]] = {}
        # −sent_at of each message in `_order` (inf when unknown): the first sort-key field,
        # as plain floats (no tuple per message); ties are broken by bisecting with sort_key.
        self._order_sent: list[float] = []
        self._order: list[Key] = []  # history order; a status change leaves it untouched
        # Copy-on-write: once a view is handed out, the next change copies what it changes
        # (the map, and the order lists only when the order moves), so the view stays
        # immutable and getting one stays O(1).
        self._map_shared = False
        self._order_shared = False

    def __len__(self) -> int:
        return len(self.by_key)

    def load(
        self,
        messages: Sequence[Message],
        keys: Sequence[Key] | None = None,
        columns: Columns | None = None,
    ) -> None:
        """Bulk-load, replacing everything; O(n) when `messages` already is in history order.

        The store writes its file in history order, so the order check passes on open and no
        sort runs; each step is a C-level pass over a whole column (map, zip, Counter).
        `keys` are the messages' keys and `columns` their index fields (rows.decode_table),
        when the caller already has them.
        """
        self._reset()
        keys = list(map(_KEY, messages)) if keys is None else list(keys)
        self.by_key = dict(zip(keys, messages, strict=True))
        if len(self.by_key) != len(keys):  # duplicate keys (a hand-edited file): the last wins
            messages, keys, columns = list(self.by_key.values()), list(self.by_key), None
        if columns is None:
            accounts, mids, phones = zip(*keys, strict=True) if keys else ((), (), ())
            values = list(map(str, map(_STATE, messages)))  # StrEnum: str() is the value
            sents = list(map(_SENT, messages))
        else:
            accounts, mids, phones, values, sents = columns
        phone_map, self.counts, self.non_final = per_account(accounts, mids, phones, values, keys)
        if phone_map is None:  # an id sent to several phones: index the ids key by key
            for key in keys:
                self._add_id(key)
        else:
            self._phone = phone_map
        self._order, self._order_sent = history_order(messages, keys, sents)

    def view(self) -> SortedView:
        """The history order right now, O(1)."""
        return SortedView(*self.frozen())

    def frozen(self) -> tuple[list[Key], dict[Key, Message]]:
        """(keys in history order, key → message) as of now, never changed afterwards, O(1)."""
        self._map_shared = self._order_shared = True
        return self._order, self.by_key

    def take_changed(self) -> set[Key]:
        """The keys changed since the last call (for an incremental flush)."""
        changed, self.changed = self.changed, set()
        return changed

    def ids(self, account: str, message_id: str) -> list[Key]:
        """Every key that shares this id (several phones of one SMSC send)."""
        ident = (account, message_id)
        many = self._phones.get(ident)
        if many is not None:
            return [(account, message_id, p) for p in many]
        phone = self._phone.get(account, {}).get(message_id)
        return [] if phone is None else [(account, message_id, phone)]

    def _add_id(self, key: Key) -> None:
        account, mid, phone = key
        per = self._phone.get(account)
        if per is None:
            per = self._phone[account] = {}
        first = per.setdefault(mid, phone)
        if first != phone:
            self._phones.setdefault((account, mid), [first]).append(phone)

    def _drop_id(self, key: Key) -> None:
        account, mid, phone = key
        ident = (account, mid)
        per = self._phone.get(account, {})
        many = self._phones.get(ident)
        if many is None:
            per.pop(mid, None)
            return
        if phone in many:
            many.remove(phone)
        per[mid] = many[0]
        if len(many) == 1:
            del self._phones[ident]

    def put(self, m: Message, old: Message | None = None) -> None:
        """Insert or replace one message, keeping every index in step (`old`: its current value,
        when the caller already has it)."""
        key = m.key
        if old is None:
            old = self.by_key.get(key)
        if self._map_shared:
            self.by_key = dict(self.by_key)
            self._map_shared = False
        if old is not None:
            self._unindex(old)
            if old.sent_at != m.sent_at:  # otherwise the same place: the order stays as it is
                self._unshare_order()
                pos = self._position(sort_key(old))
                del self._order_sent[pos]
                del self._order[pos]
                self._insert_ordered(key, sort_key(m))
        else:
            self._add_id(key)
            self._unshare_order()
            self._insert_ordered(key, sort_key(m))
        self.by_key[key] = m
        self.changed.add(key)
        self._index(m)

    def replace(self, key: Key, old: Message, new: Message) -> None:
        """`put` for a message that is there (`old`, under `key`): the status-change path.

        Same bookkeeping as put, inlined: a status change keeps the send time, so the history
        order stays untouched and only the map, the change marks, counts and open keys move.
        """
        if old.sent_at != new.sent_at:
            self.put(new, old)
            return
        if self._map_shared:
            self.by_key = dict(self.by_key)
            self._map_shared = False
        self.by_key[key] = new
        self.changed.add(key)
        account = key[0]
        counts = self.counts[account]
        was, now = old.state, new.state
        left = counts[was] - 1
        if left:
            counts[was] = left
        else:
            del counts[was]
        counts[now] += 1
        if was not in _FINAL:
            self.non_final.get(account, {}).pop(key, None)
        if now not in _FINAL:
            self.non_final.setdefault(account, {})[key] = None

    def remove_many(self, keys: Iterable[Key]) -> int:
        """Drop these messages; rebuilds the order once (used by retention, not per change)."""
        gone = 0
        if self._map_shared:
            self.by_key = dict(self.by_key)
            self._map_shared = False
        for key in keys:
            m = self.by_key.pop(key, None)
            if m is None:
                continue
            gone += 1
            self.changed.add(key)
            self._unindex(m)
            self._drop_id(key)
        if gone:
            by_key = self.by_key
            kept = [i for i, k in enumerate(self._order) if k in by_key]
            self._order = [self._order[i] for i in kept]
            self._order_sent = [self._order_sent[i] for i in kept]
            self._order_shared = False
        return gone

    def _position(self, sk: SortKey) -> int:
        """Where a message with sort key `sk` is (or would go) in the history order."""
        sent = self._order_sent
        lo = bisect_left(sent, sk[0])
        hi = bisect_right(sent, sk[0], lo)
        if hi - lo <= 0:
            return lo
        by_key = self.by_key  # ties (one send time): bisect them by the whole sort key
        return bisect_left(self._order, sk, lo, hi, key=lambda k: sort_key(by_key[k]))

    def _insert_ordered(self, key: Key, sk: SortKey) -> None:
        pos = self._position(sk)
        self._order_sent.insert(pos, sk[0])
        self._order.insert(pos, key)

    def _unshare_order(self) -> None:
        if self._order_shared:
            self._order = list(self._order)
            self._order_sent = list(self._order_sent)
            self._order_shared = False

    def _index(self, m: Message) -> None:
        counts = self.counts.get(m.account)
        if counts is None:
            counts = self.counts[m.account] = Counter()
        counts[m.state] += 1
        if m.state not in _FINAL:
            self.non_final.setdefault(m.account, {})[m.key] = None

    def _unindex(self, m: Message) -> None:
        counts = self.counts[m.account]
        counts[m.state] -= 1
        if not counts[m.state]:
            del counts[m.state]
        if m.state not in _FINAL:
            self.non_final.get(m.account, {}).pop(m.key, None)
