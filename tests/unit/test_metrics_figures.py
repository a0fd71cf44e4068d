"""What a scrape says, off a real store and engine (no network): counts, lag, checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from prometheus_client.parser import text_string_to_metric_families
from store_support import T0, P, chg, msg

from smstui.clock import FakeClock
from smstui.config import parse_config
from smstui.errors import UsageError
from smstui.metrics import Events, render, take, window_label
from smstui.metrics_server import is_loopback, parse_address
from smstui.model import Balance
from smstui.model import DeliveryState as S
from smstui.poller import Engine
from smstui.store import Store

SECRET = "pw-never-in-metrics"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


@pytest.fixture
def engine(tmp_path, clock) -> Iterator[Engine]:
    config = parse_config(
        {"accounts": [{"name": "acc", "provider": "smsc", "base_url": "http://127.0.0.1:9",
                       "login": "shop", "password": SECRET}],
         "cache": {"dir": str(tmp_path / "cache")}}
    )  # fmt: skip
    store = Store.open(tmp_path / "cache", clock=clock)
    try:
        yield Engine(config, store, clock=clock)
    finally:
        store.close()


def scrape(engine: Engine, events: Events) -> tuple[str, Samples]:
    """The exposition text and every sample in it, parsed the way Prometheus parses it."""
    text = render(take(engine), events).decode()
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def test_counts_by_state_cover_every_state_and_no_secret_shows(engine):
    store = engine.store
    store.apply([msg("1"), msg("2", state=S.DELIVERED), msg("3", state=S.FAILED)])
    store.apply([msg("4", sent_at=T0 - 86_400 * 3, state=S.DELIVERED)])  # another day
    store.record_balance(Balance("acc", Decimal("512.40"), "RUB"))
    text, samples = scrape(engine, Events())
    assert SECRET not in text and "shop" not in text
    counts = {s.value: value(samples, "smstui_messages", account="acc", state=s.value)
              for s in S}  # fmt: skip
    assert counts == {s.value: float(store.counts_by_state("acc").get(s, 0)) for s in S}
    assert counts["delivered"] == 2 and counts["expired"] == 0  # zeros are series too
    assert value(samples, "smstui_balance", account="acc", currency="RUB") == 512.40
    assert value(samples, "smstui_cache_checkpoint_failing") == 0
    assert value(samples, "smstui_cache_journal_bytes") == store.health().journal_bytes > 0
    # Budget rows: every row of the account, with its window.
    row = {"account": "acc", "row": "smsc.status_mass", "endpoint": "smsc.status_mass",
           "layer": "documented", "per": "login"}  # fmt: skip
    assert value(samples, "smstui_budget_limit_requests", **row) == 1
    assert value(samples, "smstui_budget_window_seconds", **row) == 60
    # No receiver: no webhook series at all.
    assert not any(name.startswith("smstui_webhook") for name, _ in samples)


def test_recent_windows_and_delivery_ratio(engine, clock):
    now = clock.now()
    engine.store.apply(
        [msg("1", sent_at=now - 60, state=S.DELIVERED, updated_at=now - 30),
         msg("2", sent_at=now - 60, state=S.DELIVERED, updated_at=now - 20),
         msg("3", sent_at=now - 60, state=S.FAILED, updated_at=now - 10),
         msg("4", sent_at=now - 600, state=S.DELIVERED, updated_at=now - 500)]
    )  # fmt: skip
    _, samples = scrape(engine, Events())
    assert value(samples, "smstui_recent_messages", account="acc", window="5m", event="sent") == 3
    assert value(samples, "smstui_recent_messages", account="acc", window="15m",
                 event="delivered") == 3  # fmt: skip
    ratio = {w: value(samples, "smstui_delivery_ratio", account="acc", window=w)
             for w in ("5m", "15m")}  # fmt: skip
    assert ratio == {"5m": pytest.approx(2 / 3), "15m": pytest.approx(3 / 4)}


def test_no_ratio_when_nothing_settled_in_the_window(engine, clock):
    engine.store.apply([msg("1", sent_at=clock.now() - 60)])
    _, samples = scrape(engine, Events())
    assert value(samples, "smstui_delivery_ratio", account="acc", window="5m") is None
    assert value(samples, "smstui_recent_messages", account="acc", window="5m", event="sent") == 1


def test_status_lag_counts_messages_sent_since_start_once_each(engine, clock):
    store = engine.store
    events = Events()
    events.watch(engine)
    try:
        start = clock.now()
        store.apply([msg("old", sent_at=start - 50), msg("new", sent_at=start + 10)])
        clock.advance(200)  # the final state is stored 190 s after the send
        store.apply([chg("old", S.DELIVERED, start + 150), chg("new", S.DELIVERED, start + 150)])
        store.apply([msg("new", sent_at=start + 10, state=S.DELIVERED, cost=Decimal("1.5"))])
        _, samples = scrape(engine, events)
    finally:
        events.unwatch()
    labels = {"account": "acc", "state": "delivered"}
    assert value(samples, "smstui_status_lag_seconds_count", **labels) == 1  # "old": before
    assert value(samples, "smstui_status_lag_seconds_sum", **labels) == 190
    assert value(samples, "smstui_status_lag_seconds_bucket", le="120.0", **labels) == 0
    assert value(samples, "smstui_status_lag_seconds_bucket", le="300.0", **labels) == 1
    # Unwatched: later changes are not observed.
    store.apply([msg("later", sent_at=clock.now()), chg("later", S.FAILED, clock.now() + 1)])
    _, again = scrape(engine, events)
    assert value(again, "smstui_status_lag_seconds_count", account="acc", state="failed") is None


async def test_a_failed_checkpoint_is_counted_timed_and_shown(engine, tmp_path):
    store = engine.store
    events = Events()
    events.watch(engine)
    try:
        store.apply([msg("1")])
        # A file where the account's partition directory must go: the checkpoint's mkdir fails.
        blocker = tmp_path / "cache" / "partitions" / "acc"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("in the way")
        assert await store.checkpoint_async(force=True) is False
        _, failed = scrape(engine, events)
        assert value(failed, "smstui_cache_checkpoint_failures_total") == 1
        assert value(failed, "smstui_cache_checkpoint_duration_seconds_count") == 1
        assert value(failed, "smstui_cache_checkpoint_failing") == 1
        blocker.unlink()
        assert await store.checkpoint_async(force=True) is True
        assert await store.checkpoint_async() is False  # nothing to write: not a checkpoint
        _, done = scrape(engine, events)
    finally:
        events.unwatch()
    assert value(done, "smstui_cache_checkpoint_failures_total") == 1
    assert value(done, "smstui_cache_checkpoint_duration_seconds_count") == 2
    assert value(done, "smstui_cache_checkpoint_failing") == 0
    assert "checkpoint_async" not in vars(store)  # unwatch restored the store's own method


def test_limit_error_series_exist_from_the_start(engine):
    events = Events()
    events.watch(engine)
    try:
        _, samples = scrape(engine, events)
    finally:
        events.unwatch()
    for endpoint in ("smsc.status_mass", "smsc.history", "smsc.balance", "smsc.send"):
        assert value(samples, "smstui_limit_errors_total", account="acc", endpoint=endpoint) == 0
    assert "failure" not in vars(engine.pollers["acc"].guard)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("9108", ("127.0.0.1", 9108)), (":9108", ("127.0.0.1", 9108)),
     ("0.0.0.0:9108", ("0.0.0.0", 9108)), ("[::1]:0", ("::1", 0)),
     ("localhost:9108", ("localhost", 9108))],
)  # fmt: skip
def test_addresses_bind_loopback_unless_a_host_is_given(given, expected):
    assert parse_address(given) == expected


@pytest.mark.parametrize("bad", ["", "host:", "host:http", "1:70000", "nine"])
def test_a_bad_address_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--metrics must be HOST:PORT"):
        parse_address(bad)


def test_loopback_addresses():
    assert all(map(is_loopback, ("127.0.0.1", "::1", "localhost", "127.0.0.2")))
    assert not any(map(is_loopback, ("0.0.0.0", "::", "192.168.1.5", "example.org")))


def test_window_labels():
    assert [window_label(s) for s in (300.0, 900.0)] == ["5m", "15m"]


def test_phone_is_never_a_label(engine):
    engine.store.apply([msg("1", state=S.DELIVERED)])
    text, _ = scrape(engine, Events())
    assert P not in text
