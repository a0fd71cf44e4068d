"""A dashboard that writes the cache sends alerts out ([alerts] notify); a following one never
does, and a notify URL apprise cannot use is a config error before the screen opens."""

from __future__ import annotations

import asyncio
import socket
import time
from decimal import Decimal

import pytest

from json_hook import json_hook
from smstui.commands.dashboard import build_dashboard
from smstui.config import parse_config
from smstui.errors import ConfigError
from smstui.model import Balance, DeliveryState, Message, Provider
from smstui.runtime import cache_path
from smstui.store import Store


def closed_port() -> int:
    """A loopback port nothing listens on: the gateway is down from the first request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_for(tmp_path, notify: str):
    return parse_config({
        "accounts": [{"name": "main", "provider": "smsc", "login": "demo", "password": "demo",
                      "base_url": f"http://127.0.0.1:{closed_port()}", "low_balance": 100}],
        "cache": {"dir": str(tmp_path)},
        "alerts": {"notify": [notify], "min_interval_s": 0},
    })  # fmt: skip


async def test_the_writing_dashboard_sends_gateway_down_once(tmp_path):
    async with json_hook() as (url, bodies):
        await writer_sends_once(tmp_path, url, bodies)


async def writer_sends_once(tmp_path, url: str, bodies: list[dict[str, str]]) -> None:
    config = config_for(tmp_path, url)
    store = Store.open(cache_path(config))
    app = build_dashboard(config, store)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(300):  # the engine's first request fails; the alert goes out
                await asyncio.sleep(0.05)
                if bodies:
                    break
            await asyncio.sleep(1.5)  # more ticks: still one notice for one condition
            await pilot.pause()
        titles = [b["title"] for b in bodies]
        assert len(titles) == 1 and "gateway down" in titles[0], titles
    finally:
        store.close()


async def test_a_following_dashboard_sends_nothing(tmp_path):
    async with json_hook() as (url, bodies):
        await follower_sends_nothing(tmp_path, url, bodies)


async def follower_sends_nothing(tmp_path, url: str, bodies: list[dict[str, str]]) -> None:
    config = config_for(tmp_path, url)
    writer = Store.open(cache_path(config))  # stands in for `smstui poll`: it sends, not us
    writer.apply([Message("main", Provider.SMSC, "1", "79990000001", DeliveryState.SENT,
                          sent_at=1e9)])  # fmt: skip
    writer.record_balance(Balance("main", Decimal("45.00"), "RUB", at=time.time()))
    writer.checkpoint()
    reader = Store.open(cache_path(config), readonly="auto")
    app = build_dashboard(config, reader)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(100):  # the follower sees the low balance: a toast on its screen …
                await asyncio.sleep(0.05)
                if any("low balance" in n.title for n in app._notifications):
                    break
            assert any("low balance" in n.title for n in app._notifications)
            await asyncio.sleep(1.5)
            await pilot.pause()
        assert bodies == []  # … and nothing out: only the cache's writer sends
    finally:
        reader.close()
        writer.close()


def test_an_unusable_notify_url_is_a_config_error_before_the_screen(tmp_path):
    config = config_for(tmp_path, "nosuchscheme://x")
    store = Store.open(cache_path(config))
    try:
        with pytest.raises(ConfigError, match=r"alerts\.notify\[0\]"):
            build_dashboard(config, store)
    finally:
        store.close()


async def test_a_dead_notifier_shows_on_the_health_line_masked(tmp_path):
    config = config_for(tmp_path, f"json://ops:hunter2pw@127.0.0.1:{closed_port()}/hook")
    store = Store.open(cache_path(config))
    app = build_dashboard(config, store)
    try:
        async with app.run_test(size=(160, 36)) as pilot:
            line = app.main_screen.query_one("#health")
            for _ in range(300):  # gateway down → a notice → the refused port
                await asyncio.sleep(0.05)
                app.main_screen.tick()
                await pilot.pause()
                if "alerts out failing" in str(line.render()):
                    break
            text = str(line.render())
            assert "alerts out failing" in text and "hunter2pw" not in text
    finally:
        store.close()
