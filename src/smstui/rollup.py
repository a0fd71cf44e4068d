"""A mergeable summary of a set of messages: what the breakdown needs, without the messages.

A Rollup holds, per operator, sender, account, error and UTC hour slot, the counts, the money
and a delivery-time histogram; plus the series' counts per 5-minute slot of send time. Rollups
of disjoint sets merge into the rollup of their union, so the breakdown of the whole cache is
a merge of per-partition rollups (stored by the checkpoint) and the loaded messages' one.

Histograms and slot counts are packed into Python integers (32 bits per field): merging two is
one integer addition, done in C, however many buckets they hold; 1,000 partitions merge in
milliseconds. No I/O, no Textual.
"""

from __future__ import annotations

import base64
import math
import sys
from array import array
from binascii import a2b_base64
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from itertools import accumulate, islice
from typing import Any

from smstui.breakdown import (
    MARGINS,
    SLOT_S,
    Acc,
    Margins,
    margins_of,
    merge_margins,
    tally,
)
from smstui.delivery_time import Timeline
from smstui.model import ErrorClass, Message

DOC_VERSION = 1
RATIO = 1.05  # bucket width: a bucket's middle is within 2.5% of anything in it
_LOG_RATIO = math.log(RATIO)
FLOOR_S = 0.01  # shorter delivery times share one bucket [0, FLOOR_S)
J0 = math.floor(math.log(FLOOR_S) / _LOG_RATIO) - 1  # that bucket's index
MAX_FIELDS = 4000  # no real histogram or doc reaches this many buckets (1.05^3900 s …)
W = 32  # bits per packed field: no bucket or slot reaches 2^32 messages
_MASK = (1 << W) - 1
CHUNK = 10_000  # rollup_of sums this many messages at a time: memory stays bounded
_WIDE = next(c for c in "IL" if array(c).itemsize == 4)
_WIDTH = {"1": 1, "2": 2, "4": 4}  # a doc's bytes per field (fields are W = 32 bits)


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a delivery time: [RATIO^j, RATIO^(j+1)), or J0 below FLOOR_S."""
    if seconds < FLOOR_S:
        return J0
    return math.floor(math.log(seconds) / _LOG_RATIO)


def _unpack(bits: int) -> array[int]:
    """The fields of a packed integer, lowest first."""
    out = array(_WIDE)
    if bits:
        out.frombytes(bits.to_bytes((bits.bit_length() + W - 1) // W * (W // 8), "little"))
        if sys.byteorder == "big":
            out.byteswap()
    return out


def _pack(fields: Sequence[int]) -> int:
    wide = array(_WIDE, fields)
    if sys.byteorder == "big":
        wide.byteswap()
    return int.from_bytes(wide.tobytes(), "little")


def _encode(bits: int) -> tuple[int, str]:
    """(leading zero fields skipped, the rest as base64 in the narrowest width that fits)."""
    fields = _unpack(bits)
    skip = 0
    while skip < len(fields) and not fields[skip]:
        skip += 1
    count = len(fields) - skip
    top = max(fields[skip:], default=0)
    width = 1 if top < 1 << 8 else 2 if top < 1 << 16 else W // 8
    wide = (bits >> (W * skip)).to_bytes(count * (W // 8), "little")
    narrow = bytearray(count * width)  # each field's low `width` bytes, little-endian
    for k in range(width):
        narrow[k::width] = wide[k :: W // 8]
    return skip, f"{width}{base64.b64encode(narrow).decode('ascii')}"


def _decode(skip: object, text: object, limit: int) -> int:
    """The packed integer `_encode` described, of at most `limit` fields (ValueError or
    TypeError when it is not one)."""
    if type(skip) is not int or type(text) is not str:
        raise TypeError("a packed field must be [skip, width + base64]")
    width = _WIDTH.get(text[:1], 0)
    if not width:
        raise ValueError(f"a packed field of unknown width: {text[:1]!r}")
    narrow = a2b_base64(text[1:], strict_mode=True)
    count, odd = divmod(len(narrow), width)
    if odd or skip < 0 or skip + count > limit:
        raise ValueError(f"packed fields out of range: {skip} + {len(narrow)} bytes")
    if width == 1:  # the usual width: each byte the low byte of a 4-byte field
        wide = bytearray(4 * count)
        wide[::4] = narrow
    elif width == 2:
        wide = bytearray(4 * count)
        wide[::4], wide[1::4] = narrow[::2], narrow[1::2]
    else:
        wide = bytearray(narrow)
    return int.from_bytes(wide, "little") << (W * skip)


class Histogram:
    """Delivery times in fixed log buckets (RATIO wide), packed; with the exact min and max."""

    __slots__ = ("bits", "hi", "lo")

    def __init__(self, bits: int = 0, lo: float | None = None, hi: float | None = None) -> None:
        self.bits = bits  # field j - J0 counts bucket j
        self.lo = lo
        self.hi = hi

    @classmethod
    def of(cls, seconds: Iterable[float]) -> Histogram:
        """The histogram of some delivery times."""
        values = list(seconds)
        if not values:
            return cls()
        counts = Counter(bucket_of(s) - J0 for s in values)
        top = max(counts)
        if top >= MAX_FIELDS:
            raise ValueError(f"a delivery time beyond the histogram: {max(values)} s")
        fields = [0] * (top + 1)
        for j, n in counts.items():
            fields[j] = n
        return cls(_pack(fields), min(values), max(values))

    def append(self, seconds: float) -> None:
        """Count one more delivery time."""
        self.merge(Histogram.of((seconds,)))

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts."""
        self.bits += other.bits
        if other.lo is not None and (self.lo is None or other.lo < self.lo):
            self.lo = other.lo
        if other.hi is not None and (self.hi is None or other.hi > self.hi):
            self.hi = other.hi

    def merge_many(self, others: list[Histogram]) -> None:
        """Add many histograms' counts (one builtin sum of their packed integers)."""
        self.bits += sum(h.bits for h in others)
        los = [h.lo for h in others if h.lo is not None]
        his = [h.hi for h in others if h.hi is not None]
        if los:
            self.lo = min(los) if self.lo is None else min(self.lo, *los)
        if his:
            self.hi = max(his) if self.hi is None else max(self.hi, *his)

    def counts(self) -> dict[int, int]:
        """Bucket index → how many times fell in it (non-empty buckets only)."""
        return {j + J0: n for j, n in enumerate(_unpack(self.bits)) if n}

    def percentiles(self) -> tuple[float | None, float | None]:
        """(p50, p95), nearest rank: the middle of the bucket the ranked time is in, kept
        within the exact min and max (so one repeated time comes out exactly)."""
        if not self.bits:
            return None, None
        cumulative = list(accumulate(_unpack(self.bits)))
        n = cumulative[-1]
        return self._at(cumulative, n, 50), self._at(cumulative, n, 95)

    def _at(self, cumulative: list[int], n: int, pct: float) -> float:
        rank = max(1, math.ceil(pct / 100.0 * n))
        j = bisect_left(cumulative, rank) + J0
        value = FLOOR_S / 2 if j == J0 else RATIO ** (j + 0.5)
        assert self.lo is not None and self.hi is not None
        return min(max(value, self.lo), self.hi)


class Rollup:
    """What the breakdown needs of a set of messages; merge rollups of disjoint sets."""

    __slots__ = ("_segments", "first_sent", "last_sent", "margins", "unknown_cost")

    def __init__(self) -> None:
        self.margins: Margins = {m: {} for m in MARGINS}  # groups with Histogram times
        self.unknown_cost = 0  # messages without a known price (never summed as 0.00)
        self.first_sent: float | None = None
        self.last_sent: float | None = None
        # Series counts as packed (first SLOT_S slot, 3 fields per slot: sent, delivered,
        # failed) segments, combined only when read (merging stays O(1) per rollup).
        self._segments: list[tuple[int, int]] = []

    @property
    def total(self) -> int:
        """How many messages were summed."""
        return sum(a.total for a in self.margins["account"].values())

    def merge(self, other: Rollup) -> Rollup:
        """Add another rollup (of other messages) to this one; returns self."""
        merge_margins(self.margins, other.margins, Histogram)
        self.unknown_cost += other.unknown_cost
        self._times(other.first_sent, other.last_sent)
        self._segments += other._segments
        return self

    def _times(self, first: float | None, last: float | None) -> None:
        if first is not None and (self.first_sent is None or first < self.first_sent):
            self.first_sent = first
        if last is not None and (self.last_sent is None or last > self.last_sent):
            self.last_sent = last

    def series_counts(self) -> tuple[int, array[int]]:
        """(first slot, [sent, delivered, failed] per SLOT_S slot from it, flattened)."""
        if not self._segments:
            return 0, array(_WIDE)
        self._segments = [_combine(sorted(self._segments))]
        base, bits = self._segments[0]
        flat = _unpack(bits)  # high zero fields are not stored: pad the last slot
        flat.extend([0] * (-len(flat) % 3))
        return base, flat

    # ----- the stored form ------------------------------------------------------------------
    def to_doc(self) -> dict[str, Any]:
        """A compact JSON-safe form (canonical: equal rollups give equal docs)."""
        groups: dict[str, list[list[Any]]] = {}
        for margin, table in self.margins.items():
            rows = []
            for key, acc in table.items():
                row: list[Any] = [key, acc.total, acc.delivered, acc.failed, acc.pending,
                                  str(acc.spent), str(acc.spent_failed)]  # fmt: skip
                if margin == "error":
                    row.append(acc.klass.value if acc.klass is not None else None)
                hist: Histogram = acc.times  # type: ignore[assignment]
                if hist.bits:
                    row += [*_encode(hist.bits), hist.lo, hist.hi]
                rows.append(row)
            rows.sort(key=lambda r: (r[0] is None, r[0]))
            groups[margin] = rows
        doc: dict[str, Any] = {"v": DOC_VERSION, "u": self.unknown_cost, "g": groups}
        if self.first_sent is not None:
            base, flat = self.series_counts()
            skip, text = _encode(_pack(flat))
            doc["t"] = [self.first_sent, self.last_sent]
            doc["s"] = [base + skip // 3, skip % 3, text]
        return doc

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Rollup:
        """The rollup a doc describes (ValueError, TypeError or KeyError when it is not one)."""
        return merge_docs((doc,))


def _combine(segments: list[tuple[int, int]]) -> tuple[int, int]:
    """One segment from many sorted by first slot, halving: each add is of similar sizes."""
    if len(segments) == 1:
        return segments[0]
    mid = len(segments) // 2
    (lo_base, lo), (hi_base, hi) = _combine(segments[:mid]), _combine(segments[mid:])
    return lo_base, lo + (hi << (W * 3 * (hi_base - lo_base)))


def rollup_of(messages: Iterable[Message], timeline: Timeline | None = None) -> Rollup:
    """The rollup of some messages (any number: summed CHUNK at a time, memory bounded).

    `timeline` (key → status changes) refines a read message's delivery time, as in
    compute_breakdown.
    """
    out = Rollup()
    it: Iterator[Message] = iter(messages)
    while chunk := list(islice(it, CHUNK)):
        out.merge(_rollup_chunk(chunk, timeline))
    return out


def _rollup_chunk(messages: list[Message], timeline: Timeline | None) -> Rollup:
    counted = tally(messages, timeline, slots=True)
    for acc in counted.cells.values():
        acc.times = Histogram.of(acc.times)  # type: ignore[arg-type]
    out = Rollup()
    out.margins = margins_of(counted.cells, Histogram)
    out.unknown_cost = counted.unknown_cost
    out.first_sent, out.last_sent = counted.first_sent, counted.last_sent
    slots = counted.slots
    if slots:
        base = min(slots)
        flat = [0] * (3 * (max(slots) - base + 1))
        for slot, (sent, delivered, failed) in slots.items():
            i = 3 * (slot - base)
            flat[i], flat[i + 1], flat[i + 2] = sent, delivered, failed
        out._segments = [(base, _pack(flat))]
    return out


# ----- reading docs -------------------------------------------------------------------------


def merge_docs(docs: Iterable[dict[str, Any]]) -> Rollup:
    """One rollup of many docs, read straight into it (ValueError, TypeError or KeyError on
    a doc that is not a rollup's)."""
    out = Rollup()
    try:
        for doc in docs:
            _merge_doc(out, doc)
    except InvalidOperation:
        raise ValueError("a rollup with an amount that is not one") from None
    return out


def _merge_doc(out: Rollup, doc: dict[str, Any]) -> None:
    if doc["v"] != DOC_VERSION:
        raise ValueError(f"rollup version {doc['v']!r}, not {DOC_VERSION}")
    groups = doc["g"]
    for margin, table in out.margins.items():
        text_keys, error = margin != "slot", margin == "error"
        for row in groups[margin]:
            key, total, delivered, failed, pending, spent, spent_failed, *rest = row
            if text_keys:
                if type(key) is not str:
                    raise TypeError(f"a {margin} must be text: {key!r}")
            elif key is not None and type(key) is not int:
                raise TypeError(f"an hour slot must be an integer: {key!r}")
            if (type(total), type(delivered), type(failed), type(pending)) != _INTS:
                raise TypeError(f"a row of {margin}'s counts must be integers: {row!r}")
            if total != delivered + failed + pending or min(delivered, failed, pending) < 0:
                raise ValueError(f"a row of {margin} whose counts do not add up: {row!r}")
            if type(spent) is not str or type(spent_failed) is not str:
                raise TypeError(f"a row of {margin}'s money must be text: {row!r}")
            paid, paid_failed = Decimal(spent), Decimal(spent_failed)
            if not (paid.is_finite() and paid_failed.is_finite()):
                raise ValueError(f"a row of {margin}'s money is not an amount: {row!r}")
            klass = None
            if error:
                if not rest:
                    raise ValueError(f"an error row without its class: {row!r}")
                named = rest.pop(0)
                klass = None if named is None else ErrorClass(named)
            hist = None
            if rest:
                if len(rest) != 4:
                    raise ValueError(f"a histogram must be [skip, fields, min, max]: {rest!r}")
                skip, fields, lo, hi = rest
                hist = Histogram(_decode(skip, fields, MAX_FIELDS), _seconds(lo), _seconds(hi))
            acc = table.get(key)
            if acc is None:
                acc = table[key] = Acc(Histogram() if hist is None else hist, klass=klass)
                acc.total, acc.delivered, acc.failed, acc.pending = (
                    total,
                    delivered,
                    failed,
                    pending,
                )
                acc.spent, acc.spent_failed = paid, paid_failed
                continue
            acc.total += total
            acc.delivered += delivered
            acc.failed += failed
            acc.pending += pending
            acc.spent += paid
            acc.spent_failed += paid_failed
            if acc.klass is None:
                acc.klass = klass
            if hist is not None:
                acc.times.merge(hist)
    out.unknown_cost += _count(doc["u"])
    if "t" in doc:
        first, last = (_seconds(t) for t in doc["t"])
        if last < first:
            raise ValueError(f"send times out of order: {doc['t']!r}")
        out._times(first, last)
        base, skip, text = doc["s"]
        if type(base) is not int or type(skip) is not int or not 0 <= skip < 3:
            raise TypeError(f"a series must be [first slot, skip, fields]: {doc['s']!r}")
        bits = _decode(skip, text, 3 * len(text))
        slots = (bits.bit_length() + 3 * W - 1) // (3 * W)
        if not (first // SLOT_S <= base and base + slots - 1 <= last // SLOT_S):
            raise ValueError("series slots outside the send times")
        out._segments.append((base, bits))


_INTS = (int, int, int, int)


def _count(n: object) -> int:
    if type(n) is not int:
        raise TypeError(f"a count must be an integer: {n!r}")
    if n < 0:
        raise ValueError(f"a negative count: {n}")
    return n


def _seconds(t: object) -> float:
    if type(t) not in (int, float):
        raise TypeError(f"a time must be a number: {t!r}")
    value = float(t)  # type: ignore[arg-type]
    if not 0 <= value < 1e10:
        raise ValueError(f"a time out of range: {t!r}")
    return value


def _money(text: object) -> Decimal:
    if not isinstance(text, str):
        raise TypeError(f"money must be text: {text!r}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value
