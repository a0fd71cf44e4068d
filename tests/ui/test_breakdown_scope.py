"""The strip and the breakdown say when older days of the cache are not loaded yet."""

from __future__ import annotations

from datetime import UTC

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.sample_data import START, SampleController, sample_config
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.widgets.campaign_strip import CampaignStrip

DAYS, PER_DAY = 3, 100


def settled_days() -> list[Message]:
    return [
        Message("smsc-main", Provider.SMSC, f"{d}{i:04d}", f"7916{d}{i:06d}",
                DeliveryState.DELIVERED, text="old", sent_at=START - d * 86400 - i * 60,
                updated_at=START - d * 86400 - i * 60 + 5, operator="МТС")
        for d in range(DAYS) for i in range(PER_DAY)
    ]  # fmt: skip


async def test_scope_names_the_loaded_share_of_the_cache(tmp_path):
    clock = FakeClock(START)
    with Store.open(tmp_path / "cache", clock=clock) as writer:
        writer.apply(settled_days())
    store = Store.open(tmp_path / "cache", clock=clock, memory_messages=PER_DAY)
    app = make_app(
        store=store, controller=SampleController(store, clock), clock=clock,
        config=sample_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            strip = app.screen.query_one(CampaignStrip)
            assert strip.border_title == f"Campaign · {PER_DAY} of {DAYS * PER_DAY} loaded"
            await pilot.press("s")
            for _ in range(300):
                if isinstance(app.screen, BreakdownScreen) and app.screen.result is not None:
                    break
                await pilot.pause()
            assert app.screen.sub_title.startswith(f"{PER_DAY} of {DAYS * PER_DAY} loaded")
            assert app.screen.result.totals.total == PER_DAY
    finally:
        store.close()
