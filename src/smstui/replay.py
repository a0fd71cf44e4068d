"""The cache as it was at a moment, from the stored timelines (no Textual, no writes).

"As it was" means as smstui knew it: every timeline entry records when smstui learnt it
(`observed_at`; an entry from before that was recorded counts from the gateway's time). At a
moment T a message exists when it was placed (sent, else first seen) at or before T and smstui
had learnt of it by T (its first observation); its status is the merge of the entries learnt by
T, under the store's own rule (`apply_status`), so a replay at T shows what the live dashboard
showed at T, not the gateway's truth a poll later. A message sent after T does not exist at T.

Descriptive fields (cost, operator, text) are the message's current ones: the cache keeps no
history of them. A pruned day is gone from the cache and from every replay.

`Replay` loads the stories once (one whole-history query, `answer.changes(key)`) and answers
any moment from memory; `summaries_at` streams the cache once for a few moments (the CLI).
`ReplayView` is the dashboard's `StoreView` at one moment, moved with `seek`.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from smstui.alerts import AlertMonitor, SpikeRule
from smstui.breakdown import breakdown_from_rollup
from smstui.campaign import STATE_ORDER, delivery_percent
from smstui.clock import FakeClock
from smstui.display import iso, zone
from smstui.errors import UsageError
from smstui.filtering import FilterError, parse_filter
from smstui.model import (
    AppliedChange,
    Balance,
    DeliveryState,
    Key,
    Message,
    StatusChange,
    placed_at,
)
from smstui.queries import AnswerStopped, Query
from smstui.rollup import CHUNK, Rollup, rollup_of
from smstui.store.merge import apply_status
from smstui.store.schema import FOLDED
from smstui.store_view import AnswerView, Listener, StoreHealth

_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


def parse_moment(text: str, now: float) -> float:
    """A moment as the CLI's time forms name it: `since:`'s (10m, 1h30m, 2d: that long ago;
    2026-11-21, 2026-11-21 10:15, ISO 8601 with or without an offset: the display zone when
    none), a time of day (10:15: its latest occurrence at or before now), or `now`."""
    value = text.strip()
    if value.lower() == "now":
        return now
    if _TIME_OF_DAY.fullmatch(value):
        parts = [int(p) for p in value.split(":")]
        here = datetime.fromtimestamp(now, zone())
        try:
            moment = here.replace(
                hour=parts[0],
                minute=parts[1],
                second=parts[2] if len(parts) > 2 else 0,
                microsecond=0,
            )
        except ValueError:
            raise UsageError(f"{text!r} is not a time of day") from None
        if moment.timestamp() > now:
            moment -= timedelta(days=1)
        return moment.timestamp()
    quoted = value.replace('"', "")
    try:
        since = parse_filter(f'since:"{quoted}"').hints(now).since
    except (FilterError, ValueError):
        since = None
    if since is None or not quoted:
        raise UsageError(
            f"{text!r} is not a moment: use 10m / 2h / 1d (ago), 10:15 (today), "
            "2026-11-21 10:15 (display zone) or ISO 8601 with an offset"
        )
    return since


@dataclass(frozen=True, slots=True)
class Story:
    """One message as the cache saw it: the message now, and what smstui learnt when."""

    message: Message
    known_at: float  # when smstui first held it
    learnt: tuple[float, ...]  # when each change below was learnt, ascending
    changes: tuple[StatusChange, ...]  # every real timeline entry, in the order learnt

    @classmethod
    def of(cls, message: Message, timeline: Sequence[StatusChange]) -> Story | None:
        """A message's story (None when it has neither a time nor a timeline to place it)."""
        real = sorted(
            ((_learnt(c), c.at, i, c) for i, c in enumerate(timeline) if c.source != FOLDED),
            key=lambda r: r[:3],
        )
        placed = placed_at(message)
        known = real[0][0] if real else placed
        if known is None:
            return None
        return cls(message, known, tuple(r[0] for r in real), tuple(r[3] for r in real))

    def at(self, t: float) -> Message | None:
        """The message as the cache held it at t; None when it did not hold it yet."""
        m = self.message
        placed = placed_at(m)
        if self.known_at > t or (placed is not None and placed > t):
            return None
        n = bisect_right(self.learnt, t)
        if n == len(self.changes):  # everything learnt: the message itself, exactly
            return m
        # Before its first status a message is smstui's own placeholder: any word wins.
        out = replace(
            m, state=DeliveryState.OUTCOME_UNKNOWN, raw_status="", error_code=None, updated_at=None
        )
        for change in self.changes[:n]:
            out = apply_status(out, change)
        return out

    def timeline_at(self, t: float) -> list[StatusChange]:
        """The changes learnt by t, oldest (by the gateway's time) first."""
        return sorted(self.changes[: bisect_right(self.learnt, t)], key=lambda c: c.at)


def _learnt(change: StatusChange) -> float:
    """When smstui learnt a change (the gateway's time for entries older than that record)."""
    return change.observed_at if change.observed_at is not None else change.at


class History(Protocol):
    """What a replay reads of the store: its whole-history query with timelines."""

    def query(self, query: Query, *, timelines: bool = False) -> AnswerView: ...
    def accounts(self) -> list[str]: ...
    def balances(self, account: str) -> list[Balance]: ...


def until_query(until: float, accounts: frozenset[str] | None = None) -> Query:
    """The whole-history query of every message that can exist at or before `until`."""
    return Query(accounts=accounts, until=math.nextafter(until, math.inf))


def stories(answer: AnswerView) -> Iterator[Story]:
    """The answer's messages as stories, newest first (the answer must keep timelines)."""
    for message in answer:
        story = Story.of(message, answer.changes(message.key))
        if story is not None:
            yield story


# ---- the summary: what the strip and the breakdown say about the whole cache ------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """One error's failures: its label as the breakdown names it, its class, count and money."""

    error: str
    error_class: str
    count: int
    spent: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts by state, delivered %, spend and failures by error of a set of messages."""

    at: float
    counts: tuple[tuple[DeliveryState, int], ...]
    delivered_pct: float | None
    spent: Decimal
    spent_on_failures: Decimal
    unknown_cost: int
    failures: tuple[Failure, ...]
    currency: str = ""
    partial: str = ""

    @property
    def total(self) -> int:
        """Messages summed."""
        return sum(n for _, n in self.counts)

    def record(self) -> dict[str, Any]:
        """The JSON form (`replay --json`): times ISO 8601, money as strings."""
        out: dict[str, Any] = {
            "at": iso(self.at),
            "messages": self.total,
            "states": {s.value: n for s, n in self.counts},
            "delivered_pct": None if self.delivered_pct is None else round(self.delivered_pct, 2),
            "spent": str(self.spent),
            "spent_on_failures": str(self.spent_on_failures),
            "without_price": self.unknown_cost,
            "currency": self.currency,
            "failures": [
                {"error": f.error, "class": f.error_class, "count": f.count, "spent": str(f.spent)}
                for f in self.failures
            ],
        }
        if self.partial:
            out["partial"] = self.partial
        return out


class SummaryBuilder:
    """Messages summed as they come (a chunk at a time: memory stays flat)."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.counts: Counter[DeliveryState] = Counter()
        self.rollup = Rollup()
        self._chunk: list[Message] = []

    def add(self, message: Message) -> None:
        """Count one message."""
        self.counts[message.state] += 1
        self._chunk.append(message)
        if len(self._chunk) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        self.rollup.merge(rollup_of(self._chunk))
        self._chunk = []

    def build(self, *, currency: str = "", partial: str = "") -> Summary:
        """The summary of everything added."""
        self._flush()
        result = breakdown_from_rollup(self.rollup)
        totals = result.totals
        failures = tuple(
            Failure(g.name, g.error_class.value if g.error_class else "unknown", g.failed, g.spent)
            for g in result.groups.get("error", ())
        )
        counts = tuple((s, self.counts[s]) for s in STATE_ORDER if self.counts.get(s))
        return Summary(
            self.at,
            counts,
            delivery_percent(self.counts),
            totals.spent,
            totals.spent_on_failures,
            self.rollup.unknown_cost,
            failures,
            currency,
            partial,
        )


def summarize(
    messages: Iterable[Message], at: float, *, currency: str = "", partial: str = ""
) -> Summary:
    """The summary of some messages (the live cache's, or a moment's)."""
    builder = SummaryBuilder(at)
    for m in messages:
        builder.add(m)
    return builder.build(currency=currency, partial=partial)


def currency_at(store: History, accounts: Iterable[str], t: float) -> str:
    """The accounts' currency by their balance samples up to t, when they agree on one."""
    found = set()
    for account in accounts:
        samples = [b for b in store.balances(account) if b.at is None or b.at <= t]
        if samples and samples[-1].currency:
            found.add(samples[-1].currency)
    return found.pop() if len(found) == 1 else ""


def summaries_at(
    store: History, moments: Sequence[float], accounts: frozenset[str] | None = None
) -> list[Summary]:
    """The summary of the cache at each moment, from one streamed whole-history query."""
    if not moments:
        return []
    answer = store.query(until_query(max(moments), accounts), timelines=True)
    builders = [SummaryBuilder(t) for t in moments]
    for story in stories(answer):
        for builder in builders:
            if (m := story.at(builder.at)) is not None:
                builder.add(m)
    names = store.accounts() if accounts is None else sorted(accounts)
    reason = answer.partial_reason()
    return [b.build(currency=currency_at(store, names, b.at), partial=reason) for b in builders]


# ---- a replay held in memory: any moment, fast (the dashboard's) -------------------------------


@dataclass
class Replay:
    """Every story up to a moment, newest first, and the balances: any moment from memory."""

    stories: list[Story]
    balances: dict[str, list[Balance]]
    accounts: list[str]
    partial: str = ""
    missing_days: list[tuple[str, str]] = field(default_factory=list)
    # Every moment a story can change at (placed, first learnt, each status learnt), sorted,
    # and whose it is: a seek recomputes only the stories with a moment between its ends.
    _events: tuple[list[float], list[int]] | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, store: History, until: float, accounts: frozenset[str] | None = None) -> Replay:
        """Read the whole history up to `until` once (call where the store may be read)."""
        answer = store.query(until_query(until, accounts), timelines=True)
        told = list(stories(answer))
        names = store.accounts() if accounts is None else sorted(accounts)
        samples = {a: store.balances(a) for a in names}
        return cls(told, samples, names, answer.partial_reason(), answer.missing_days)

    @property
    def first(self) -> float | None:
        """The earliest moment a message existed (None: no message)."""
        return min(
            (max(s.known_at, placed_at(s.message) or s.known_at) for s in self.stories),
            default=None,
        )

    @property
    def last(self) -> float | None:
        """The last moment anything was learnt (None: no message)."""
        return max((s.learnt[-1] if s.learnt else s.known_at for s in self.stories), default=None)

    def touched(self, a: float, b: float) -> list[int]:
        """The stories (their indices, in story order) that may differ between moments a and b."""
        if self._events is None:
            pairs = sorted((when, i) for i, s in enumerate(self.stories)
                           for when in (s.known_at, placed_at(s.message), *s.learnt)
                           if when is not None)  # fmt: skip
            self._events = ([p[0] for p in pairs], [p[1] for p in pairs])
        times, owners = self._events
        lo, hi = min(a, b), max(a, b)
        return sorted(set(owners[bisect_right(times, lo) : bisect_right(times, hi)]))

    def messages_at(self, t: float) -> list[Message]:
        """Every message as held at t, newest first."""
        return [m for s in self.stories if (m := s.at(t)) is not None]

    def summary_at(self, t: float) -> Summary:
        """The summary at t."""
        return summarize(self.messages_at(t), t, currency=self.currency_at(t), partial=self.partial)

    def balances_at(self, account: str, t: float) -> list[Balance]:
        """An account's balance samples taken by t, oldest first."""
        return [b for b in self.balances.get(account, ()) if b.at is None or b.at <= t]

    def currency_at(self, t: float) -> str:
        """The accounts' currency at t, when they agree on one."""
        found = {
            got[-1].currency
            for a in self.accounts
            if (got := self.balances_at(a, t)) and got[-1].currency
        }
        return found.pop() if len(found) == 1 else ""

    def first_spike(
        self, after: float | None = None, rule: SpikeRule | None = None
    ) -> float | None:
        """The first moment after `after` the alert monitor raised a failure-spike alert,
        replaying the final outcomes in the order smstui learnt them (None: no spike)."""
        finals = sorted(
            (when, c)
            for s in self.stories
            for when, c in zip(s.learnt, s.changes, strict=True)
            if c.state.is_final
        )
        clock = FakeClock(finals[0][0] if finals else 0.0)
        monitor = AlertMonitor(clock, failure_spike=rule)  # debounced as the live one
        for when, change in finals:
            clock.set(when)
            alerts = monitor.observe_changes([change])
            if any(a.kind == "failure_spike" for a in alerts) and (after is None or when > after):
                return when
        return None


class MomentAnswer:
    """A query's answer over one moment of a replay (held in memory: whole at once)."""

    def __init__(self, query: Query, rows: Sequence[Message], view: ReplayView) -> None:
        self.query = query
        self.missing: list[str] = []
        self.parts_done = self.parts_total = 0
        self.done = False
        self._rows = rows
        self._view = view
        self._stop: threading.Event | None = None

    def __iter__(self) -> Iterator[Message]:
        if self._stop is not None and self._stop.is_set():
            raise AnswerStopped
        accepts = self.query.accepts
        yield from (m for m in self._rows if accepts(m))
        self.done = True

    @property
    def complete(self) -> bool:
        """Every message of the moment was read and the replay lacks no day."""
        return self.done and not self._view.replay.partial

    @property
    def missing_days(self) -> list[tuple[str, str]]:
        """The days the replay could not read."""
        return list(self._view.replay.missing_days)

    @property
    def days_total(self) -> int:
        """Nothing is read from disk: the replay holds it."""
        return 0

    @property
    def days_done(self) -> int:
        """Nothing is read from disk."""
        return 0

    def partial_reason(self) -> str:
        """'' when whole; else what the replay lacks."""
        return self._view.replay.partial

    def loaded(self, key: Key) -> Message | None:
        """The message under `key` at the moment."""
        return self._view.get(key)

    def changes(self, key: Key) -> list[StatusChange]:
        """Its timeline as learnt by the moment."""
        return self._view.timeline(key)

    def stop_when(self, stop: threading.Event) -> None:
        """Stop before iterating once `stop` is set."""
        self._stop = stop


class ReplayView:
    """The dashboard's StoreView at one moment of a replay; `seek` moves the moment and tells
    listeners what changed (inserted: came to exist, updated: another status, removed: did
    not exist yet), the batches a live cache would have sent."""

    def __init__(self, replay: Replay, at: float) -> None:
        self.replay = replay
        self.version = 0
        self.at = at
        self._listeners: list[Listener] = []
        self._by_key = {s.message.key: s for s in replay.stories}
        self._rows: list[Message] = []
        self._held: dict[Key, Message] = {}
        self._take(at)

    def _take(self, t: float) -> None:
        self._rows = self.replay.messages_at(t)  # newest first: the stories' order
        self._held = {m.key: m for m in self._rows}

    def seek(self, t: float) -> list[AppliedChange]:
        """Move to moment t; returns (and hands every listener) what changed. Only the stories
        with a moment between the old and the new one are recomputed."""
        stories, held = self.replay.stories, self._held
        out: list[AppliedChange] = []
        for i in self.replay.touched(self.at, t):
            key = stories[i].message.key
            old, new = held.get(key), stories[i].at(t)
            if new is None:
                if old is not None:
                    del held[key]
                    out.append(AppliedChange("removed", key, old, old))
            elif old is None:
                held[key] = new
                out.append(AppliedChange("inserted", key, None, new))
            elif old != new:
                held[key] = new
                out.append(AppliedChange("updated", key, old, new))
        self.at = t
        self.version += 1
        if out:  # a new list: one handed out before never changes
            self._rows = [m for s in stories if (m := held.get(s.message.key)) is not None]
            for listener in list(self._listeners):
                listener(out)
        return out

    def __len__(self) -> int:
        return len(self._rows)

    def total(self) -> int:
        """Every message at the moment (the replay holds them all)."""
        return len(self._rows)

    def accounts(self) -> list[str]:
        """The replay's accounts."""
        return list(self.replay.accounts)

    def messages_sorted(self) -> Sequence[Message]:
        """The moment's messages newest first (a list no later seek alters)."""
        return self._rows

    def get(self, key: Key) -> Message | None:
        """One message as held at the moment."""
        return self._held.get(key)

    def find(self, account: str, message_id: str) -> list[Message]:
        """The moment's messages with this id on this account."""
        return [m for k, m in self._held.items() if k[0] == account and k[1] == message_id]

    def timeline(self, key: Key) -> list[StatusChange]:
        """A message's statuses learnt by the moment, oldest first."""
        story = self._by_key.get(key)
        return [] if story is None or key not in self._held else story.timeline_at(self.at)

    def non_final(self, account: str) -> list[Message]:
        """The account's messages still open at the moment."""
        return [m for m in self._rows if m.account == account and not m.state.is_final]

    def counts_by_state(self, account: str | None = None) -> dict[DeliveryState, int]:
        """Messages per state at the moment."""
        return dict(Counter(m.state for m in self._rows if account is None or m.account == account))

    def balances(self, account: str) -> list[Balance]:
        """The account's balance samples taken by the moment."""
        return self.replay.balances_at(account, self.at)

    def latest_balance(self, account: str) -> Balance | None:
        """The account's last balance sample by the moment."""
        got = self.balances(account)
        return got[-1] if got else None

    def query(self, query: Query) -> AnswerView:
        """The moment's answer to a query."""
        return MomentAnswer(query, self._rows, self)

    def partition_rollups(
        self, accounts: frozenset[str] | None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """No partition waits on disk: every message of the moment is held."""
        return [], []

    def health(self) -> StoreHealth:
        """The replay's state: what it lacks, and how many messages it holds."""
        n = len(self._rows)
        return StoreHealth(problem=self.replay.partial, loaded=n, total=n)

    def add_listener(self, callback: Listener) -> None:
        """Call `callback` with what every seek changed."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        """Stop calling `callback`."""
        if callback in self._listeners:
            self._listeners.remove(callback)
