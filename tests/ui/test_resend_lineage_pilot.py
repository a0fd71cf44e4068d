"""Pilot tests: resend lineage, bulk-resend exclusions, y/n in confirmations, q/esc go back."""

from __future__ import annotations

from decimal import Decimal

from test_screens_support import FAILED, Host, bulk_messages
from textual.widgets import Button, Static

from conftest import build_app
from smstui.model import DeliveryState
from smstui.policy import Advice, resend_advice
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.main import MainScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendDecision, ResendScreen

SIZE = (120, 36)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def row_text(table, key) -> str:
    """The rendered history row of one message (scrolled into view first)."""
    assert table.select_key(key)
    y = table.cursor - table.top + 1
    return "".join(segment.text for segment in table.render_line(y))


async def settle(pilot, until, tries: int = 50) -> None:
    for _ in range(tries):
        await pilot.pause()
        if until():
            return
    raise AssertionError("condition not reached")


def with_a_wait(tmp_path):
    """The sample app plus one failure the policy says to wait for (err 219: SIM replaced)."""
    app, store, controller = build_app(tmp_path)
    temp = next(m for m in store.messages_sorted() if resend_advice(m).advice is Advice.RESEND)
    now = controller.clock.now()
    wait = temp.evolve(message_id="219219", phone="79160000219", error_code=219,
                       sent_at=now - 120, updated_at=now - 60)  # fmt: skip
    store.apply([wait])
    assert resend_advice(wait).advice is Advice.WAIT
    return app, store, controller, temp, wait


async def test_resend_links_both_ways_and_R_right_after_leaves_it_out(tmp_path):
    app, store, controller, temp, wait = with_a_wait(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.screen
        table = main.history
        assert "↻" not in row_text(table, temp.key)
        await pilot.press("r")
        assert isinstance(app.screen, ResendScreen)
        await pilot.press("y")  # y confirms
        await settle(pilot, lambda: any(c.startswith("resend") for c in controller.calls))
        new = next(m for m in store.messages_sorted() if m.resend_of == temp.message_id)
        assert new.state is DeliveryState.QUEUED and new.phone == temp.phone
        # The history rows: ↻→NEW on the original, ↻←ID on the resend.
        await settle(pilot, lambda: f"↻→{new.message_id}" in row_text(table, temp.key))
        assert f"↻←{temp.message_id}" in row_text(table, new.key)

        # R straight after r: the original is left out as already resent, the wait as advised.
        await pilot.press("R")
        bulk = app.screen
        assert isinstance(bulk, BulkResendScreen)
        assert temp.key in [m.key for m in bulk.plan.resent]
        assert temp.key not in [m.key for m in bulk.plan.resend]
        assert [m.key for m in bulk.plan.waiting] == [wait.key]
        details = text_of(bulk, "#bulk-details")
        assert "Left out: 1 already resent · 1 advised to wait" in details
        assert "the first may go" in details and "(in 23 h" in details
        calls = len(controller.calls)
        await pilot.press("n")  # n cancels: nothing sent
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and len(controller.calls) == calls

        # The detail views name the link, and q goes back instead of quitting.
        table.select_key(temp.key)
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        assert f"resent → {new.message_id}" in text_of(app.screen, "#detail-fields")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
        table.select_key(new.key)
        await pilot.press("enter")
        assert f"resend of {temp.message_id}" in text_of(app.screen, "#detail-fields")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)

        # r on the original again warns that this would be one more copy.
        table.select_key(temp.key)
        await pilot.press("r")
        assert f"Already resent → {new.message_id}" in text_of(app.screen, "#resend-lineage")
        await pilot.press("escape")


async def test_r_on_a_wait_failure_asks_with_the_advice_in_view(tmp_path):
    app, _store, controller, _temp, wait = with_a_wait(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.history.select_key(wait.key)
        await pilot.press("r")
        dialog = app.screen
        assert isinstance(dialog, ResendScreen)
        assert "Advice   wait until" in text_of(dialog, "#resend-details")
        assert "Too early" in text_of(dialog, "#resend-warning")
        assert dialog.query_one("#confirm", Button).disabled
        await pilot.press("y")  # y does not tick the override
        await pilot.pause()
        assert app.screen is dialog and not controller.calls
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and not controller.calls


async def test_y_and_n_answer_both_confirmations() -> None:
    for key, expected in (("y", ResendDecision(False)), ("n", None), ("q", None)):
        app = Host(lambda: ResendScreen(FAILED, estimate_cost=Decimal("3.45")))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [expected], key
    for key, expected in (("y", True), ("n", False), ("q", False)):
        app = Host(lambda: BulkResendScreen(bulk_messages()))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [expected], key


async def test_q_and_escape_go_back_from_every_sub_screen(tmp_path):
    app, _store, _controller = build_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for opener, screen_type in (("enter", DetailScreen), ("question_mark", HelpScreen),
                                    ("r", ResendScreen), ("h", None), ("a", None),
                                    ("s", None)):  # fmt: skip
            for back in ("q", "escape"):
                if opener == "r":
                    failed = next(m for m in app.store.messages_sorted() if m.state.is_failure
                                  and m.state is not DeliveryState.NOT_FOUND)  # fmt: skip
                    app.main_screen.history.select_key(failed.key)
                await pilot.press(opener)
                await pilot.pause()
                assert app.screen is not app.main_screen, opener
                if screen_type is not None:
                    assert isinstance(app.screen, screen_type)
                await pilot.press(back)
                await pilot.pause()
                assert app.is_running and app.screen is app.main_screen, (opener, back)
        await pilot.press("q")  # only the main view's q quits
        await pilot.pause()
    assert not app.is_running
