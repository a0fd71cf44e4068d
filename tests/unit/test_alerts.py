"""Alerts: failure-rate spikes, low balance, gateway errors 9/4, gateway down — all debounced."""

from __future__ import annotations

from decimal import Decimal

from smstui import display
from smstui.alerts import AlertMonitor, SpikeRule
from smstui.clock import FakeClock
from smstui.controller import AccountHealth, HealthSnapshot
from smstui.model import Balance, DeliveryState, StatusChange
from smstui.moscow import MSK

_counter = iter(range(10**9))


def outcomes(account: str, failed: int, delivered: int, at: float) -> list[StatusChange]:
    """Final status changes for fresh messages (unique ids)."""
    changes = []
    for i in range(failed + delivered):
        state = DeliveryState.FAILED if i < failed else DeliveryState.DELIVERED
        changes.append(
            StatusChange(
                account, f"m{next(_counter)}", state, "20", at, phone="7916", observed_at=at
            )
        )
    return changes


def test_spike_against_a_baseline_alerts_once_then_debounces() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, debounce_s=300)
    # A normal hour: 5% failures.
    assert mon.observe_changes(outcomes("main", 3, 57, clock.now())) == []
    clock.advance(600)
    alerts = mon.observe_changes(outcomes("main", 12, 18, clock.now()))
    assert [(a.kind, a.account, a.severity) for a in alerts] == [("failure_spike", "main", "error")]
    assert (
        "12 of 30" in alerts[0].text and "40%" in alerts[0].text and "normally 5%" in alerts[0].text
    )
    clock.advance(60)
    assert mon.observe_changes(outcomes("main", 10, 0, clock.now())) == []  # debounced
    clock.advance(301)
    assert [a.kind for a in mon.observe_changes(outcomes("main", 20, 0, clock.now()))] == [
        "failure_spike"
    ]


def test_no_spike_when_rate_is_normal_or_sample_small() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock)
    assert mon.observe_changes(outcomes("main", 12, 18, clock.now())) == []  # 40%, no baseline
    clock.advance(600)
    # Recent 40% vs a 40% baseline: bad, but normal for this campaign — not a spike.
    assert mon.observe_changes(outcomes("main", 12, 18, clock.now())) == []
    # A tiny sample proves nothing, however bad.
    other = AlertMonitor(clock)
    assert other.observe_changes(outcomes("b", 5, 0, clock.now())) == []


def test_spike_without_baseline_needs_a_high_absolute_rate() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, failure_spike=SpikeRule(min_finals=10))
    assert mon.observe_changes(outcomes("a", 4, 6, clock.now())) == []
    alerts = mon.observe_changes(outcomes("b", 8, 2, clock.now()))
    assert [(a.kind, a.account) for a in alerts] == [("failure_spike", "b")]


def test_same_outcome_from_poll_and_webhook_counts_once() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, failure_spike=SpikeRule(min_finals=10))
    batch = outcomes("a", 9, 0, clock.now())
    assert mon.observe_changes(batch) == []
    assert mon.observe_changes(batch) == []  # 9 unique failures, below min_finals
    non_final = [StatusChange("a", "x", DeliveryState.SENT, "0", clock.now())]
    assert mon.observe_changes(non_final) == []


def test_low_balance_warns_escalates_debounces_and_rearms() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, debounce_s=300)
    assert mon.observe_balance("main", Decimal("150"), Decimal("100")) == []
    assert mon.observe_balance("main", Decimal("100"), None) == []  # no threshold configured
    low = mon.observe_balance("main", Balance("main", Decimal("80.5"), "RUB"), Decimal("100"))
    assert [(a.kind, a.severity) for a in low] == [("low_balance", "warning")]
    assert "80.50 RUB" in low[0].text and "the 100.00 threshold" in low[0].text  # one money format
    clock.advance(10)
    assert mon.observe_balance("main", Decimal("70"), Decimal("100")) == []  # debounced
    empty = mon.observe_balance("main", Decimal("0"), Decimal("100"))  # escalation gets through
    assert [a.severity for a in empty] == ["error"] and "exhausted" in empty[0].title
    clock.advance(10)
    assert mon.observe_balance("main", Decimal("500"), Decimal("100")) == []  # topped up
    again = mon.observe_balance("main", Decimal("90"), Decimal("100"))
    assert [a.severity for a in again] == ["warning"]  # re-armed, not debounced
    assert mon.observe_balance("other", Decimal("1"), Decimal("100"))  # per account


def health(clock: FakeClock, **kw: object) -> HealthSnapshot:
    acc = AccountHealth(account="main", provider="smsc", **kw)  # type: ignore[arg-type]
    return HealthSnapshot(at=clock.now(), accounts=(acc,))


def test_rate_limit_error_9_alerts_on_new_limit_errors_only() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, debounce_s=300)
    assert mon.observe_health(health(clock)) == []
    alerts = mon.observe_health(health(clock, limit_errors=1, backoff_until=clock.now() + 60))
    assert [(a.kind, a.severity) for a in alerts] == [("rate_limited", "warning")]
    assert "error 9" in alerts[0].title and "until" in alerts[0].text
    assert mon.observe_health(health(clock, limit_errors=1)) == []  # nothing new
    clock.advance(400)
    assert [a.kind for a in mon.observe_health(health(clock, limit_errors=3))] == ["rate_limited"]


def test_ip_blocked_error_4_alerts_with_the_time_and_debounces(monkeypatch) -> None:
    monkeypatch.setattr(display, "_zone", MSK)  # the dashboard's [ui] timezone
    clock = FakeClock(1_763_700_000.0)  # 07:40 MSK
    mon = AlertMonitor(clock, debounce_s=300)
    alerts = mon.observe_health(health(clock, blocked_until=clock.now() + 1200))
    assert [(a.kind, a.severity) for a in alerts] == [("ip_blocked", "error")]
    assert "08:00 MSK" in alerts[0].text
    clock.advance(60)
    assert mon.observe_health(health(clock, blocked_until=clock.now() + 1140)) == []
    assert mon.observe_health(health(clock, blocked_until=clock.now() - 1)) == []  # expired


def test_gateway_down_then_back_up() -> None:
    clock = FakeClock()
    mon = AlertMonitor(clock, debounce_s=300)
    down = mon.observe_health(health(clock, gateway_down=True, last_error="connection refused"))
    assert [(a.kind, a.severity) for a in down] == [("gateway_down", "error")]
    assert "connection refused" in down[0].text
    assert mon.observe_health(health(clock, gateway_down=True)) == []  # still down: once
    clock.advance(30)
    up = mon.observe_health(health(clock))
    assert [(a.kind, a.severity) for a in up] == [("gateway_up", "information")]
    clock.advance(30)
    # Down again soon after: a new outage is news, not a duplicate.
    assert [a.kind for a in mon.observe_health(health(clock, gateway_down=True))] == [
        "gateway_down"
    ]
