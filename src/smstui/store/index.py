"""In-memory index of the loaded messages (by key, by (account, id), in history order) and the
immutable views of that order the UI reads."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, Sequence, ValuesView
from itertools import accumulate, chain, islice
from typing import Any, TypeVar, overload

from smstui.model import DeliveryState, Key, Message, SortKey, placed_at, sort_key

Entry = tuple[SortKey, Key]
_T = TypeVar("_T")
_INF = float("inf")  # sort_key's 'never placed', inlined in the bulk load below
_FINAL = frozenset(s for s in DeliveryState if s.is_final)
SHARDS = 256  # a snapshot's next small change copies 1/256 of the key map, not all of it
_MASK = SHARDS - 1
LOAD = 1000  # order entries per chunk (split at twice that): a change copies one chunk


class KeyMap(Mapping[Key, Message]):
    """Messages by key in SHARDS dicts (by hash). `snapshot()` shares every dict in O(SHARDS);
    afterwards a change copies only the dict it touches, so a view taken after every batch
    costs a batch's shards, not the whole map (a 500k-entry dict copy is 15-60 ms)."""

    __slots__ = ("_len", "_own", "_shards")

    def __init__(self) -> None:
        self._shards: list[dict[Key, Message]] = [{} for _ in range(SHARDS)]
        self._own = [True] * SHARDS  # False: shared with a snapshot, copy before changing
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Key]:
        return chain.from_iterable(self._shards)

    def __getitem__(self, key: Key) -> Message:
        return self._shards[hash(key) & _MASK][key]

    def __contains__(self, key: object) -> bool:
        return key in self._shards[hash(key) & _MASK]

    @overload
    def get(self, key: Key, /) -> Message | None: ...
    @overload
    def get(self, key: Key, /, default: Message | _T) -> Message | _T: ...
    def get(self, key: Key, /, default: Any = None) -> Any:
        """The message with this key, else `default`."""
        return self._shards[hash(key) & _MASK].get(key, default)

    def items(self) -> ItemsView[Key, Message]:
        """(key, message) pairs, shard by shard."""
        return _Items(self)

    def values(self) -> ValuesView[Message]:
        """The messages, shard by shard."""
        return _Values(self)

    def _writable(self, key: Key) -> dict[Key, Message]:
        i = hash(key) & _MASK
        shard = self._shards[i]
        if not self._own[i]:
            shard = self._shards[i] = shard.copy()
            self._own[i] = True
        return shard

    def __setitem__(self, key: Key, m: Message) -> None:
        shard = self._writable(key)
        if key not in shard:
            self._len += 1
        shard[key] = m

    def pop(self, key: Key, default: Message | None = None) -> Message | None:
        """Remove a key; its message, else `default`."""
        if key not in self:
            return default
        self._len -= 1
        return self._writable(key).pop(key)

    def snapshot(self) -> KeyMap:
        """A map that never changes again, sharing every shard until this one changes it."""
        frozen = KeyMap.__new__(KeyMap)
        frozen._shards = list(self._shards)
        frozen._own = [False] * SHARDS
        frozen._len = self._len
        self._own = [False] * SHARDS
        return frozen


class _Items(ItemsView[Key, Message]):
    _mapping: KeyMap

    def __iter__(self) -> Iterator[tuple[Key, Message]]:
        return chain.from_iterable(s.items() for s in self._mapping._shards)


class _Values(ValuesView[Message]):
    _mapping: KeyMap

    def __iter__(self) -> Iterator[Message]:
        return chain.from_iterable(s.values() for s in self._mapping._shards)


class SortedRuns:
    """(sort key, key) entries in order, kept as sorted chunks of about LOAD entries.

    A snapshot shares the chunks (O(chunks)); a change then copies only the chunk it touches.
    Inserting a sorted run merges it chunk by chunk: a day loaded below everything else is
    appended as new chunks, never a re-sort (or copy) of the whole order.
    """

    __slots__ = ("_chunks", "_len", "_maxes", "_own")

    def __init__(self) -> None:
        self._chunks: list[list[Entry]] = []
        self._maxes: list[Entry] = []  # each chunk's last entry
        self._own: list[bool] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Entry]:
        return chain.from_iterable(self._chunks)

    def _mine(self, i: int) -> list[Entry]:
        chunk = self._chunks[i]
        if not self._own[i]:
            chunk = self._chunks[i] = list(chunk)
            self._own[i] = True
        return chunk

    def insert(self, entry: Entry) -> None:
        """Add one entry (not present yet)."""
        chunks, maxes = self._chunks, self._maxes
        self._len += 1
        if not chunks:
            chunks.append([entry])
            maxes.append(entry)
            self._own.append(True)
            return
        i = min(bisect_left(maxes, entry), len(chunks) - 1)
        chunk = self._mine(i)
        insort(chunk, entry)
        maxes[i] = chunk[-1]
        if len(chunk) > 2 * LOAD:
            half = len(chunk) // 2
            chunks[i : i + 1] = [chunk[:half], chunk[half:]]
            maxes[i : i + 1] = [chunk[half - 1], chunk[-1]]
            self._own[i : i + 1] = [True, True]

    def remove(self, entry: Entry) -> bool:
        """Drop one entry; False when it is not here."""
        maxes = self._maxes
        i = bisect_left(maxes, entry)
        if i == len(maxes):
            return False
        j = bisect_left(self._chunks[i], entry)
        if self._chunks[i][j] != entry:
            return False
        chunk = self._mine(i)
        del chunk[j]
        self._len -= 1
        if not chunk:
            del self._chunks[i], maxes[i], self._own[i]
        else:
            maxes[i] = chunk[-1]
        return True

    def insert_many(self, run: list[Entry]) -> None:
        """Add sorted entries (none present yet): each touched chunk is merged with its share
        of the run; what sorts after every chunk becomes new chunks."""
        if not run:
            return
        taken = self._splice(run, bisect_left, _merged)
        if taken < len(run):  # the walk reached the last chunk: these go after it
            rest = run[taken:] if taken else run
            self._len += len(rest)
            for piece in _pieces(rest):
                self._chunks.append(piece)
                self._maxes.append(piece[-1])
                self._own.append(True)

    def remove_many(self, entries: Iterable[Entry]) -> int:
        """Drop these entries (absent ones are ignored); the number dropped."""
        gone = sorted(set(entries))
        if not gone:
            return 0
        before = self._len
        self._splice(gone, bisect_right, _without)
        return before - self._len

    def _splice(
        self,
        run: list[Entry],
        cut: Callable[[list[Entry], Entry, int], int],
        rebuild: Callable[[list[Entry], list[Entry]], list[list[Entry]]],
    ) -> int:
        """Walk the chunks beside a sorted run: the run's share of each chunk (cut at the
        chunk's last entry) and the chunk go to `rebuild`, whose new chunks replace it; chunks
        the run misses stay shared. Returns how much of the run the chunks took."""
        chunks, maxes, own = self._chunks, self._maxes, self._own
        i = bisect_left(maxes, run[0])
        out_c, out_m, out_o = chunks[:i], maxes[:i], own[:i]
        lo, n = 0, len(run)
        while lo < n and i < len(chunks):
            hi = cut(run, maxes[i], lo)
            if hi == lo:
                out_c.append(chunks[i])
                out_m.append(maxes[i])
                out_o.append(own[i])
            else:
                pieces = rebuild(chunks[i], run[lo:hi])
                self._len += sum(map(len, pieces)) - len(chunks[i])
                for piece in pieces:
                    out_c.append(piece)
                    out_m.append(piece[-1])
                    out_o.append(True)
                lo = hi
            i += 1
        out_c += chunks[i:]
        out_m += maxes[i:]
        out_o += own[i:]
        self._chunks, self._maxes, self._own = out_c, out_m, out_o
        return lo

    def snapshot(self) -> Frozen:
        """The order right now, never to change (shares the chunks until this one changes)."""
        self._own = [False] * len(self._chunks)
        return Frozen(tuple(self._chunks), self._len)


def _pieces(entries: list[Entry]) -> list[list[Entry]]:
    """Sorted entries as chunks of LOAD (one chunk when it is not over twice that)."""
    if len(entries) <= 2 * LOAD:
        return [entries]
    return [entries[k : k + LOAD] for k in range(0, len(entries), LOAD)]


def _merged(chunk: list[Entry], share: list[Entry]) -> list[list[Entry]]:
    """A chunk with its share of an inserted run, split into pieces when it grows too long."""
    merged = chunk + share
    merged.sort()  # two sorted runs: one linear merge
    return _pieces(merged)


def _without(chunk: list[Entry], share: list[Entry]) -> list[list[Entry]]:
    """A chunk less its share of the removed entries; no chunk when none is left."""
    drop = set(share)
    kept = [e for e in chunk if e not in drop]
    return [kept] if kept else []


class Frozen:
    """A snapshot of the order: positional access by chunk (starts computed once, lazily)."""

    __slots__ = ("_chunks", "_len", "_starts")

    def __init__(self, chunks: tuple[list[Entry], ...], length: int) -> None:
        self._chunks = chunks
        self._len = length
        self._starts: list[int] | None = None

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Entry]:
        return chain.from_iterable(self._chunks)

    def _locate(self, i: int) -> tuple[int, int]:
        starts = self._starts
        if starts is None:
            starts = self._starts = [0, *accumulate(len(c) for c in self._chunks)]
        c = bisect_right(starts, i) - 1
        return c, i - starts[c]

    def at(self, i: int) -> Entry:
        """The entry at position i (negative from the end)."""
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError("SortedView index out of range")
        c, j = self._locate(i)
        return self._chunks[c][j]

    def span(self, start: int, stop: int) -> Iterator[Entry]:
        """Entries start..stop-1 (0 <= start <= stop <= len)."""
        if start >= stop:
            return iter(())
        c, j = self._locate(start)
        first = islice(self._chunks[c], j, None)
        rest = chain.from_iterable(self._chunks[c + 1 :])
        return islice(chain(first, rest), stop - start)


class MessageIndex:
    """Messages by key, (account, id) → phones, open keys and state counts per account, order.

    The history order is a SortedRuns of (sort key, key); a view shares it and the key map
    (KeyMap) and the next change copies only the chunk and shard it touches (copy-on-write),
    so taking a view is O(1) in messages and a view never changes under its reader.
    """

    def __init__(self) -> None:
        self.by_key = KeyMap()
        self._phones: dict[tuple[str, str], list[str]] = {}
        self.non_final: dict[str, dict[Key, None]] = {}  # ordered set per account
        self.counts: dict[str, Counter[DeliveryState]] = {}
        self._order = SortedRuns()

    def __len__(self) -> int:
        return len(self.by_key)

    def view(self) -> SortedView:
        """The history order right now, O(1) in messages (O(chunks + shards))."""
        return SortedView(self._order.snapshot(), self.by_key.snapshot())

    def ids(self, account: str, message_id: str) -> list[Key]:
        """Every key that shares this id (several phones of one SMSC send)."""
        phones = self._phones.get((account, message_id), ())
        return [(account, message_id, p) for p in phones]

    def put(self, m: Message) -> Message | None:
        """Insert or replace one message; returns the one it replaced."""
        key = m.key
        old = self.by_key.get(key)
        if old is not None:
            self._unindex(old, key)
            if (old.sent_at, old.seen_at) != (m.sent_at, m.seen_at):  # else: same place
                self._order.remove((sort_key(old), key))
                self._order.insert((sort_key(m), key))
        else:
            self._phones.setdefault((m.account, m.message_id), []).append(m.phone)
            self._order.insert((sort_key(m), key))
        self.by_key[key] = m
        self._index(m, key)
        return old

    def add_many(self, messages: Iterable[Message]) -> None:
        """Insert messages not indexed yet (a partition just loaded): their own run sorted,
        then merged chunk by chunk (appended when older than everything loaded)."""
        by_key, phones = self.by_key, self._phones
        shards, own = by_key._shards, by_key._own  # KeyMap.__setitem__ inlined: the hot loop
        counts, non_final = self.counts, self.non_final
        run: list[Entry] = []
        for m in messages:
            key = m.key
            i = hash(key) & _MASK
            shard = shards[i]
            if key in shard:
                continue
            if not own[i]:
                shard = shards[i] = shard.copy()
                own[i] = True
            shard[key] = m
            phones.setdefault(key[:2], []).append(key[2])
            account, state = key[0], m.state
            tally = counts.get(account)
            if tally is None:
                tally = counts[account] = Counter()
            tally[state] += 1
            if state not in _FINAL:
                non_final.setdefault(account, {})[key] = None
            at = placed_at(m)
            run.append(((-at if at is not None else _INF, len(key[1]), key[1], key[2], account),
                        key))  # sort_key(m), inlined  # fmt: skip
        by_key._len += len(run)
        run.sort()
        self._order.insert_many(run)

    def remove(self, key: Key) -> Message | None:
        """Drop one message (it moved to another key); O(log n + LOAD) in the order."""
        m = self.by_key.pop(key, None)
        if m is None:
            return None
        self._unindex(m, key)
        self._drop_phone(key)
        self._order.remove((sort_key(m), key))
        return m

    def _drop_phone(self, key: Key) -> None:
        phones = self._phones.get(key[:2], [])
        if key[2] in phones:
            phones.remove(key[2])
        if not phones:
            self._phones.pop(key[:2], None)

    def remove_many(self, keys: Iterable[Key]) -> int:
        """Drop these messages (retention, a partition read again); only the order's chunks
        that held them are rebuilt."""
        gone: list[Entry] = []
        for key in keys:
            m = self.by_key.pop(key, None)
            if m is None:
                continue
            gone.append((sort_key(m), key))
            self._unindex(m, key)
            self._drop_phone(key)
        self._order.remove_many(gone)
        return len(gone)

    def _index(self, m: Message, key: Key) -> None:
        counts = self.counts.get(m.account)
        if counts is None:
            counts = self.counts[m.account] = Counter()
        counts[m.state] += 1
        if m.state not in _FINAL:
            self.non_final.setdefault(m.account, {})[key] = None

    def _unindex(self, m: Message, key: Key) -> None:
        counts = self.counts[m.account]
        counts[m.state] -= 1
        if not counts[m.state]:
            del counts[m.state]
        if m.state not in _FINAL:
            self.non_final.get(m.account, {}).pop(key, None)


class SortedView(Sequence[Message]):
    """A read-only view of the history order at one moment; later changes never show through.

    It holds a snapshot of the order ((sort key, key) pairs, by chunk) and of the key → message
    map; the index copies the chunk or shard it changes once a view shares it (copy-on-write).
    """

    __slots__ = ("_by_key", "_order")

    def __init__(self, order: Frozen, by_key: KeyMap) -> None:
        self._order = order
        self._by_key = by_key

    def __len__(self) -> int:
        return len(self._order)

    def get(self, key: Key) -> Message | None:
        """The message with this key at the view's moment, if loaded."""
        return self._by_key.get(key)

    @overload
    def __getitem__(self, i: int) -> Message: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Message]: ...
    def __getitem__(self, i: int | slice) -> Message | Sequence[Message]:
        by_key = self._by_key
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self._order))
            if step == 1:
                return tuple(by_key[k] for _, k in self._order.span(start, stop))
            return tuple(by_key[self._order.at(j)[1]] for j in range(start, stop, step))
        return by_key[self._order.at(i)[1]]

    def __iter__(self) -> Iterator[Message]:
        by_key = self._by_key
        return (by_key[k] for _, k in self._order)

    def __repr__(self) -> str:
        return f"SortedView({len(self._order)} messages)"
