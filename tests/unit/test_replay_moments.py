"""smstui.replay: the cache at a moment, from a real store's timelines (observed on a FakeClock)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from smstui.clock import FakeClock
from smstui.display import use_zone
from smstui.errors import UsageError
from smstui.model import Balance, DeliveryState, Message, Provider, StatusChange
from smstui.queries import Query
from smstui.replay import Replay, ReplayView, Story, parse_moment, summaries_at, summarize
from smstui.store import Store

S = DeliveryState
T0 = 1_763_700_000.0  # 2025-11-21 04:40 UTC
P1, P2 = "79990000001", "79990000002"


def msg(mid: str, phone: str = P1, **kw: object) -> Message:
    base: dict[str, object] = {"sent_at": T0, "state": S.QUEUED, "updated_at": T0,
                               "cost": Decimal("2.50"), "raw_status": "0"}  # fmt: skip
    base.update(kw)
    return Message("acc", Provider.SMSC, mid, phone, **base)  # type: ignore[arg-type]


def chg(mid: str, state: S, raw: str, at: float, phone: str = P1, err: int | None = None):
    return StatusChange("acc", mid, state, raw, at, error_code=err, phone=phone)


@pytest.fixture
def recorded(tmp_path):
    """A campaign applied to a real store step by step; the store's messages after each step."""
    clock = FakeClock(T0)
    store = Store.open(tmp_path / "cache", clock=clock)
    steps: list[tuple[float, list]] = [
        (T0, [msg("1"), msg("1", P2), msg("2")]),
        (T0 + 60, [chg("1", S.SENT, "0", T0 + 30), chg("2", S.DELIVERED, "1", T0 + 50)]),
        (
            T0 + 120,
            [chg("1", S.DELIVERED, "1", T0 + 100), chg("1", S.FAILED, "20", T0 + 110, P2, err=6)],
        ),
        # A late, stale "sent" (gateway time before the delivery): the merge rule keeps delivered.
        (
            T0 + 180,
            [chg("2", S.SENT, "0", T0 + 40), msg("3", sent_at=T0 + 150, updated_at=T0 + 150)],
        ),
        # Discovered late: sent at T0 + 200, learnt at T0 + 300 (history).
        (
            T0 + 300,
            [msg("4", sent_at=T0 + 200, updated_at=T0 + 210, state=S.DELIVERED, raw_status="1")],
        ),
    ]
    states = []
    for at, items in steps:
        clock.set(at)
        store.apply(items)
        states.append((at, {m.key: m for m in store.messages_sorted()}))
    store.record_balance(Balance("acc", Decimal("100"), "RUB", at=T0 + 30))
    yield store, states
    store.close()


def test_every_moment_equals_the_store_as_it_was(recorded):
    store, states = recorded
    replay = Replay.load(store, T0 + 1000)
    for at, held in states:
        for t in (at, at + 59):  # the instant a batch landed and until the next one
            assert {m.key: m for m in replay.messages_at(t)} == held, t
    assert replay.messages_at(T0 - 1) == []


def test_a_message_exists_once_sent_and_learnt(recorded):
    store, _ = recorded
    replay = Replay.load(store, T0 + 1000)
    keys = lambda t: {m.message_id for m in replay.messages_at(t)}  # noqa: E731
    assert "3" not in keys(T0 + 149)  # sent after T: it does not exist
    assert "4" not in keys(T0 + 250)  # sent, but smstui learnt of it at T0 + 300
    assert "4" in keys(T0 + 300)


def test_timelines_and_counts_as_of_the_moment(recorded):
    store, _ = recorded
    view = ReplayView(Replay.load(store, T0 + 1000), T0 + 90)
    key = ("acc", "1", P1)
    assert [c.state for c in view.timeline(key)] == [S.QUEUED, S.SENT]
    assert view.counts_by_state() == {S.SENT: 1, S.QUEUED: 1, S.DELIVERED: 1}
    assert view.latest_balance("acc").amount == Decimal("100")
    view.seek(T0 + 10)
    assert view.latest_balance("acc") is None
    failed = list(view.query(Query(states=frozenset({S.FAILED}))))
    assert failed == []


def test_seek_tells_listeners_what_changed(recorded):
    store, _ = recorded
    view = ReplayView(Replay.load(store, T0 + 1000), T0 + 90)
    batches = []
    view.add_listener(batches.append)
    version = view.version
    changes = view.seek(T0 + 200)
    assert batches == [changes] and view.version == version + 1
    kinds = {(c.kind, c.key[1], c.key[2]) for c in changes}
    assert kinds == {("updated", "1", P1), ("updated", "1", P2), ("inserted", "3", P1)}
    back = view.seek(T0 + 90)
    assert {(c.kind, c.key[1]) for c in back if c.kind == "removed"} == {("removed", "3")}
    assert len(view) == 3 and view.total() == 3


def test_summary_counts_money_and_failures(recorded):
    store, _ = recorded
    replay = Replay.load(store, T0 + 1000)
    summary = replay.summary_at(T0 + 130)
    assert dict(summary.counts) == {S.DELIVERED: 2, S.FAILED: 1}
    assert summary.delivered_pct == pytest.approx(200 / 3)
    assert summary.spent == Decimal("7.50") and summary.spent_on_failures == Decimal("2.50")
    assert [(f.count, f.error_class) for f in summary.failures] == [(1, "temporary")]
    assert "err 6" in summary.failures[0].error
    assert summary.currency == "RUB"
    # The one-pass form for the CLI gives the same records, and the live store's summary.
    many = summaries_at(store, [T0 + 130, T0 + 400])
    assert many[0].record() == summary.record()
    live = summarize(store.query(Query()), T0 + 400, currency="RUB")
    assert many[1].record() == live.record()


def test_a_story_without_observation_times_uses_the_gateway_times():
    m = msg("9", state=S.DELIVERED, raw_status="1", updated_at=T0 + 20)
    old = [chg("9", S.QUEUED, "0", T0), chg("9", S.DELIVERED, "1", T0 + 20)]  # no observed_at
    story = Story.of(m, old)
    assert story is not None
    assert story.at(T0 + 10).state is S.QUEUED
    assert story.at(T0 + 20) is m


def test_first_spike_is_when_the_alert_monitor_would_raise_it(tmp_path):
    clock = FakeClock(T0)
    with Store.open(tmp_path / "c", clock=clock) as store:
        store.apply([msg(str(i), sent_at=T0 + i) for i in range(40)])
        for i in range(40):  # one outcome every 10 s: 10 delivered, then failures
            clock.set(T0 + 100 + 10 * i)
            state, raw = (S.DELIVERED, "1") if i < 10 else (S.FAILED, "20")
            store.apply([chg(str(i), state, raw, T0 + 100 + 10 * i)])
        replay = Replay.load(store, T0 + 1000)
    spike = replay.first_spike()
    assert spike is not None and T0 + 200 < spike <= T0 + 500
    assert replay.first_spike(after=spike) is None  # the alert is debounced as live


@pytest.fixture
def utc():
    use_zone(UTC)
    yield
    use_zone(None)


NOW = datetime(2025, 11, 21, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("10m", NOW - 600),
        ("1h30m", NOW - 5400),
        ("2025-11-21", datetime(2025, 11, 21, tzinfo=UTC).timestamp()),
        ("2025-11-21 10:15", NOW - 105 * 60),
        ("2025-11-21T13:15:00+03:00", NOW - 105 * 60),
        ("10:15", NOW - 105 * 60),
        ("12:30", NOW - 86400 + 1800),  # not yet today: yesterday's
    ],
)
def test_moments_in_the_cli_time_forms(utc, text, expected):
    assert parse_moment(text, NOW) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "25:00", "2025-13-01", '"'])
def test_a_bad_moment_is_a_usage_error(utc, text):
    with pytest.raises(UsageError):
        parse_moment(text, NOW)


def test_a_walk_of_seeks_always_equals_a_view_opened_there(recorded):
    """Seeks recompute only the stories with a moment in between: the result is the same."""
    store, _ = recorded
    replay = Replay.load(store, T0 + 1000)
    view = ReplayView(replay, T0)
    for t in (T0 + 400, T0 + 59, T0 + 60, T0 + 299, T0 + 300, T0 - 5, T0 + 180, T0 + 121):
        view.seek(t)
        fresh = ReplayView(replay, t)
        assert list(view.messages_sorted()) == list(fresh.messages_sorted()), t
        assert view.counts_by_state() == fresh.counts_by_state()
