"""Pilot tests that drive the real app over a store: rows, live changes, filter, pause, export."""

from __future__ import annotations

import csv

from smstui.errors import TransportError
from smstui.export import read_jsonl
from smstui.model import DeliveryState, Source, StatusChange
from smstui.ui.messages import GoTo
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed


async def test_rows_appear_newest_first(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert len(table.rows) == 200
        assert table.rows[0].message_id == store.messages_sorted()[0].message_id
        assert table.selected == table.rows[0]


def _change(message, state, at, **kw) -> StatusChange:
    return StatusChange(
        message.account,
        message.message_id,
        state,
        "x",
        at,
        source=Source.POLL,
        phone=message.phone,
        **kw,
    )


async def test_status_change_shows_in_feed_and_table(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        target = next(m for m in store.messages_sorted() if m.state is DeliveryState.SENT)
        store.apply([_change(target, DeliveryState.FAILED, 1_763_700_010.0, error_code=6)])
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        assert feed.entries[0].message_id == target.message_id
        assert feed.entries[0].state is DeliveryState.FAILED
        table = app.screen.query_one(HistoryTable)
        row = next(m for m in table.rows if m.key == target.key)
        assert row.state is DeliveryState.FAILED and row.error_code == 6


async def test_selection_kept_when_new_rows_arrive_above(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        for _ in range(5):
            await pilot.press("down")
        table = app.screen.query_one(HistoryTable)
        chosen = table.selected
        newest = store.messages_sorted()[0]
        fresh = [
            newest.evolve(message_id=f"n{i}", sent_at=newest.sent_at + 10 + i) for i in range(3)
        ]
        store.apply(fresh)
        await pilot.pause()
        assert table.selected.key == chosen.key
        assert table.cursor == 8  # shifted down by the three new rows above it


async def test_filter_narrows_rows_and_escape_restores(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("slash")
        await pilot.press(*"state:failed")
        await pilot.press("enter")
        await pilot.pause()
        assert 0 < len(table.rows) < 200
        assert all(m.state is DeliveryState.FAILED for m in table.rows)
        assert "state:failed" in table.border_title
        await pilot.press("escape")
        await pilot.pause()
        assert len(table.rows) == 200


async def test_bad_filter_keeps_input_open_with_reason(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("slash", *"state:nonsense", "enter")
        await pilot.pause()
        box = app.screen.query_one("#filter")
        assert box.has_class("-error") and not box.has_class("-hidden")
        assert len(app.screen.query_one(HistoryTable).rows) == 200


async def test_failed_only_toggle(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("f")
        rows = app.screen.query_one(HistoryTable).rows
        assert rows and all(m.state.is_failure for m in rows)
        await pilot.press("f")
        assert len(app.screen.query_one(HistoryTable).rows) == 200


async def test_pause_counts_new_and_resume_shows_them(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        await pilot.press("space")
        rows = list(store.messages_sorted()[:4])
        for i, m in enumerate(rows):
            store.apply([_change(m, DeliveryState.DELIVERED, 1_763_700_020.0 + i)])
        await pilot.pause()
        assert feed.paused and feed.waiting == 4 and feed.entries == []
        for _ in range(5):  # the count moves with the slow (5 s) figures, not every batch
            app.screen.tick()
        assert "PAUSED · 4 new" in feed.border_title
        await pilot.press("space")
        await pilot.pause()
        assert not feed.paused and len(feed.entries) == 4
        assert feed.entries[0].message_id == rows[-1].message_id  # newest first


async def test_export_writes_the_current_filter_as_csv_and_jsonl(ui, tmp_path):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("f", "e")
        await app.workers.wait_for_complete()
        await pilot.press("E")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = list(app.screen.query_one(HistoryTable).rows)
    (csv_file,) = (tmp_path / "exports").glob("export-*.csv")
    with csv_file.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert [r["message_id"] for r in records] == [m.message_id for m in shown]
    assert {r["state"] for r in records} <= {"failed", "expired", "rejected", "not_found"}
    (jsonl_file,) = (tmp_path / "exports").glob("export-*.jsonl")
    assert [m.key for m in read_jsonl(jsonl_file)] == [m.key for m in shown]


async def test_worker_error_becomes_visible_not_a_crash(ui):
    app, _, controller = ui
    controller.fail_with = TransportError("connection refused psw=hunter2")
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        health = app.screen.query_one("#health")
        assert "action failed" in str(health.render())
        assert "hunter2" not in str(health.render())
        assert app.is_running


async def test_copy_puts_id_on_clipboard(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("c")
        assert app.clipboard == app.screen.query_one(HistoryTable).selected.message_id
        await pilot.press("C")
        assert app.clipboard == app.screen.query_one(HistoryTable).selected.phone


async def test_maximise_toggles_focused_pane(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("m")
        assert app.screen.maximized is app.screen.query_one(HistoryTable)
        await pilot.press("m")
        assert app.screen.maximized is None


async def test_keymap_rebinds_and_theme_is_remembered(tmp_path):
    from dataclasses import replace

    from conftest import build_app
    from smstui.ui.settings import load_ui_settings

    app, _, _ = build_app(tmp_path)
    app.config = replace(app.config, keymap={"failed_only": "x"})
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("x")
        assert app.screen.failed_only
        app.theme = "nord"
        await pilot.pause()
    assert load_ui_settings(tmp_path)["theme"] == "nord"
    again, _, _ = build_app(tmp_path)
    async with again.run_test() as pilot:
        await pilot.pause()
        assert again.theme == "nord"


async def test_no_color_is_respected(tmp_path, monkeypatch):
    from conftest import build_app

    monkeypatch.setenv("NO_COLOR", "1")
    app, _, _ = build_app(tmp_path)
    assert app.no_color


async def test_palette_jumps_to_a_phone(ui):
    app, store, _ = ui
    target = store.messages_sorted()[120]
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("f")  # the jump drops a filter that hides the message
        app.screen.post_message(GoTo(target, f"phone:{target.phone}"))  # the palette's hit
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert table.selected.key == target.key and not app.screen.failed_only


async def test_window_follows_the_cursor_and_shows_the_position(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("pagedown", "pagedown", "down")
        body = table.content_region.height - 1
        assert table.top > 0 and table.top <= table.cursor < table.top + body
        assert table.border_subtitle == f"{table.cursor + 1} / 200"
        await pilot.press("end")
        assert table.cursor == 199 and table.top == 200 - body
        await pilot.press("home")
        assert (table.cursor, table.top) == (0, 0)
