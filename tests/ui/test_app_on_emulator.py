"""The whole dashboard on the REAL stack: emulator over loopback HTTP, Engine, Store, Pilot keys.

The emulator and the engine share one FakeClock, so "time passes" is a clock move followed by
one poll cycle (`engine.run_once()`), exactly what the poller's loop does between its sleeps.
"""

from __future__ import annotations

import csv
from datetime import UTC

import pytest

from smstui.clock import FakeClock
from smstui.config import parse_config
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator
from smstui.export import read_jsonl
from smstui.model import DeliveryState, ErrorClass
from smstui.policy import failure_class
from smstui.poller import Engine
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendScreen
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed

START = 1_763_715_600.0  # 2025-11-21 12:00 MSK: far from the 03:00 archive job


async def until(pilot, condition, what: str, limit: int = 400) -> None:
    """Let the app work until `condition()` holds (a state, never a sleep)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"never reached: {what}")


def config_for(emu, tmp_path):
    """One SMSC account on the emulator; slow cadences so each cycle does everything due."""
    return parse_config(
        {
            "accounts": [
                {"name": "main", "provider": "smsc", "base_url": emu.base_url,
                 "login": "demo", "password": "demo", "timeout": 5, "low_balance": 10},
            ],
            "cache": {"dir": str(tmp_path)},
        }
    )  # fmt: skip


@pytest.fixture
async def stack(tmp_path):
    """(emulator, engine, store, app) wired as `smstui demo` wires them."""
    clock = FakeClock(START)
    options = EmulatorOptions(seed=1, messages=40, rate=0.0, clock=clock, start=START,
                              history_hours=1.0, push_retry_interval=0.02)  # fmt: skip
    async with run_emulator(options) as emu:
        store = Store.open(tmp_path / "cache", clock=clock)
        engine = Engine(config_for(emu, tmp_path), store, clock=clock)
        app = make_app(store=store, controller=engine, clock=clock, config=engine.config,
                       tz=UTC, settings_dir=tmp_path, driver_size=(120, 36))  # fmt: skip
        try:
            yield emu, engine, store, app
        finally:
            await engine.aclose()
            store.close()


async def cycle_until(pilot, engine, emu, condition, what: str, step_s: float = 60.0) -> None:
    """Advance the shared clock and poll until `condition()` (at most 3 emulated hours)."""
    for _ in range(int(3 * 3600 / step_s)):
        await engine.run_once()
        await pilot.pause()
        if condition():
            return
        emu.clock.advance(step_s)
    raise AssertionError(f"no poll cycle brought: {what}")


@pytest.mark.slow  # ~10 s: a few hundred real HTTP requests and a dozen screens
async def test_keys_end_to_end_on_emulator_engine_and_store(stack, tmp_path):
    emu, engine, store, app = stack
    async with app.run_test() as pilot:
        table = app.screen.query_one(HistoryTable)
        feed = app.screen.query_one(LiveFeed)

        # Rows appear after a poll cycle (history discovery), newest first.
        await cycle_until(pilot, engine, emu, lambda: len(store) > 0, "first rows")
        await until(pilot, lambda: len(table.rows) == len(store), "rows in the history")
        assert [m.key for m in table.rows] == [m.key for m in store.messages_sorted()]

        # A status change: time passes, a cycle polls it, feed and table both show it.
        pending = {m.key: m for m in store.non_final("main")}
        assert pending, "the seeded campaign must have messages in flight"

        def moved() -> bool:
            return any((store.get(k) or v).state is not v.state for k, v in pending.items())

        await cycle_until(pilot, engine, emu, moved, "a status change")
        changed = next(k for k, v in pending.items() if store.get(k).state is not v.state)
        await until(pilot, lambda: any(e.message_id == changed[1] for e in feed.entries), "feed")
        row = next(m for m in table.rows if m.key == changed)
        assert row.state is store.get(changed).state is not pending[changed].state

        # Filter narrows to exactly the matching rows; escape restores everything.
        await pilot.press("slash", *"state:delivered", "enter")
        await until(pilot, lambda: len(table.rows) < len(store), "filtered rows")
        expected = [m.key for m in store.messages_sorted() if m.state is DeliveryState.DELIVERED]
        assert [m.key for m in table.rows] == expected
        await pilot.press("escape")
        await until(pilot, lambda: len(table.rows) == len(store), "filter cleared")

        # Pause holds new changes back and counts them; resume shows them.
        await pilot.press("space")
        assert feed.paused
        shown = len(feed.entries)
        before = {m.key: m.state for m in store.messages_sorted()}
        await cycle_until(
            pilot, engine, emu,
            lambda: any(store.get(k).state is not s for k, s in before.items()),
            "a change while paused",
        )  # fmt: skip
        await until(pilot, lambda: feed.waiting > 0, "changes waiting")
        assert len(feed.entries) == shown
        await pilot.press("space")
        await until(pilot, lambda: len(feed.entries) > shown, "held changes shown")

        # Export the failed-only view through the engine's real exporter.
        await pilot.press("f")
        failed_view = [m.key for m in table.rows]
        assert failed_view, "the seeded campaign must contain failures"
        await pilot.press("e")
        await app.workers.wait_for_complete()
        (exported,) = (tmp_path / "exports").glob("export-*.csv")
        with exported.open(encoding="utf-8", newline="") as fh:
            ids = [(r["account"], r["message_id"], r["phone"]) for r in csv.DictReader(fh)]
        assert ids == failed_view

        # Resend: r opens the confirmation; confirming sends ONE real message to the emulator.
        sends_before = emu.stats()["requests"].get("smsc.send", 0)
        truth_before = len(emu.truth())
        # A failure that is not the number's fault (the emulator refuses dead numbers: err 8).
        target = next(
            m for m in table.rows if m.text and failure_class(m) is not ErrorClass.PERMANENT
        )
        assert table.select_key(target.key)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendScreen), "resend dialog")
        if app.screen.permanent:
            await pilot.click("#override")
        await pilot.click("#confirm")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert emu.stats()["requests"].get("smsc.send", 0) == sends_before + 1
        assert len(emu.truth()) == truth_before + 1
        fresh = [
            m for m in store.messages_sorted() if m.phone == target.phone and m.key != target.key
        ]
        assert fresh and fresh[0].text == target.text  # the copy is in the cache, queued

        # E: the same view as JSONL, read back exactly.
        await pilot.press("E")
        await app.workers.wait_for_complete()
        (jsonl,) = (tmp_path / "exports").glob("export-*.jsonl")
        assert [m.key for m in read_jsonl(jsonl)] == [m.key for m in table.rows]

        # enter, R and ? open their screens; escape closes them without spending anything.
        sends = emu.stats()["requests"].get("smsc.send", 0)
        for key, screen in (("enter", DetailScreen), ("R", BulkResendScreen), ("?", HelpScreen)):
            await pilot.press(key)
            await until(pilot, lambda s=screen: isinstance(app.screen, s), f"{key} screen")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.main_screen, "back on the main view")
        assert emu.stats()["requests"].get("smsc.send", 0) == sends

        # b and l reach the emulator through the engine's budget too.
        await pilot.press("b")
        await app.workers.wait_for_complete()
        assert store.latest_balance("main") is not None
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.phone in app.number_info or table.selected.phone in app.number_info
        health = str(app.screen.query_one("#health").render())
        assert "main" in health and "action failed" not in health
