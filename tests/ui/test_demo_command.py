"""`smstui demo` end to end: emulator, receiver, poller and dashboard in one process."""

from __future__ import annotations

import asyncio

import pytest

from smstui.cli import build_parser
from smstui.commands.demo import build_demo

pytestmark = pytest.mark.slow


async def test_demo_fills_the_dashboard_from_the_emulator(tmp_path):
    args = build_parser().parse_args(
        ["demo", "--messages", "120", "--rate", "600", "--speed", "5", "--cache-dir", str(tmp_path)]
    )
    app, store, _ = build_demo(args)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            for _ in range(300):  # the first poll cycle discovers the emulator's history
                if len(store) >= 100 and store.latest_balance("demo-smsc") is not None:
                    break
                await asyncio.sleep(0.05)
            assert len(store) >= 100
            await pilot.pause()
            assert len(app.main_screen.history.rows) >= 100
            health = app.controller.health()
            assert health.writer and health.webhook_url
            assert not any(a.gateway_down for a in health.accounts)
            await pilot.press("q")
    finally:
        store.close()
    assert (tmp_path / "manifest.json").exists()  # the engine checkpointed on the way out
