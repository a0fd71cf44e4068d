"""Alerts out, the deciding half: each condition told once, a minimum interval per kind and
account, a resolved message when it ends (spike rule, health, balance), escalations at once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from smstui.alert_relay import AlertRelay
from smstui.alerts_out import Clearing, ClearingMonitor, Notice, Outbox
from smstui.alerts_out.conditions import LIMIT_QUIET_S
from smstui.clock import FakeClock
from smstui.controller import AccountHealth, HealthSnapshot
from smstui.model import Balance, DeliveryState, StatusChange
from smstui.store import Store

_ids = iter(range(10**9))


def finals(failed: int, delivered: int, at: float) -> list[StatusChange]:
    """Final outcomes of fresh messages of account main."""
    return [
        StatusChange("main", f"m{next(_ids)}",
                     DeliveryState.FAILED if i < failed else DeliveryState.DELIVERED,
                     "20", at, phone="79160000000", observed_at=at)
        for i in range(failed + delivered)
    ]  # fmt: skip


class Pipeline:
    """The service's wiring without the network: relay → monitor → outbox → notices."""

    def __init__(self, tmp_path: Path, *, min_interval_s: float = 600, low: float = 0) -> None:
        self.clock = FakeClock()
        self.store = Store.open(tmp_path / "cache", clock=self.clock)
        self.notices: list[Notice] = []
        monitor = ClearingMonitor(self.clock)
        self.outbox = Outbox(self.clock, min_interval_s)
        thresholds = {"main": low} if low else {}
        self.clearing = Clearing(monitor, {k: Decimal(str(v)) for k, v in thresholds.items()})
        self.relay = AlertRelay(
            monitor, lambda alert: self.notices.extend(self.outbox.raised(alert)), thresholds
        )

    def tick(self, **health: object) -> None:
        snapshot = HealthSnapshot(
            self.clock.now(),
            (AccountHealth("main", "smsc", **health),),  # type: ignore[arg-type]
        )
        self.clearing.observe(snapshot)
        self.relay.tick(self.store, snapshot)
        self.notices += self.outbox.tick(
            lambda kind, acc: self.clearing.over(kind, acc, self.store, snapshot)
        )

    def titles(self) -> list[str]:
        return [n.title for n in self.notices]


def test_a_spike_goes_out_once_and_is_resolved_when_the_rate_falls(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    p.relay.changes(finals(20, 0, p.clock.now()), p.clock.now())
    p.tick()
    assert p.titles() == ["main: failure spike"]
    assert p.notices[0].level == "failure" and "20 of 20" in p.notices[0].body
    # More failures while it lasts: once the first ones form the baseline the spike rule calls
    # 100% "normal", but a campaign failing throughout is not resolved.
    for _ in range(10):
        p.clock.advance(60)
        p.relay.changes(finals(5, 0, p.clock.now()), p.clock.now())
        p.tick()
    assert p.titles() == ["main: failure spike"]
    p.relay.changes(finals(0, 200, p.clock.now()), p.clock.now())
    p.tick()
    assert p.titles() == ["main: failure spike", "main: failure spike: resolved"]
    resolved = p.notices[-1]
    assert resolved.resolved and resolved.level == "success"
    assert resolved.body.startswith("30 of 230 messages failed in the last 5 min: 13%.")
    assert "Lasted 10 min (since " in resolved.body
    p.tick()
    assert len(p.notices) == 2


def test_a_repeat_within_the_interval_waits_and_one_notice_tells_a_short_one(
    tmp_path: Path,
) -> None:
    p = Pipeline(tmp_path, min_interval_s=600)
    p.tick(gateway_down=True)
    p.clock.advance(30)
    p.tick()
    assert p.titles() == ["main: gateway down", "main: gateway down: resolved"]
    assert "answers again" in p.notices[-1].body
    p.clock.advance(30)
    p.tick(gateway_down=True)  # down again a minute after the first: held, not sent
    assert len(p.notices) == 2
    p.clock.advance(30)
    p.tick()  # and over before its interval ended: one notice says both
    assert p.titles()[-1] == "main: gateway down (over)"
    assert p.notices[-1].level == "failure" and "Over by" in p.notices[-1].body
    p.clock.advance(60)
    p.tick(gateway_down=True)  # within the interval of that notice: held …
    assert len(p.notices) == 3
    p.clock.advance(600)
    p.tick(gateway_down=True)  # … and sent when it ends, the gateway still down
    assert p.titles()[-1] == "main: gateway down"


def test_low_balance_escalates_at_once_and_resolves_after_a_top_up(tmp_path: Path) -> None:
    p = Pipeline(tmp_path, low=1000)
    p.store.record_balance(Balance("main", Decimal("900"), "RUB", at=p.clock.now()))
    p.tick()
    assert p.titles() == ["main: low balance"] and p.notices[0].level == "warning"
    p.clock.advance(60)
    p.store.record_balance(Balance("main", Decimal("0"), "RUB", at=p.clock.now()))
    p.tick()  # worse: told now, whatever the interval
    assert p.titles()[-1] == "main: balance exhausted" and p.notices[-1].level == "failure"
    p.clock.advance(60)
    p.store.record_balance(Balance("main", Decimal("5000"), "RUB", at=p.clock.now()))
    p.tick()
    assert p.titles()[-1] == "main: balance exhausted: resolved"
    assert "5 000.00 RUB" in p.notices[-1].body and "1 000.00" in p.notices[-1].body
    assert len(p.notices) == 3


def test_rate_limiting_ends_after_a_quiet_minute_and_the_back_off(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    p.tick(limit_errors=0)
    p.tick(limit_errors=1, backoff_until=p.clock.now() + 30)
    assert p.titles() == ["main: rate limited (error 9)"]
    p.clock.advance(31)
    p.tick(limit_errors=1)  # back-off over, but the last refusal is only 31 s old
    assert len(p.notices) == 1
    p.clock.advance(LIMIT_QUIET_S)
    p.tick(limit_errors=1)
    assert p.titles()[-1] == "main: rate limited (error 9): resolved"


def test_an_ip_block_resolves_when_the_pause_ends(tmp_path: Path) -> None:
    p = Pipeline(tmp_path)
    until = p.clock.now() + 900
    p.tick(blocked_until=until)
    for _ in range(5):
        p.clock.advance(120)
        p.tick(blocked_until=until)
    assert p.titles() == ["main: IP blocked (error 4)"]
    p.clock.advance(400)
    p.tick(blocked_until=until)
    assert p.titles()[-1] == "main: IP blocked (error 4): resolved"


def test_two_accounts_are_two_conditions(tmp_path: Path) -> None:
    clock = FakeClock()
    outbox = Outbox(clock, 600)
    monitor = ClearingMonitor(clock)
    relay_notices: list[Notice] = []
    relay = AlertRelay(monitor, lambda a: relay_notices.extend(outbox.raised(a)))
    down = HealthSnapshot(clock.now(), tuple(AccountHealth(n, "smsc", gateway_down=True)
                                             for n in ("a", "b")))  # fmt: skip
    store = Store.open(tmp_path / "cache", clock=clock)
    relay.tick(store, down)
    assert sorted(n.title for n in relay_notices) == ["a: gateway down", "b: gateway down"]
    assert sorted(outbox.open) == [("gateway_down", "a"), ("gateway_down", "b")]
