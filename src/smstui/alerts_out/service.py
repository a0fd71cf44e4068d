"""Alerts out from a running engine: the dashboard's monitor logic, fed by store and health."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Protocol

from smstui.alerts import Alert, AlertMonitor
from smstui.alerts_out.conditions import Clearing, ClearingMonitor
from smstui.alerts_out.delivery import Delivery, Notifier
from smstui.alerts_out.outbox import Outbox
from smstui.config import Config
from smstui.controller import HealthSnapshot
from smstui.model import AppliedChange
from smstui.poller import Engine
from smstui.store_view import StoreView

log = logging.getLogger("smstui.alerts")
TICK_S = 1.0  # health and balance are judged as often as the dashboard judges them


class Relay(Protocol):
    """What feeds the monitor (smstui.alert_relay.AlertRelay: the dashboard's own feeding)."""

    def changes(self, batch: Iterable[AppliedChange], now: float) -> None:
        """A store batch: count its final outcomes."""

    def tick(self, store: StoreView, health: HealthSnapshot) -> None:
        """The health snapshot and new balance samples."""


RelayFactory = Callable[[AlertMonitor, Callable[[Alert], None], Mapping[str, float]], Relay]


def check_notifiers(config: Config) -> None:
    """Raise ConfigError (naming alerts.notify[i]) for a URL apprise cannot use: a dashboard
    checks before it starts, as `smstui poll` does when `send_alerts` begins."""
    for i, url in enumerate(config.alerts.notify):
        Notifier(url, i, str(config.path) if config.path else None)


@asynccontextmanager
async def send_alerts(
    engine: Engine, config: Config, relay: RelayFactory, *, source: str = ""
) -> AsyncIterator[Delivery | None]:
    """While inside: every alert the monitor raises about this engine goes out once, and its
    resolved message when it ends. None (and nothing runs) without [alerts] notify URLs.

    Raises ConfigError at once when apprise cannot use a URL (before any polling).
    """
    settings = config.alerts
    if not settings.notify:
        yield None
        return
    delivery = Delivery.from_urls(
        settings.notify,
        timeout_s=settings.timeout_s,
        secrets=config.secrets(),
        source=source or f"smstui on {socket.gethostname()}",
        path=str(config.path) if config.path else None,
    )
    clock, store = engine.clock, engine.store
    low = {a.name: a.low_balance for a in config.accounts if a.low_balance is not None}
    monitor = ClearingMonitor(clock)
    outbox = Outbox(clock, settings.min_interval_s)
    clearing = Clearing(monitor, {name: Decimal(str(v)) for name, v in low.items()})
    feed = relay(monitor, lambda alert: delivery.submit(outbox.raised(alert)), low)
    loop = asyncio.get_running_loop()

    def changes(batch: Sequence[AppliedChange]) -> None:
        feed.changes([c for c in batch if c.kind != "removed"], clock.now())

    def on_batch(batch: Sequence[AppliedChange]) -> None:
        # The store may call from its follower thread: the monitor and queues live on the loop.
        loop.call_soon_threadsafe(changes, list(batch))

    def tick() -> None:
        health = engine.health()
        clearing.observe(health)
        feed.tick(store, health)
        delivery.submit(outbox.tick(lambda kind, acc: clearing.over(kind, acc, store, health)))

    async def ticking() -> None:
        while True:
            try:
                tick()
            except Exception:  # alerting must never take the poller down with it
                log.exception("alerts: tick failed")
            await asyncio.sleep(TICK_S)

    delivery.start()
    engine.notify_problem = lambda: delivery.problem  # the health line shows failing notifiers
    store.add_listener(on_batch)
    ticker = asyncio.create_task(ticking(), name="alerts out")
    try:
        yield delivery
    finally:
        store.remove_listener(on_batch)
        engine.notify_problem = lambda: ""
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
        await delivery.aclose()
