"""The detail, resend and help screens opened from the real app over the shared test store."""

from __future__ import annotations

from textual.widgets import Static

from smstui.model import DeliveryState
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import ResendScreen
from smstui.ui.widgets.history import HistoryTable


def _select(app, message) -> None:
    assert app.screen.query_one(HistoryTable).select_key(message.key)


async def test_enter_opens_detail_of_the_selected_row_and_c_copies(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        target = next(m for m in store.messages_sorted() if m.state is DeliveryState.FAILED)
        _select(app, target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert app.screen.message.key == target.key
        fields = str(app.screen.query_one("#detail-fields", Static).render())
        assert "UTC" in fields  # the app's zone (UTC in tests), labelled
        await pilot.press("c")
        assert app.clipboard == target.message_id
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DetailScreen)


async def test_question_mark_lists_the_apps_keys(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#help-keys", Static).render())
        assert "Help" in keys and "Detail" in keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_resend_from_the_app_costs_nothing_until_confirmed(ui):
    app, store, controller = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        target = next(
            m
            for m in store.messages_sorted()
            if m.state is DeliveryState.FAILED and m.error_code == 6
        )
        _select(app, target)
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ResendScreen)
        await pilot.press("enter")  # Cancel has the focus
        await app.workers.wait_for_complete()
        assert not any(c.startswith("resend") for c in controller.calls)
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#confirm")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert f"resend {target.message_id}" in controller.calls
