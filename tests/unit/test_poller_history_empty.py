"""The poller against an SMSC whose history answers error 3 ("messages not found").

The real gateway has no empty history page: no messages, a phone without a match and a page past
the oldest message are all error 3. The poller must take that as an empty page: the gap it was
paging closes, the newest page keeps being asked on the normal cadence, nothing is logged as an
error and the hourly history budget is not burnt by retries.
"""

from __future__ import annotations

import logging

import httpx

from smstui.clock import FakeClock
from smstui.config import parse_config
from smstui.gateways.base import make_gateway
from smstui.model import Source
from smstui.poller import Engine
from smstui.poller.discovery import HistoryDiscovery
from smstui.store import Store

NOW = 1_763_722_800.0  # 2025-11-21 14:00 MSK
NOTHING = {"error": "messages not found", "error_code": 3}


class FakeSmsc:
    """History per a script of pages; error 3 when nothing is left; balance always fine."""

    def __init__(self, newest: list[dict] | None = None) -> None:
        self.newest = newest or []
        self.history: list[str | None] = []  # prev_id of every history request (None = newest)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.url.path.endswith("/balance.php"):
            return httpx.Response(200, json={"balance": "100.00", "currency": "RUR"})
        assert "get_messages" in params, request.url
        self.history.append(params.get("prev_id"))
        if "prev_id" in params or not self.newest:
            return httpx.Response(200, json=NOTHING)
        return httpx.Response(200, json=self.newest[: int(params["cnt"])])


def rows(n: int) -> list[dict]:
    """n history records, newest first, all within the retention window."""
    return [
        {"int_id": 90_000 - i, "id": 5000 - i, "phone": f"7916{i:07d}", "status": 1, "err": 0,
         "send_timestamp": int(NOW) - 60 - i, "last_timestamp": int(NOW) - 30 - i}
        for i in range(n)
    ]  # fmt: skip


def setup(tmp_path, fake: FakeSmsc, **poll):
    clock = FakeClock(NOW)
    config = parse_config(
        {
            "accounts": [{"name": "main", "provider": "smsc", "base_url": "https://smsc.test",
                          "login": "demo", "password": "demo", "timeout": 5}],
            "cache": {"dir": str(tmp_path)},
            "poll": poll,
        }
    )  # fmt: skip
    store = Store.open(tmp_path / "cache.json", clock=clock)
    gateway = make_gateway(
        config.accounts[0], clock=clock, transport=httpx.MockTransport(fake), retries=0
    )
    engine = Engine(config, store, clock=clock, gateways={"main": gateway})
    return clock, store, engine


async def run_for(engine: Engine, clock: FakeClock, seconds: float) -> None:
    """Poll cycles back to back, the clock jumping to each next wake-up, for `seconds`."""
    end = clock.now() + seconds
    while clock.now() < end:
        await engine.run_once()
        clock.set(max(engine.pollers["main"].next_poll_at or 0.0, clock.now() + 1))


async def test_account_without_messages_polls_quietly_on_its_cadence(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    fake = FakeSmsc()
    clock, store, engine = setup(tmp_path, fake, history_interval_s=300, balance_interval_s=600)
    await run_for(engine, clock, 3600)
    poller = engine.pollers["main"]
    # One newest page every 300 s for an hour: 12 requests, inside the 27-an-hour margin.
    assert fake.history == [None] * 12
    assert poller.errors == 0 and not poller.guard.state.last_error
    assert poller.budget.next_allowed_at("history") <= clock.now()  # budget never ran dry
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    store.close()


async def test_empty_page_past_the_oldest_closes_the_gap_then_newest_pages_resume(tmp_path):
    fake = FakeSmsc(newest=rows(1000))
    clock, store, engine = setup(tmp_path, fake, history_interval_s=300, balance_interval_s=600)
    await run_for(engine, clock, 1200)
    poller = engine.pollers["main"]
    oldest = str(90_000 - 999)
    # Newest page: 1000 unknown messages → a gap below the oldest; paging it → error 3 → closed;
    # then the newest page again, every 300 s.
    assert fake.history[:3] == [None, oldest, None]
    assert fake.history[2:] == [None] * (len(fake.history) - 2)
    assert 4 <= len(fake.history) <= 6
    assert poller.discovery is not None and poller.discovery.gaps == []
    assert poller.errors == 0
    assert all(store.find("main", str(5000 - i)) for i in (0, 500, 999))
    store.close()


async def test_discovery_turn_on_an_empty_gap_page_removes_the_gap(tmp_path):
    fake = FakeSmsc(newest=rows(1000))
    _clock, store, engine = setup(tmp_path, fake)
    gateway = engine.pollers["main"].gateway
    discovery = HistoryDiscovery(gateway, store, "main", since=NOW - 30 * 86400)
    messages, _ = await discovery.turn(None)
    store.apply(messages, source=Source.HISTORY)
    gap = discovery.next_before(newest_due=False)
    assert gap == str(90_000 - 999)
    messages, result = await discovery.turn(gap)
    assert messages == [] and result.new == 0
    assert discovery.gaps == [] and discovery.next_before(newest_due=False) is None
    store.close()
