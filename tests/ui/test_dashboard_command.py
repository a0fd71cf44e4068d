"""Bare `smstui`: no config → guidance; a cache held by `smstui poll` → a following dashboard."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from smstui.cli import main
from smstui.commands.dashboard import build_dashboard
from smstui.config import parse_config
from smstui.errors import GatewayError, SmstuiError
from smstui.model import DeliveryState, Message, Provider
from smstui.runtime import cache_path
from smstui.store import Store


def test_without_a_config_it_says_how_to_start(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SMSTUI_CONFIG", str(tmp_path / "absent.toml"))
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "[[accounts]]" in err and "smstui demo" in err and "Traceback" not in err


async def test_following_dashboard_follows_the_writer_and_acts_through_the_shared_budget(
    tmp_path,
):
    config = parse_config(
        {
            "accounts": [{"name": "main", "provider": "smsc", "base_url": "http://127.0.0.1:9",
                          "login": "demo", "password": "demo"}],
            "cache": {"dir": str(tmp_path)},
        }
    )  # fmt: skip
    writer = Store.open(cache_path(config))  # stands in for a running `smstui poll`
    first = Message("main", Provider.SMSC, "1", "79990000001", DeliveryState.SENT, sent_at=1e9)
    writer.apply([first])
    writer.checkpoint()
    reader = Store.open(cache_path(config), readonly="auto")
    assert reader.readonly
    app = build_dashboard(config, reader)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            health = app.controller.health()
            assert not health.writer and health.writer_pid == str(os.getpid())
            with pytest.raises(SmstuiError, match="no known text"):  # asked, not refused
                await app.controller.resend(first.key)
            with pytest.raises(GatewayError):  # a real request, through the shared budget
                await app.controller.refresh_balance("main")
            assert (tmp_path / "budget" / "main.json").exists()
            second = first.evolve(message_id="2", sent_at=2e9)
            writer.apply([second])
            writer.checkpoint()
            for _ in range(240):  # the follower service picks up the writer's flush (every 5 s)
                if reader.get(second.key) is not None:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            assert [m.message_id for m in app.main_screen.history.rows] == ["2", "1"]
    finally:
        reader.close()
        writer.close()


def test_bare_smstui_takes_dashboard_options(tmp_path, capsys):
    bad = tmp_path / "config.toml"
    bad.write_text('[[accounts]]\nname = "a"\nprovider = "nope"\n', encoding="utf-8")
    assert main(["--config", str(bad)]) == 2
    assert "unknown provider 'nope'" in capsys.readouterr().err


async def test_a_taken_webhook_port_leaves_the_dashboard_polling_and_says_so(tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    config = parse_config(
        {
            "accounts": [{"name": "main", "provider": "smsc", "base_url": "http://127.0.0.1:9",
                          "login": "demo", "password": "demo"}],
            "cache": {"dir": str(tmp_path)},
            "webhook": {"listen": f"127.0.0.1:{port}"},
        }
    )  # fmt: skip
    store = Store.open(cache_path(config))
    app = build_dashboard(config, store)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(200):
                health = app.controller.health()
                if health.webhook_problem and health.accounts[0].last_poll_at is not None:
                    break
                await asyncio.sleep(0.05)
            assert "address already in use" in health.webhook_problem
            assert health.accounts[0].last_poll_at is not None  # the poller runs regardless
            await pilot.pause()
            line = str(app.main_screen.query_one("#health").render())
            assert "webhook down" in line
    finally:
        store.close()
        taken.close()


async def test_a_follower_whose_writer_is_gone_says_nothing_polls(tmp_path):
    config = parse_config(
        {
            "accounts": [{"name": "main", "provider": "smsc", "base_url": "http://127.0.0.1:9",
                          "login": "demo", "password": "demo"}],
            "cache": {"dir": str(tmp_path)},
        }
    )  # fmt: skip
    writer = Store.open(cache_path(config))
    writer.apply([Message("main", Provider.SMSC, "1", "79990000001", DeliveryState.SENT,
                          sent_at=1e9)])  # fmt: skip
    writer.checkpoint()
    reader = Store.open(cache_path(config), readonly="auto")
    app = build_dashboard(config, reader)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert "following pid" in str(app.main_screen.query_one("#health").render())
            dead = subprocess.run(
                [sys.executable, "-c", "import os; print(os.getpid())"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            (cache_path(config) / "writer.lock").write_text(dead, "ascii")  # fmt: skip
            app.main_screen.tick()
            await pilot.pause()
            line = str(app.main_screen.query_one("#health").render())
            assert "read-only: nothing polls this cache" in line and "following" not in line
    finally:
        reader.close()
        writer.close()
