"""The dashboard's filter, export and palette on a cache larger than the memory window: each
answers exactly what reading every partition file says (the truth), and keys stay responsive
while the days on disk are searched."""

from __future__ import annotations

import asyncio
import csv
import time
from datetime import UTC
from pathlib import Path
from statistics import median

from textual import events
from textual.command import CommandList, CommandPalette

import whole_cache
from conftest import FakeController, ui_config
from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.store import Store
from smstui.store.partitions import PARTITIONS_DIR, day_of
from smstui.stuck import is_stuck
from smstui.ui.app import SmstuiApp, make_app
from smstui.ui.screens.main import MainScreen

NOW = whole_cache.NOW
DAY = whole_cache.DAY


def open_app(tmp_path: Path, root: Path, clock: FakeClock, memory: int) -> tuple[SmstuiApp, Store]:
    """The dashboard over `root`, only the newest `memory` messages (and open days) loaded."""
    store = Store.open(root, clock=clock, memory_messages=memory)
    app = make_app(
        store=store, controller=FakeController(store, clock), clock=clock,
        config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    return app, store


async def searched(pilot, limit_s: float = 30.0) -> MainScreen:
    """The main screen once its search holds every match of the whole history."""
    screen = pilot.app.main_screen
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        await pilot.pause(0.02)
        if screen.search.complete:
            return screen
    raise AssertionError(f"the search never completed: {screen.search.status()}")


async def apply_filter(pilot, text: str) -> MainScreen:
    await pilot.press("slash", *text, "enter")
    return await searched(pilot)


def keys(rows) -> list[tuple[str, str, str]]:
    return [m.key for m in rows]


async def test_filters_answer_the_whole_history_exactly(tmp_path):
    cache = whole_cache.build(tmp_path / "cache")
    app, store = open_app(tmp_path, cache.root, cache.clock, cache.memory)
    try:
        assert store.unloaded_partitions(), "the test needs days that are only on disk"
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = await apply_filter(pilot, "state:failed")
            want = cache.where(state=DeliveryState.FAILED)
            on_disk = [m for m in want if store.get(m.key) is None]
            assert on_disk and len(want) > len(on_disk)  # both halves are needed
            assert keys(screen.history.rows) == keys(want)
            title = str(screen.history.border_title)
            assert f"{len(want)} rows · whole history · filter: state:failed" in title

            screen = await apply_filter(pilot, "phone:+7 999 000-00-01")
            assert keys(screen.history.rows) == keys(cache.where(phone=cache.old_phone))
            assert len(screen.history.rows) == 1

            screen = await apply_filter(pilot, "state:stuck")
            usual, now = screen.campaign.stuck_rule.usual, cache.clock.now()
            stuck = [m for m in cache.truth if is_stuck(m, usual, now)]
            assert stuck and keys(screen.history.rows) == keys(stuck)

            # `f` on top of a filter: failures among the phone's messages, whole history too.
            await pilot.press("escape")
            await pilot.press("f")
            screen = await searched(pilot)
            failures = [m for m in cache.truth if m.state.is_failure]
            assert keys(screen.history.rows) == keys(failures)
    finally:
        store.close()


async def test_export_writes_the_whole_history_of_the_filter(tmp_path):
    cache = whole_cache.build(tmp_path / "cache")
    app, store = open_app(tmp_path, cache.root, cache.clock, cache.memory)
    exports = tmp_path / "exports"
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            await apply_filter(pilot, "state:failed")
            await pilot.press("e")
            (path,) = await exported(pilot, exports, 1)
            want = cache.where(state=DeliveryState.FAILED)
            assert [(r["account"], r["message_id"]) for r in read_csv(path)] == [
                (m.account, m.message_id) for m in want
            ]
            assert any(f"Exported {len(want)} rows" in t for t in toasts(app))
            # No filter: the view is the whole cache, not the loaded part of it.
            await pilot.press("slash", "ctrl+u", "enter")
            await pilot.pause()
            clock = cache.clock
            clock.advance(1)  # a new file name (the stamp has seconds)
            await pilot.press("e")
            paths = await exported(pilot, exports, 2)
            assert len(store) < len(cache.truth)
            assert len(read_csv(paths[-1])) == len(cache.truth)
    finally:
        store.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def exported(pilot, folder: Path, count: int) -> list[Path]:
    """The export files once `count` exist and the last one's toast is shown."""
    for _ in range(500):
        await pilot.pause(0.02)
        files = sorted(folder.glob("export-*.csv"))
        if len(files) >= count and sum("Exported" in t for t in toasts(pilot.app)) >= count:
            return files
    raise AssertionError("the export never finished")


def settled_cache(root: Path, *, days: int, per_day: int, failure_day: int) -> list[Message]:
    """`days` days of delivered messages (all final: no day stays loaded for open ones) and one
    failure on `failure_day` days ago; returns every message written."""
    messages = []
    for d in range(days):
        for i in range(per_day):
            sent = NOW - d * DAY - i * 30
            failed = d == failure_day and i == per_day // 2
            messages.append(
                Message(
                    "smsc-main", Provider.SMSC, f"{d:03d}{i:05d}", f"7916{d:03d}{i:04d}",
                    DeliveryState.FAILED if failed else DeliveryState.DELIVERED,
                    text="x", sent_at=sent, updated_at=sent + 20, operator="MTS",
                    raw_status="20" if failed else "1", error_code=1 if failed else None,
                )
            )  # fmt: skip
    with Store.open(root, clock=FakeClock(NOW)) as writer:
        writer.apply(messages)
    return whole_cache.read_every_partition(root)


async def run_palette(pilot, text: str, hit: str) -> None:
    """Type `text` in the palette and run the hit whose prompt starts with `hit`."""
    app = pilot.app
    await pilot.press("ctrl+p")
    for _ in range(100):
        await pilot.pause(0.02)
        if isinstance(app.screen, CommandPalette):
            break
    await pilot.press(*text)
    index = None
    for _ in range(500):
        await pilot.pause(0.02)
        options = app.screen.query_one(CommandList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        index = next((i for i, p in enumerate(prompts) if p.startswith(hit)), None)
        if index is not None:
            break
    assert index is not None, f"no palette hit {hit!r}"
    await pilot.press(*["down"] * index, "enter")


async def selected_becomes(pilot, key: tuple[str, str, str]) -> tuple[str, str, str] | None:
    """The selected message's key once it is `key` (or whatever it is after 6 s)."""
    screen = pilot.app.main_screen
    for _ in range(300):
        await pilot.pause(0.02)
        selected = screen.history.selected
        if selected is not None and selected.key == key:
            break
    selected = screen.history.selected
    return None if selected is None else selected.key


async def test_palette_newest_failure_is_found_on_disk(tmp_path):
    truth = settled_cache(tmp_path / "cache", days=5, per_day=300, failure_day=3)
    clock = FakeClock(NOW)
    app, store = open_app(tmp_path, tmp_path / "cache", clock, 600)
    (newest_failure,) = [m for m in truth if m.state.is_failure]
    try:
        assert store.get(newest_failure.key) is None  # only in an unloaded day
        async with app.run_test() as pilot:
            await pilot.pause()
            await run_palette(pilot, "newest failure", "Go to the newest failure")
            assert await selected_becomes(pilot, newest_failure.key) == newest_failure.key
            screen = app.main_screen
            assert screen.filter_text == "state:failure"
    finally:
        store.close()


async def test_palette_number_search_goes_to_a_message_only_on_disk(tmp_path):
    truth = settled_cache(tmp_path / "cache", days=5, per_day=300, failure_day=3)
    clock = FakeClock(NOW)
    app, store = open_app(tmp_path, tmp_path / "cache", clock, 600)
    oldest = truth[-1]
    try:
        assert store.get(oldest.key) is None
        async with app.run_test() as pilot:
            await pilot.pause()
            await run_palette(pilot, oldest.phone, f"Go to {oldest.phone}")
            assert await selected_becomes(pilot, oldest.key) == oldest.key
            assert app.main_screen.filter_text == f"phone:{oldest.phone}"
    finally:
        store.close()


async def test_keys_stay_responsive_while_the_days_on_disk_are_searched(tmp_path):
    """Probes during a search that reads every day (30 days, 45,000 matches): each key is
    handled within 0.1 s, and the event loop never stalls longer than that."""
    settled_cache(tmp_path / "cache", days=30, per_day=1500, failure_day=29)
    clock = FakeClock(NOW)
    app, store = open_app(tmp_path, tmp_path / "cache", clock, 1500)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = app.main_screen
            t0 = time.perf_counter()
            await pilot.press("slash", *"op:mts", "enter")
            await pilot.pause()
            assert screen.search.searching
            waits: list[float] = []
            lags: list[float] = []

            async def sample() -> None:
                while True:
                    t = time.perf_counter()
                    await asyncio.sleep(0.005)
                    lags.append(time.perf_counter() - t - 0.005)

            sampler = asyncio.create_task(sample())
            while screen.search.searching and len(waits) < 1000:
                table = screen.history
                before = table.cursor
                start = time.perf_counter()
                app.post_message(_key("j" if before == 0 else "k"))
                while table.cursor == before:
                    await asyncio.sleep(0.002)
                    if time.perf_counter() - start > 2:
                        break
                waits.append(time.perf_counter() - start)
                await asyncio.sleep(0.02)
            sampler.cancel()
            screen = await searched(pilot, 120)
            assert len(screen.history.rows) == 30 * 1500  # the search did read every day
            assert len(waits) >= 5, "the search ended before the probes could run"
            figures = {
                "key_median_s": median(waits),
                "key_max_s": max(waits),
                "loop_lag_max_s": max(lags),
                "search_s": time.perf_counter() - t0,
            }
            assert max(waits) <= 0.1, figures
            assert max(lags) <= 0.1, figures  # no stall a key could have fallen into either
    finally:
        store.close()


def _key(name: str) -> events.Key:
    return events.Key(name, name)


async def test_a_damaged_day_makes_the_answer_say_it_is_partial_and_which_day(tmp_path):
    truth = settled_cache(tmp_path / "cache", days=5, per_day=300, failure_day=3)
    oldest_day = day_of(truth[-1].sent_at)
    (damaged,) = (tmp_path / "cache" / PARTITIONS_DIR / "smsc-main").glob(f"{oldest_day}-*.json")
    damaged.write_text("{not json", encoding="utf-8")
    app, store = open_app(tmp_path, tmp_path / "cache", FakeClock(NOW), 600)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = await apply_filter(pilot, "state:delivered")
            want = [m for m in truth if m.state is DeliveryState.DELIVERED]
            readable = [m for m in want if day_of(m.sent_at) != oldest_day]
            assert keys(screen.history.rows) == keys(readable) != keys(want)
            title = str(screen.history.border_title)
            assert f"partial · missing smsc-main {oldest_day}" in title, title
            assert "whole history" not in title
            await pilot.press("e")
            (path,) = await exported(pilot, tmp_path / "exports", 1)
            assert len(read_csv(path)) == len(readable)
            toast = next(t for t in toasts(app) if "Exported" in t)
            assert "partial" in toast and oldest_day in toast, toast
    finally:
        store.close()


async def test_live_changes_and_follow_mode_work_during_a_search(tmp_path):
    truth = settled_cache(tmp_path / "cache", days=12, per_day=1500, failure_day=11)
    clock = FakeClock(NOW)
    app, store = open_app(tmp_path, tmp_path / "cache", clock, 1500)
    old = truth[-1]  # only on disk; the search finds it near its end
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = app.main_screen
            assert screen.set_filter("op:mts") is None  # as the filter box does on enter
            assert screen.search.searching and screen.history.following
            newest = old.evolve(message_id="99999999", phone="79169999999", sent_at=NOW + 60,
                                state=DeliveryState.SENT)  # fmt: skip
            store.apply([newest])  # a live send mid-search: on top, and followed
            # The poller learns the oldest message's operator changed before the search read
            # its day: the live copy wins over the one the search reads from disk.
            store.apply([old.evolve(operator="Beeline", updated_at=NOW)])
            assert screen.search.searching
            await pilot.pause()
            assert screen.history.rows[0].key == newest.key
            assert screen.history.selected is not None
            assert screen.history.selected.key == newest.key
            screen = await searched(pilot)
            shown = keys(screen.history.rows)
            want = [newest.key] + [m.key for m in truth if m.key != old.key]
            assert shown == want
            assert screen.history.selected.key == newest.key  # still following the newest
    finally:
        store.close()
