"""`r` in the detail view of a delivered message opens the resend dialog, as it does in the list."""

from __future__ import annotations

from conftest import build_app
from smstui.model import DeliveryState
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.resend import ResendScreen


async def test_r_in_the_detail_of_a_delivered_message_opens_the_resend_dialog(tmp_path):
    app, store, _ = build_app(tmp_path)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            delivered = next(
                m for m in store.messages_sorted() if m.state is DeliveryState.DELIVERED
            )
            detail = DetailScreen(delivered, store.timeline(delivered.key), None, app.clock)
            await app.push_screen(detail)
            await pilot.pause()
            await pilot.press("r")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, ResendScreen)  # the app's answer to the DetailAction
            assert dialog.message.key == delivered.key
            assert dialog.query_one("#resend-warning")  # "Not a failure: … costs money again"
            await pilot.press("n")
            await pilot.pause()
            assert app.screen is detail  # cancelled: back where the user was
    finally:
        store.close()
