"""Pilot tests of the history's follow mode: the newest on top, `↑ N new` once the user moves."""

from __future__ import annotations

from smstui.model import DeliveryState
from smstui.ui.messages import GoTo
from smstui.ui.widgets.history import HistoryTable


def _newer(store, n: int, *, state=DeliveryState.SENT, tag: str = "n"):
    newest = store.messages_sorted()[0]
    return [
        newest.evolve(message_id=f"{tag}{i}", sent_at=newest.sent_at + 10 + i, state=state)
        for i in range(n)
    ]


async def test_following_keeps_the_newest_selected_on_row_one(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert table.following
        fresh = _newer(store, 3)
        store.apply(fresh)
        await pilot.pause()
        assert table.cursor == 0 and table.top == 0
        assert table.selected.key == fresh[-1].key  # the newest send is row 1, selected
        assert "new" not in str(table.border_title)


async def test_moving_away_holds_the_selection_and_counts_new_rows(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("down", "down")
        chosen = table.selected
        assert not table.following
        store.apply(_newer(store, 3, tag="a"))
        await pilot.pause()
        store.apply(_newer(store, 35, tag="b"))
        await pilot.pause()
        assert table.selected.key == chosen.key and table.cursor == 2 + 38
        assert table.new_above == 38
        assert "↑ 38 new" in str(table.border_title)
        await pilot.press("g")  # back to the top: following again, the count is gone
        assert table.following and table.cursor == 0
        assert "new" not in str(table.border_title)
        store.apply(_newer(store, 1, tag="c"))
        await pilot.pause()
        assert table.selected.message_id == "c0"


async def test_home_and_walking_up_to_row_one_resume_following(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("down")
        store.apply(_newer(store, 2, tag="a"))
        await pilot.pause()
        assert table.cursor == 3 and table.new_above == 2
        await pilot.press("up", "up", "up")
        assert table.cursor == 0 and table.following
        await pilot.press("pagedown", "home")
        assert table.following and table.new_above == 0


async def test_a_filter_keeps_follow_mode(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("f")  # failed only
        await pilot.pause()
        assert table.following and table.cursor == 0
        failed = _newer(store, 2, state=DeliveryState.FAILED, tag="f")
        store.apply(failed + _newer(store, 3, tag="s"))
        await pilot.pause()
        assert table.selected.key == failed[-1].key and table.cursor == 0
        assert all(m.state.is_failure for m in table.rows[:5])


async def test_new_rows_are_counted_in_the_filtered_view(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("f", "down")
        chosen = table.selected
        store.apply(_newer(store, 4, state=DeliveryState.FAILED, tag="f"))
        store.apply(_newer(store, 9, tag="s"))  # outside the filter: not counted
        await pilot.pause()
        assert table.selected.key == chosen.key
        assert table.new_above == 4 and "↑ 4 new" in str(table.border_title)


async def test_palette_jump_keeps_a_filter_that_shows_the_target(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        target = table.rows[5]
        app.screen.post_message(GoTo(target, f"phone:{target.phone}"))  # the palette's hit
        await pilot.pause()
        assert app.screen.failed_only and table.selected.key == target.key
        assert not app._notifications  # nothing was cleared, nothing to say


async def test_palette_jump_says_when_it_cleared_the_filter(ui):
    app, store, _ = ui
    target = next(m for m in store.messages_sorted() if not m.state.is_failure)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("f")
        app.screen.post_message(GoTo(target, f"phone:{target.phone}"))  # the palette's hit
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        assert table.selected.key == target.key and not app.screen.failed_only
        texts = [n.message for n in app._notifications]
        assert any("Cleared failed only" in t and target.message_id in t for t in texts)
