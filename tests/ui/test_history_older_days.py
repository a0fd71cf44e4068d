"""The history over a cache larger than memory: older days load as the operator scrolls."""

from __future__ import annotations

from conftest import larger_than_memory
from smstui.ui.widgets.history import HistoryTable

DAYS, PER_DAY = 4, 150


async def test_scrolling_to_the_end_loads_older_days(tmp_path):
    app, store = larger_than_memory(tmp_path, DAYS, PER_DAY)
    assert len(store) == PER_DAY and store.total() == DAYS * PER_DAY  # only the newest day
    try:
        async with app.run_test() as pilot:
            table = app.screen.query_one(HistoryTable)
            assert f"{PER_DAY} of {DAYS * PER_DAY} loaded" in str(table.border_title)
            for _ in range(DAYS * 2):
                await pilot.press("G")
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert len(table.rows) == DAYS * PER_DAY
            assert "loaded" not in str(table.border_title)
            sent = [m.sent_at for m in table.rows]
            assert sent == sorted(sent, reverse=True)  # older days joined in history order
            assert table.selected is not None and table.selected.message_id.startswith("3")
    finally:
        store.close()
