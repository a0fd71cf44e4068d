"""Prometheus figures of a running poller: a snapshot taken on the loop, families built off it.

Most figures are read from the engine and the store at scrape time (`take` on the event loop,
cheap; `render` in a worker thread, where the whole-cache spend rollup and the recent-window
walks run). Three are events no state keeps, so `Events` counts them where they happen: the
status lag (send → final, as this process observed it), limit errors per endpoint, and each
checkpoint's duration and failure. No label carries a secret: accounts, states, endpoints,
budget rows, reasons and currencies only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smstui.campaign import STATE_ORDER, Window, walk
from smstui.controller import HealthSnapshot
from smstui.model import AppliedChange, Message
from smstui.poller import Engine
from smstui.poller.guard import FailureGuard
from smstui.push_counters import REJECTED, received
from smstui.queries import Query
from smstui.store import Store
from smstui.whole_breakdown import Plan, prepare

# Send → final spans seconds (a push) to a day (a validity running out).
LAG_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)
CHECKPOINT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# The webhook's refusal counters (smstui.push_counters) as reasons a dashboard can group by.
REJECT_REASONS = {
    "rejected_403": "forbidden",
    "bad_400": "bad_request",
    "not_found_404": "not_found",
    "method_405": "method_not_allowed",
    "timeouts": "too_slow",
    "too_large_413": "too_large",
    "sink_errors": "cache_unwritable",
}


def window_label(seconds: float) -> str:
    """A recent window as Prometheus writes durations: 300 → "5m"."""
    return f"{round(seconds / 60)}m"


class Events:
    """The counters and histograms that only the moment something happens can fill."""

    def __init__(self) -> None:
        # `_created` series double every counter for a figure Prometheus does not need here.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=True)
        self.status_lag = Histogram(
            "smstui_status_lag_seconds",
            "Seconds from a message's send to smstui storing its final state (sent since start)",
            ["account", "state"],
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.limit_errors = Counter(
            "smstui_limit_errors",
            "Gateway limit errors (SMSC 9 and 4, HTTP 429) by budget endpoint",
            ["account", "endpoint"],
            registry=self.registry,
        )
        self.checkpoint_seconds = Histogram(
            "smstui_cache_checkpoint_duration_seconds",
            "Wall time of each cache checkpoint that wrote (done or failed)",
            buckets=CHECKPOINT_BUCKETS,
            registry=self.registry,
        )
        self.checkpoint_failures = Counter(
            "smstui_cache_checkpoint_failures",
            "Cache checkpoints that failed (the journal kept every change)",
            registry=self.registry,
        )
        self.started_at = 0.0
        self._undo: list[Callable[[], None]] = []

    # ---- installing the observers ------------------------------------------------------

    def watch(self, engine: Engine) -> None:
        """Observe this engine's store changes, gateway failures and checkpoints."""
        self.started_at = engine.clock.now()
        store, clock = engine.store, engine.clock

        def on_changes(changes: Sequence[AppliedChange]) -> None:
            self.observe_changes(changes, clock.now())

        store.add_listener(on_changes)
        self._undo.append(lambda: store.remove_listener(on_changes))
        for name, poller in engine.pollers.items():
            provider = poller.account.provider.value
            for row in poller.budget.rows_left():  # every endpoint is a series from the start
                self.limit_errors.labels(name, f"{provider}.{row.endpoint}")
            self._count_limit_errors(poller.guard, name, provider)
        self._time_checkpoints(store)

    def unwatch(self) -> None:
        """Stop observing (the engine and store are as they were before `watch`)."""
        while self._undo:
            self._undo.pop()()

    def observe_changes(self, changes: Sequence[AppliedChange], now: float) -> None:
        """A message reaching a final state: its lag from send to now (or the change's
        observed time). Messages sent before `watch` are left out: their lag would measure
        how long smstui was not running, not how fast statuses arrive."""
        for c in changes:
            after, before = c.after, c.before
            if c.kind not in ("inserted", "updated") or not after.state.is_final:
                continue
            if before is not None and before.state.is_final:
                continue  # already final: a price or an operator filled in
            if after.sent_at is None or after.sent_at < self.started_at:
                continue
            seen = c.change.observed_at if c.change and c.change.observed_at else now
            if seen >= after.sent_at:  # a gateway clock ahead of ours is no duration
                self.status_lag.labels(after.account, after.state.value).observe(
                    seen - after.sent_at
                )

    def _count_limit_errors(self, guard: FailureGuard, account: str, provider: str) -> None:
        """The guard decides what a limit error is; it tells its observers the endpoint."""

        def on_limit_error(endpoint: str) -> None:
            self.limit_errors.labels(account, f"{provider}.{endpoint}").inc()

        guard.limit_error_observers.append(on_limit_error)
        self._undo.append(lambda: guard.limit_error_observers.remove(on_limit_error))

    def _time_checkpoints(self, store: Store) -> None:
        """Every checkpoint that wrote or failed: its duration, and the failures."""

        def on_checkpoint(seconds: float, done: bool) -> None:
            self.checkpoint_seconds.observe(seconds)
            if not done:
                self.checkpoint_failures.inc()

        store.checkpoint_observers.append(on_checkpoint)
        self._undo.append(lambda: store.checkpoint_observers.remove(on_checkpoint))


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """One account's figures as of the scrape (taken on the loop)."""

    name: str
    counts: dict[str, int]  # state value → messages in the whole cache
    provider: str = ""  # "" for an account the cache holds but this poller does not poll
    requests: dict[str, int] = field(default_factory=dict)  # HTTP endpoint → requests made
    balance: Decimal | None = None
    currency: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one scrape reports except the events; rendering it reads no live state."""

    at: float
    accounts: tuple[AccountSnapshot, ...]
    health: HealthSnapshot
    recent: Sequence[Message]  # the loaded messages, newest first (an immutable view)
    spend: Plan  # the whole cache's breakdown, run off the loop
    journal_bytes: int = 0
    checkpoint_failing: bool = False


def take(engine: Engine) -> Snapshot:
    """The scrape's figures, on the event loop: O(accounts + partitions), no message walked."""
    store = engine.store
    names = sorted(set(store.accounts()) | set(engine.pollers))
    accounts = []
    for name in names:
        counts = {s.value: n for s, n in store.counts_by_state(name).items()}
        poller = engine.pollers.get(name)
        balance = store.latest_balance(name)
        accounts.append(
            AccountSnapshot(
                name,
                counts,
                poller.account.provider.value if poller else "",
                dict(poller.gateway.requests_made) if poller else {},
                balance.amount if balance else None,
                balance.currency if balance else "",
            )
        )
    cache = store.health()
    return Snapshot(
        engine.clock.now(),
        tuple(accounts),
        engine.health(),
        store.messages_sorted(),
        prepare(store, Query()),
        cache.journal_bytes,
        bool(store.checkpoint_error),
    )


def render(snapshot: Snapshot, events: Events) -> bytes:
    """The Prometheus text exposition of a snapshot plus the events (any thread)."""
    return generate_latest(_Scrape(snapshot, events))


class _Scrape(Collector):
    """One scrape: the snapshot's families, then the events'."""

    def __init__(self, snapshot: Snapshot, events: Events) -> None:
        self.snapshot = snapshot
        self.events = events

    def collect(self) -> Iterable[Metric]:
        """Every family, snapshot first."""
        yield from families(self.snapshot)
        yield from self.events.registry.collect()


def families(s: Snapshot) -> Iterator[Metric]:
    """The scrape-time families of one snapshot."""
    yield from _messages(s)
    yield from _money(s)
    yield from _requests(s)
    yield from _budget(s.health)
    yield from _webhook(s.health)
    journal = GaugeMetricFamily(
        "smstui_cache_journal_bytes", "Bytes in the cache journal (changes since a checkpoint)"
    )
    journal.add_metric([], s.journal_bytes)
    failing = GaugeMetricFamily(
        "smstui_cache_checkpoint_failing", "1 while the last cache checkpoint failed"
    )
    failing.add_metric([], int(s.checkpoint_failing))
    yield from (journal, failing)


def _messages(s: Snapshot) -> Iterator[Metric]:
    by_state = GaugeMetricFamily(
        "smstui_messages",
        "Messages in the whole cache by account and state",
        labels=["account", "state"],
    )
    recent = GaugeMetricFamily(
        "smstui_recent_messages",
        "Messages sent, delivered and failed in the last window (the campaign strip's)",
        labels=["account", "window", "event"],
    )
    ratio = GaugeMetricFamily(
        "smstui_delivery_ratio",
        "Delivered share of the messages that settled in the last window (absent when none did)",
        labels=["account", "window"],
    )
    for acc in s.accounts:
        for state in STATE_ORDER:
            by_state.add_metric([acc.name, state.value], acc.counts.get(state.value, 0))
        mine = (m for m in s.recent if m.account == acc.name)
        for w in walk(mine, s.at).windows:
            _window(recent, ratio, acc.name, w)
    yield from (by_state, recent, ratio)


def _window(recent: GaugeMetricFamily, ratio: GaugeMetricFamily, account: str, w: Window) -> None:
    label = window_label(w.seconds)
    for event, n in (("sent", w.sent), ("delivered", w.delivered), ("failed", w.failed)):
        recent.add_metric([account, label, event], n)
    if w.delivery_pct is not None:
        ratio.add_metric([account, label], w.delivery_pct / 100.0)


def _money(s: Snapshot) -> Iterator[Metric]:
    breakdown, _, _ = s.spend.run()
    spent = {g.name: g.spent for g in breakdown.groups.get("account", ())}
    spend = GaugeMetricFamily(
        "smstui_spend",
        "Money spent on the cached messages whose price is known, in the account's currency",
        labels=["account", "currency"],
    )
    balance = GaugeMetricFamily(
        "smstui_balance", "The account's last balance", labels=["account", "currency"]
    )
    for acc in s.accounts:
        spend.add_metric([acc.name, acc.currency], float(spent.get(acc.name, Decimal(0))))
        if acc.balance is not None:
            balance.add_metric([acc.name, acc.currency], float(acc.balance))
    unpriced = GaugeMetricFamily(
        "smstui_unpriced_messages", "Cached messages whose price is not known (not in the spend)"
    )
    unpriced.add_metric([], breakdown.unknown_cost)
    yield from (spend, balance, unpriced)


def _requests(s: Snapshot) -> Iterator[Metric]:
    requests = CounterMetricFamily(
        "smstui_requests",
        "HTTP requests this poller made to the gateway, by endpoint",
        labels=["account", "endpoint"],
    )
    down = GaugeMetricFamily("smstui_gateway_down", "1 while the gateway does not answer",
                             labels=["account"])  # fmt: skip
    last = GaugeMetricFamily(
        "smstui_last_poll_timestamp_seconds", "When the account's last cycle ended",
        labels=["account"],
    )  # fmt: skip
    for acc in s.accounts:
        for endpoint, n in sorted(acc.requests.items()):
            requests.add_metric([acc.name, endpoint], n)
    for h in s.health.accounts:
        down.add_metric([h.account], int(h.gateway_down))
        if h.last_poll_at is not None:
            last.add_metric([h.account], h.last_poll_at)
    yield from (requests, down, last)


def _budget(health: HealthSnapshot) -> Iterator[Metric]:
    labels = ["account", "row", "endpoint", "layer", "per"]
    left = GaugeMetricFamily(
        "smstui_budget_remaining_requests",
        "Requests a budget row still allows in its window (per-key rows: what a fresh key has)",
        labels=labels,
    )
    limit = GaugeMetricFamily("smstui_budget_limit_requests", "A budget row's limit",
                              labels=labels)  # fmt: skip
    window = GaugeMetricFamily("smstui_budget_window_seconds", "A budget row's window",
                               labels=labels)  # fmt: skip
    for acc in health.accounts:
        for row in acc.rows:
            values = [acc.account, row.name, f"{acc.provider}.{row.endpoint}", row.layer, row.per]
            left.add_metric(values, row.remaining)
            limit.add_metric(values, row.limit)
            window.add_metric(values, row.window_s)
    yield from (left, limit, window)


def _webhook(health: HealthSnapshot) -> Iterator[Metric]:
    counters = health.webhook_counters
    if health.webhook_url is None:  # no receiver: no webhook series at all
        return
    got = CounterMetricFamily("smstui_webhook_received", "Pushes received and acknowledged")
    got.add_metric([], received(counters))
    dupes = CounterMetricFamily(
        "smstui_webhook_duplicates", "Repeated pushes (answered OK, already stored)"
    )
    dupes.add_metric([], counters.get("duplicates", 0))
    rejected = CounterMetricFamily(
        "smstui_webhook_rejected", "Requests the receiver turned away, by reason",
        labels=["reason"],
    )  # fmt: skip
    for name in REJECTED:  # a refusal added later still shows, under its counter's name
        rejected.add_metric([REJECT_REASONS.get(name, name)], counters.get(name, 0))
    yield from (got, dupes, rejected)
