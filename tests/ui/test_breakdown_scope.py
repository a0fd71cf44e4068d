"""The strip says when older days of the cache are not loaded yet; the breakdown covers them."""

from __future__ import annotations

from conftest import larger_than_memory
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.widgets.campaign_strip import CampaignStrip

DAYS, PER_DAY = 3, 100


async def test_strip_names_the_loaded_share_and_the_breakdown_covers_all(tmp_path):
    app, store = larger_than_memory(tmp_path, DAYS, PER_DAY)
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
            assert app.screen.sub_title.startswith(f"whole cache · {DAYS * PER_DAY} messages")
            assert app.screen.result.totals.total == DAYS * PER_DAY
    finally:
        store.close()
