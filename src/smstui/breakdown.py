"""The campaign breakdown: counts, delivery %, money and delivery times per group (no Textual).

Given the rows of the current filter, `compute_breakdown` groups them by operator, error, sender,
account and send hour (dated, in time order), totals the money spent (and spent on failures),
takes time-to-delivery percentiles, and buckets the send times into a series for the
delivery-rate and throughput charts. One pass over the rows; 100,000 rows take ~170 ms
(bench/breakdown.py), so the UI runs it in a thread.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from smstui.codes import explain
from smstui.delivery_time import DELIVERED_STATES, Timeline, delivery_seconds, percentile
from smstui.model import DeliveryState, ErrorClass, Message, Provider
from smstui.policy import failure_class

if TYPE_CHECKING:
    from smstui.rollup import Rollup

DIMENSIONS = ("operator", "error", "sender", "account", "hour")
# Bucket sizes a person reads at a glance; the series takes the smallest that fits.
NICE_BUCKETS_S = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
MAX_BUCKETS = 240  # the finest series kept; a chart coarsens it to its own width
NO_OPERATOR, NO_SENDER, NO_TIME = "(unknown)", "(none)", "(no time)"


@dataclass(frozen=True, slots=True)
class Group:
    """One row of a breakdown table: the messages sharing one operator, error, sender, …"""

    name: str
    total: int
    delivered: int  # delivered or read
    failed: int  # failed, expired, rejected, not found
    pending: int  # not final yet
    spent: Decimal
    spent_on_failures: Decimal
    p50_s: float | None = None  # time to delivery
    p95_s: float | None = None
    error_class: ErrorClass | None = None  # the error dimension only
    order: int = 0  # the natural order (send time's: the hour slot or the day; else 0)

    @property
    def final(self) -> int:
        """Messages whose fate is known."""
        return self.delivered + self.failed

    @property
    def delivery_pct(self) -> float | None:
        """Delivered share of the final messages (the campaign strip's rule); None if none."""
        return 100.0 * self.delivered / self.final if self.final else None


@dataclass(frozen=True, slots=True)
class Bucket:
    """Messages sent in one time bucket [start, start + size)."""

    start: float
    sent: int = 0
    delivered: int = 0
    failed: int = 0

    @property
    def delivery_pct(self) -> float | None:
        """Delivered share of this bucket's final messages; None when none is final yet."""
        final = self.delivered + self.failed
        return 100.0 * self.delivered / final if final else None


@dataclass(frozen=True, slots=True)
class Series:
    """Consecutive equal buckets of send time, oldest first (empty buckets included)."""

    bucket_s: int
    buckets: tuple[Bucket, ...] = ()
    offset_s: float = 0.0  # the display zone's UTC offset the buckets are aligned to
    # The bucket exact send times would have had when the source (a rollup's slots) keeps
    # only coarser ones; 0 when the series is as fine as the send times allow.
    coarsened_from: int = 0

    def coarsen(self, max_buckets: int) -> Series:
        """The same counts in larger nice buckets, so that at most `max_buckets` remain."""
        if len(self.buckets) <= max(1, max_buckets) or not self.buckets:
            return self
        first, last = self.buckets[0].start, self.buckets[-1].start
        size = next(
            (
                s
                for s in NICE_BUCKETS_S
                if s > self.bucket_s
                and s % self.bucket_s == 0
                and _count(first, last, s, self.offset_s) <= max_buckets
            ),
            self.bucket_s * math.ceil(len(self.buckets) / max(1, max_buckets)),
        )
        merged: dict[float, list[int]] = {}
        for b in self.buckets:
            acc = merged.setdefault(_floor(b.start, size, self.offset_s), [0, 0, 0])
            acc[0] += b.sent
            acc[1] += b.delivered
            acc[2] += b.failed
        starts = _starts(min(merged), max(merged), size)
        empty = [0, 0, 0]
        rows = tuple(Bucket(s, *merged.get(s, empty)) for s in starts)
        return Series(size, rows, self.offset_s, self.coarsened_from)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Everything the breakdown screen shows for one set of rows."""

    totals: Group
    groups: dict[str, tuple[Group, ...]] = field(default_factory=dict)
    series: Series = field(default_factory=lambda: Series(60))
    unknown_cost: int = 0  # messages without a known price (not in the sums)
    time_unit: str = "hour"  # the "hour" table's rows: "hour" (with dates) or "day"


def _floor(t: float, size: int, offset: float) -> float:
    """The start of the bucket holding t, aligned to the display zone's clock."""
    return t - ((t + offset) % size)


def _count(first: float, last: float, size: int, offset: float) -> int:
    return int((_floor(last, size, offset) - _floor(first, size, offset)) // size) + 1


def _starts(first: float, last: float, size: int) -> list[float]:
    return [first + i * size for i in range(int((last - first) // size) + 1)]


def utc_offset(t: float, tz: tzinfo | None) -> float:
    """Seconds the zone (None: this machine's) is ahead of UTC at the moment t."""
    moment = datetime.fromtimestamp(t, tz) if tz is not None else datetime.fromtimestamp(t)
    offset = (moment if tz is not None else moment.astimezone()).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def bucket_size(span_s: float, max_buckets: int = MAX_BUCKETS) -> int:
    """The smallest nice bucket that covers `span_s` in at most `max_buckets` buckets."""
    for size in NICE_BUCKETS_S:
        if span_s / size + 1 <= max_buckets:
            return size
    return NICE_BUCKETS_S[-1] * math.ceil(span_s / NICE_BUCKETS_S[-1] / max_buckets + 1)


def send_series(
    messages: Iterable[Message], tz: tzinfo | None = None, max_buckets: int = MAX_BUCKETS
) -> Series:
    """Sends, deliveries and failures per bucket of send time (messages without one skipped)."""
    timed = [m for m in messages if m.sent_at is not None]
    if not timed:
        return Series(60)
    times = [m.sent_at for m in timed]
    first, last = min(times), max(times)  # type: ignore[type-var]
    assert first is not None and last is not None
    offset = utc_offset(first, tz)
    size = bucket_size(last - first, max_buckets)
    counts: dict[float, list[int]] = {}
    for m in timed:
        acc = counts.setdefault(_floor(m.sent_at, size, offset), [0, 0, 0])  # type: ignore[arg-type]
        acc[0] += 1
        if m.state in DELIVERED_STATES:
            acc[1] += 1
        elif m.state.is_failure:
            acc[2] += 1
    empty = [0, 0, 0]
    starts = _starts(_floor(first, size, offset), _floor(last, size, offset), size)
    return Series(size, tuple(Bucket(s, *counts.get(s, empty)) for s in starts), offset)


@lru_cache(maxsize=4096)
def error_label(
    provider: Provider, state: DeliveryState, raw_status: str, error_code: int | None
) -> str:
    """A failure's short name: `err 6 · Subscriber offline`, else the status (`Expired`)."""
    status, error = explain(provider.value, raw_status, error_code)
    if error is not None:
        return f"err {error.code} · {error.en}"
    if status.state is not DeliveryState.UNKNOWN:
        return status.name_en
    return f"{state.value} (no code)"


class Exact(list[float]):
    """Every delivery time of a group, for exact percentiles (what a scan of messages keeps)."""

    def merge(self, other: Exact) -> None:
        self.extend(other)

    def merge_many(self, others: list[Exact]) -> None:
        for other in others:
            self.extend(other)

    def percentiles(self) -> tuple[float | None, float | None]:
        """(p50, p95), nearest rank."""
        self.sort()
        return percentile(self, 50), percentile(self, 95)


class Times(Protocol):
    """A group's delivery times: exact (Exact) or as a mergeable histogram (rollup.Histogram)."""

    def append(self, seconds: float, /) -> None: ...
    def merge(self, other: Any, /) -> None: ...
    def merge_many(self, others: list[Any], /) -> None: ...
    def percentiles(self) -> tuple[float | None, float | None]: ...


class Acc:
    """A group being summed up: counts, money and delivery times."""

    __slots__ = ("delivered", "failed", "klass", "order", "pending", "spent", "spent_failed",
                 "times", "total")  # fmt: skip

    def __init__(self, times: Times, order: int = 0, klass: ErrorClass | None = None) -> None:
        self.order = order
        self.total = self.delivered = self.failed = self.pending = 0
        self.spent = Decimal(0)
        self.spent_failed = Decimal(0)
        self.times = times
        self.klass = klass

    def merge(self, other: Acc) -> None:
        self.total += other.total
        self.delivered += other.delivered
        self.failed += other.failed
        self.pending += other.pending
        self.spent += other.spent
        self.spent_failed += other.spent_failed
        self.times.merge(other.times)

    def group(self, name: str) -> Group:
        p50, p95 = self.times.percentiles()
        return Group(
            name, self.total, self.delivered, self.failed, self.pending, self.spent,
            self.spent_failed, p50, p95, self.klass, self.order,
        )  # fmt: skip


_PENDING, _DELIVERED, _FAILED, _OTHER = range(4)
_KIND = {
    s: _DELIVERED if s in DELIVERED_STATES else _FAILED if s.is_failure
    else _OTHER if s.is_final else _PENDING
    for s in DeliveryState
}  # fmt: skip


# A cell: (operator, sender, account, hour slot since the epoch or None, error label or None).
# Messages are summed per cell once, then cells into every margin: one accumulator call per
# message instead of one per message and dimension (100k rows: ~4x faster). The hour slot is
# UTC so that a zone is applied when the margins become dated hour groups (rollups are stored
# before anyone knows the zone they will be read in).
Cell = tuple[str, str, str, int | None, str | None]
Margins = dict[str, dict[Any, Acc]]  # margin → key → group (key: a name; a slot for "slot")
MARGINS = {"operator": 0, "sender": 1, "account": 2, "slot": 3, "error": 4}
SLOT_S = 300  # the finest send-time slot a rollup keeps for the series (a divisor of every
# nice bucket from 5 min on and of every zone offset, which are whole quarter hours)


@dataclass
class Tally:
    """One pass over messages: cells, the series' slot counts, and what has no price."""

    cells: dict[Cell, Acc] = field(default_factory=dict)
    unknown_cost: int = 0
    first_sent: float | None = None
    last_sent: float | None = None
    slots: dict[int, list[int]] | None = None  # SLOT_S slot → [sent, delivered, failed]


def tally(messages: Iterable[Message], timeline: Timeline | None, *, slots: bool = False) -> Tally:
    """Sum messages into cells (exact delivery times); `slots`: count the series per SLOT_S.

    The one place a message is counted as delivered, failed or pending and its money summed.
    """
    out = Tally(slots={} if slots else None)
    cells, per_slot = out.cells, out.slots
    unknown_cost = 0
    first, last = math.inf, -math.inf
    kinds = _KIND
    for m in messages:
        sent = m.sent_at
        state = m.state
        kind = kinds[state]
        slot = None
        if sent is not None:
            slot = int(sent // 3600)
            if sent < first:
                first = sent
            if sent > last:
                last = sent
            if per_slot is not None:
                at = int(sent // SLOT_S)
                counts = per_slot.get(at)
                if counts is None:
                    counts = per_slot[at] = [0, 0, 0]
                counts[0] += 1
                if kind == _DELIVERED:
                    counts[1] += 1
                elif kind == _FAILED:
                    counts[2] += 1
        error = None
        if kind == _FAILED:
            error = error_label(m.provider, state, m.raw_status, m.error_code)
        key = (m.operator or NO_OPERATOR, m.sender or NO_SENDER, m.account, slot, error)
        acc = cells.get(key)
        if acc is None:
            klass = failure_class(m) if error is not None else None
            acc = cells[key] = Acc(Exact(), klass=klass)
        acc.total += 1
        if kind == _DELIVERED:
            acc.delivered += 1
            took = delivery_seconds(m, timeline)
            if took is not None:
                acc.times.append(took)
        elif kind == _FAILED:
            acc.failed += 1
        elif kind == _PENDING:
            acc.pending += 1
        cost = m.cost
        if cost is None:
            unknown_cost += 1
        else:
            acc.spent += cost
            if kind == _FAILED:
                acc.spent_failed += cost
    if first <= last:
        out.first_sent, out.last_sent = first, last
    out.unknown_cost = unknown_cost
    return out


def margins_of(cells: dict[Cell, Acc], empty: Callable[[], Times]) -> Margins:
    """Each margin's groups (operator, sender, account, UTC hour slot, error) from the cells;
    `empty` makes a group's delivery times (the cells' are merged into them)."""
    out: Margins = {m: {} for m in MARGINS}
    for key, acc in cells.items():
        for margin, index in MARGINS.items():
            part = key[index]
            if margin == "error" and part is None:
                continue  # only failures have an error
            table = out[margin]
            got = table.get(part)
            if got is None:
                got = table[part] = Acc(empty(), klass=acc.klass if margin == "error" else None)
            got.merge(acc)
    return out


def merge_margins(into: Margins, other: Margins, empty: Callable[[], Times]) -> None:
    """Add `other`'s groups to `into`'s (a new group copies; `other` is never aliased)."""
    for margin, table in other.items():
        mine = into.setdefault(margin, {})
        for key, acc in table.items():
            got = mine.get(key)
            if got is None:
                got = mine[key] = Acc(empty(), klass=acc.klass)
            elif got.klass is None:
                got.klass = acc.klass
            got.merge(acc)


def summed(accs: Iterable[Acc], times: Times, order: int = 0) -> Acc:
    """One new group of many (a whole cache has ~24,000 hour slots: builtin sums, no calls)."""
    accs = list(accs)
    out = Acc(times, order)
    out.total = sum(a.total for a in accs)
    out.delivered = sum(a.delivered for a in accs)
    out.failed = sum(a.failed for a in accs)
    out.pending = sum(a.pending for a in accs)
    out.spent = sum((a.spent for a in accs), Decimal(0))
    out.spent_failed = sum((a.spent_failed for a in accs), Decimal(0))
    times.merge_many([a.times for a in accs])
    return out


HOUR_ROWS_MAX = 7 * 24  # more send hours than a week's: the time table has a row per day
_NO_TIME_ORDER = 1 << 62  # sorts after every real moment


def _local(t: float, tz: tzinfo | None) -> datetime:
    """The moment t on `tz`'s clock (None: this machine's)."""
    return datetime.fromtimestamp(t, tz) if tz else datetime.fromtimestamp(t).astimezone()


def time_groups(slots: Iterable[int], tz: tzinfo | None) -> tuple[str, dict[int, tuple[str, int]]]:
    """("hour" or "day", UTC hour slot → (row name, order)): the send-time table's rows in
    time order, with their dates ("11-20 23:00", "11-21 00:00"); by day ("2025-11-21")
    when the slots are more than a week's. An hour told twice by a clock going back (DST)
    gets the zone's name ("10-26 02:00 CEST", "10-26 02:00 CET")."""
    slots = sorted(set(slots))
    if len(slots) > HOUR_ROWS_MAX:
        days = {slot: _local(slot * 3600, tz).date() for slot in slots}
        return "day", {slot: (d.isoformat(), d.toordinal()) for slot, d in days.items()}
    moments = {slot: _local(slot * 3600, tz) for slot in slots}
    names = {slot: m.strftime("%m-%d %H:%M") for slot, m in moments.items()}
    seen = Counter(names.values())
    return "hour", {
        slot: (f"{name} {moments[slot].tzname()}" if seen[name] > 1 else name, slot)
        for slot, name in names.items()
    }


def assemble(
    margins: Margins,
    series: Series,
    unknown_cost: int,
    *,
    tz: tzinfo | None,
    empty: Callable[[], Times],
) -> Breakdown:
    """A Breakdown from margins: the hour slots told as dated hours (or days) in `tz`, each
    table in its natural order. The one place groups get their names and order (scan and
    rollups)."""
    totals = summed(margins.get("account", {}).values(), empty())  # one account each
    slot_table = margins.get("slot", {})
    unit, named = time_groups((s for s in slot_table if s is not None), tz)
    by_time: dict[str, tuple[int, list[Acc]]] = {}
    for slot, acc in slot_table.items():
        name, order = (NO_TIME, _NO_TIME_ORDER) if slot is None else named[slot]
        by_time.setdefault(name, (order, []))[1].append(acc)
    hours = {name: summed(accs, empty(), order=order) for name, (order, accs) in by_time.items()}
    groups = {}
    for dimension in DIMENSIONS:
        table = hours if dimension == "hour" else margins.get(dimension, {})
        made = (acc.group(str(name)) for name, acc in table.items())
        groups[dimension] = tuple(sorted(made, key=_default_order(dimension)))
    return Breakdown(totals.group("all"), groups, series, unknown_cost, unit)


def compute_breakdown(
    messages: Sequence[Message],
    *,
    timeline: Timeline | None = None,
    tz: tzinfo | None = None,
    max_buckets: int = MAX_BUCKETS,
) -> Breakdown:
    """Group `messages` by every dimension, total them and bucket their send times (exact).

    `timeline` (key → status changes) refines a read message's delivery time; `tz` is the zone
    the send hours and the buckets are told in (None: this machine's).
    """
    counted = tally(messages, timeline)
    margins = margins_of(counted.cells, Exact)
    series = send_series(messages, tz, max_buckets)
    return assemble(margins, series, counted.unknown_cost, tz=tz, empty=Exact)


def breakdown_from_rollup(
    rollup: Rollup, *, tz: tzinfo | None = None, max_buckets: int = MAX_BUCKETS
) -> Breakdown:
    """The Breakdown of the messages a rollup summed: compute_breakdown's, except p50/p95
    (from the histograms, within 5%) and a series no finer than the rollup's slots."""
    from smstui.rollup import Histogram

    series = slot_series(rollup.series_counts(), rollup.first_sent, rollup.last_sent, tz,
                         max_buckets)  # fmt: skip
    return assemble(rollup.margins, series, rollup.unknown_cost, tz=tz, empty=Histogram)


def slot_series(
    counts: tuple[int, Sequence[int]],
    first: float | None,
    last: float | None,
    tz: tzinfo | None,
    max_buckets: int = MAX_BUCKETS,
) -> Series:
    """send_series from per-SLOT_S counts: (first slot, [sent, delivered, failed] * n), and
    the exact first and last send times (they choose the bucket and its alignment)."""
    if first is None or last is None:
        return Series(60)
    offset = utc_offset(first, tz)
    exact = bucket_size(last - first, max_buckets)
    size = exact
    if size % SLOT_S:  # finer than the slots: the finest the rollup can tell
        size = next(s for s in NICE_BUCKETS_S if s >= SLOT_S and s % SLOT_S == 0)
    base, flat = counts
    n = len(flat) // 3
    rows = []
    for start in _starts(_floor(first, size, offset), _floor(last, size, offset), size):
        # The slots starting inside [start, start + size): exact when the zone's offset is a
        # whole number of slots (every zone today), else each slot is told by its start.
        lo = max(0, _first_slot(start) - base)
        hi = min(n, _first_slot(start + size) - base)
        if hi <= lo:
            rows.append(Bucket(start))
            continue
        sent, delivered, failed = (sum(flat[3 * lo + k : 3 * hi : 3]) for k in range(3))
        rows.append(Bucket(start, sent, delivered, failed))
    return Series(size, tuple(rows), offset, coarsened_from=exact if size != exact else 0)


def _first_slot(t: float) -> int:
    """The first SLOT_S slot starting at or after t (t a bucket start: float noise ignored)."""
    return math.ceil(t / SLOT_S - 1e-6)


def _default_order(dimension: str) -> Callable[[Group], Any]:
    """Send times in time order; everything else biggest first, then by name."""
    if dimension == "hour":
        return lambda g: g.order
    return lambda g: (-g.total, g.name)
