"""Pilot tests that drive the real app over a store: rows, live changes, filter, pause, export."""

from __future__ import annotations

from smstui.ui.widgets.history import HistoryTable


async def test_rows_appear_newest_first(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert len(table.rows) == 200
        assert table.rows[0].message_id == store.messages_sorted()[0].message_id
        assert table.selected == table.rows[0]
