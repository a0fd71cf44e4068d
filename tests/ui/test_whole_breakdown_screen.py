"""`s` on a cache larger than the memory window: the breakdown covers every message, named."""

from __future__ import annotations

from datetime import UTC

from conftest import FakeController, ui_config
from smstui.breakdown import compute_breakdown
from smstui.store import Store
from smstui.store.partitions import PARTITIONS_DIR
from smstui.ui.app import make_app
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.screens.main import MainScreen
from whole_cache import build


async def _breakdown(pilot) -> BreakdownScreen:
    app = pilot.app
    await pilot.press("s")
    for _ in range(500):
        if isinstance(app.screen, BreakdownScreen) and app.screen.result is not None:
            return app.screen
        await pilot.pause()
    raise AssertionError("the breakdown was never computed")


def _figures(g) -> tuple:
    return (g.total, g.delivered, g.failed, g.pending, g.spent, g.spent_on_failures)


async def test_the_breakdown_is_of_every_message_not_the_loaded_ones(tmp_path):
    cache = build(tmp_path / "cache")
    store = Store.open(cache.root, clock=cache.clock, memory_messages=200)
    app = make_app(
        store=store, controller=FakeController(store, cache.clock), clock=cache.clock,
        config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    try:
        assert len(store) < len(cache.truth) == 6000
        want = compute_breakdown(cache.truth, tz=UTC)
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = await _breakdown(pilot)
            assert screen.sub_title.startswith("whole cache · 6 000 messages · as of ")
            assert _figures(screen.result.totals) == _figures(want.totals)
            assert screen.result.unknown_cost == want.unknown_cost > 0
            totals = str(screen.query_one("#bd-totals").render())
            assert "6 000 messages" in totals and "without a known price" in totals
            rows = {str(r[0]): r for r in map(screen.query_one("#bd-table").get_row_at, range(3))}
            assert {n: str(r[1]) for n, r in rows.items()} == {
                g.name: f"{g.total:,}".replace(",", " ") for g in want.groups["operator"]
            }
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            # A filter's breakdown is of its whole history too, and says so.
            await pilot.press("slash", *"state:failed", "enter")
            await pilot.pause()
            failed = [m for m in cache.truth if m.state.is_failure]
            screen = await _breakdown(pilot)
            assert screen.sub_title.startswith(f"filter: state:failed · {len(failed)} messages")
            assert _figures(screen.result.totals) == _figures(compute_breakdown(failed).totals)
            assert screen.partial == ""
    finally:
        store.close()


async def test_a_damaged_partition_is_said_on_screen(tmp_path):
    cache = build(tmp_path / "cache", days=4, per_day=100)
    victim = sorted((cache.root / PARTITIONS_DIR).glob("*/*.json"))[0]
    victim.write_bytes(b"{not json")
    # Its summary too: else the day's rollup still answers for it (and the answer is whole).
    keys = cache.root / "summaries" / victim.parent.name / f"{victim.stem}.keys.json"
    keys.write_bytes(b"{not json")
    day = victim.stem.rsplit("-", 1)[0]
    store = Store.open(cache.root, clock=cache.clock, memory_messages=50)
    app = make_app(
        store=store, controller=FakeController(store, cache.clock), clock=cache.clock,
        config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            screen = await _breakdown(pilot)
            assert screen.partial and day in screen.partial
            assert f"PARTIAL: {screen.partial}" in screen.sub_title
            totals = str(screen.query_one("#bd-totals").render())
            assert f"Partial: {screen.partial}" in totals
            await pilot.pause()
            assert screen.query_one("#bd-totals").size.height == 4  # the note has its line
            assert 0 < screen.result.totals.total < len(cache.truth)
    finally:
        store.close()
