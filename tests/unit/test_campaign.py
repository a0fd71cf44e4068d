"""The campaign manager's figures, exactly: recent windows, the send-out and its ETA, the view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import smstui.campaign as campaign
from smstui.campaign import Campaign, SendOut, View, walk
from smstui.clock import FakeClock
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider
from smstui.store import Store

T = 1_763_700_000.0  # now


def msg(i: int, state: S, sent: float | None, done: float | None = None, **kw: object) -> Message:
    """Message i sent at `sent`, whose last status change (its settling if final) was `done`."""
    return Message(account=str(kw.pop("account", "smsc")), provider=Provider.SMSC,
                   message_id=str(i), phone=f"7916000{i:04d}", state=state, sent_at=sent,
                   updated_at=done, operator="МТС", **kw)  # type: ignore[arg-type]  # fmt: skip


def newest_first(rows: list[Message]) -> list[Message]:
    return sorted(rows, key=lambda m: -(m.sent_at or m.seen_at or 0.0))


def test_windows_count_sends_and_settlements_by_when_they_happened():
    rows = newest_first([
        msg(1, S.DELIVERED, T - 60, T - 30),
        msg(2, S.FAILED, T - 200, T - 100),
        msg(3, S.DELIVERED, T - 400, T - 250),  # settled in 5 min, sent before it
        msg(4, S.SENT, T - 800, T - 790),  # pending: sent in 15 min only
        msg(5, S.DELIVERED, T - 2000, T - 100),  # a slow one: settled now, sent long ago
        msg(6, S.EXPIRED, T - 1000, T - 950),  # settled before both windows
        msg(7, S.READ, T - 100, T - 10),  # read counts as delivered
        msg(8, S.REJECTED, T - 600, T - 500),  # failed in 15 min only
        msg(9, S.QUEUED, T + 30),  # a gateway clock ahead of ours: sent now
    ])  # fmt: skip
    five, fifteen = walk(rows, T).windows
    assert (five.sent, five.delivered, five.failed) == (4, 4, 1)
    assert five.delivery_pct == 80.0
    assert five.per_minute(five.sent) == pytest.approx(0.8)
    assert (fifteen.sent, fifteen.delivered, fifteen.failed) == (7, 4, 2)
    assert fifteen.delivery_pct == pytest.approx(100 * 4 / 6)


def test_a_quiet_window_has_no_delivery_percent():
    rows = [msg(1, S.DELIVERED, T - 5000, T - 4000)]
    five, fifteen = walk(rows, T).windows
    assert (five.sent, five.delivered, five.failed, five.delivery_pct) == (0, 0, 0, None)
    assert fifteen.delivery_pct is None


def test_the_send_out_is_the_newest_run_without_a_long_pause():
    older = [msg(100 + i, S.DELIVERED, T - 9000 + i * 60, T - 8000) for i in range(10)]
    # The current send-out: 20 messages, one every 2 min from T - 2400 (a 31-min pause before).
    current = []
    for i in range(20):
        sent = T - 2400 + i * 120
        if i < 6:
            current.append(msg(i, S.DELIVERED, sent, T - 1200))  # settled 20 min ago
        elif i < 9:
            current.append(msg(i, S.FAILED, sent, T - 120))  # settled within 5 min
        elif i < 10:
            current.append(msg(i, S.DELIVERED, sent, T - 60))  # settled within 5 min
        elif i < 18:
            current.append(msg(i, S.SENT, sent, sent))
        else:
            current.append(msg(i, S.QUEUED, sent))
    got = walk(newest_first(older + current), T).sendout
    assert got == SendOut(first_at=T - 2400, last_at=T - 120, total=20, at_gateway=2,
                          settled=10, settled_recent=4, sending=True)  # fmt: skip
    assert (got.pending, got.sent_out) == (10, 18)
    # 4 settled in the last 5 minutes: 10 pending take 10 / 4 × 5 min.
    assert got.eta_s == pytest.approx(750.0)


def test_eta_is_unknown_without_a_recent_settle_and_zero_when_all_settled():
    slow = [msg(1, S.DELIVERED, T - 900, T - 800), msg(2, S.SENT, T - 890, T - 890)]
    got = walk(newest_first(slow), T).sendout
    assert got is not None and got.pending == 1 and got.eta_s is None
    done = [msg(1, S.DELIVERED, T - 3000, T - 2900), msg(2, S.FAILED, T - 2950, T - 2900)]
    ended = walk(newest_first(done), T).sendout
    assert ended is not None and ended.eta_s == 0.0
    assert not ended.sending and ended.last_at == T - 2950


def test_a_send_out_longer_than_the_cap_says_it_started_earlier(monkeypatch):
    monkeypatch.setattr(campaign, "SENDOUT_MAX", 5)
    rows = newest_first([msg(i, S.DELIVERED, T - i * 10, T) for i in range(1, 9)])
    got = walk(rows, T).sendout
    assert got is not None and got.capped and got.total == 5 and got.first_at == T - 50


def test_the_walk_stops_once_past_the_send_out_and_the_settle_horizon():
    horizon = max(campaign.WINDOWS_S) + campaign.SETTLE_HORIZON_S
    rows = newest_first(
        [msg(1, S.DELIVERED, T - 10, T - 5)]
        + [msg(10 + i, S.DELIVERED, T - horizon - 3600 * (i + 1), T - horizon) for i in range(50)]
    )
    read: list[Message] = []

    def counting() -> Iterator[Message]:
        for m in rows:
            read.append(m)
            yield m

    walk(counting(), T)
    assert len(read) == 2  # the send-out's one message and the first one past the floor


def test_sparkline_counts_sends_per_minute_oldest_first():
    rows = newest_first([msg(1, S.SENT, T - 30), msg(2, S.SENT, T - 45), msg(3, S.SENT, T - 90),
                         msg(4, S.SENT, T - 1799), msg(5, S.SENT, T - 1900)])  # fmt: skip
    spark = walk(rows, T).per_minute
    assert len(spark) == campaign.SPARK_MINUTES
    assert spark[-1] == 2 and spark[-2] == 1 and spark[0] == 1 and sum(spark) == 4


@pytest.fixture
def store(tmp_path):
    clock = FakeClock(T)
    with Store.open(tmp_path / "cache", clock=clock) as s:
        s.apply([
            msg(1, S.DELIVERED, T - 100, T - 50, account="a"),
            msg(2, S.FAILED, T - 200, T - 150, account="a"),
            msg(3, S.SENT, T - 3600, T - 3600, account="a"),  # stuck: 1 h, usual is 10 min
            msg(4, S.SENT, T - 120, T - 120, account="b"),
            msg(5, S.SENT, T - 7200, T - 7200, account="b"),  # stuck
            msg(6, S.DELIVERED, T - 60, T - 30, account="b"),
        ])  # fmt: skip
        yield s


def test_figures_cover_the_whole_cache_or_the_views_rows(store):
    accounts = ["a", "b"]
    figures = Campaign(store, lambda: accounts)
    whole = figures.figures(View(store.messages_sorted()), T, full=True)
    assert whole.scope == "all cached" and whole.total == 6 and whole.failures == 1
    assert whole.stuck == 2 and whole.oldest_pending_s == 7200.0
    assert whole.delivery_pct == pytest.approx(100 * 2 / 3)
    five = whole.window(300.0)
    assert five is not None and (five.sent, five.delivered, five.failed) == (4, 2, 1)

    def only_b(m: Message, now: float) -> bool:
        return m.account == "b"

    rows_b = [m for m in store.messages_sorted() if m.account == "b"]
    view = View(rows_b, only_b, "filter: account:b", token=object())
    scoped = figures.figures(view, T, full=False)  # a new view: no new pending walk needed
    assert scoped.scope == "filter: account:b" and scoped.total == 3
    assert scoped.stuck == 1 and scoped.oldest_pending_s == 7200.0
    assert [m.key for m in figures.find_stuck(view, T)] == [("b", "5", "79160000005")]
    b_five = scoped.window(300.0)
    assert b_five is not None and (b_five.sent, b_five.delivered) == (2, 1)
