"""Pilot tests: the resend decisions, the permanent-failure override, copy, detail actions, help."""

from __future__ import annotations

from decimal import Decimal

from test_screens_support import (
    BINDINGS,
    DELIVERED,
    FAILED,
    NUMBER,
    PERMANENT,
    TIMELINE,
    WEBCOM_EXPIRED,
    Host,
    bulk_messages,
)
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Static

from smstui.clock import FakeClock
from smstui.model import DeliveryState
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import (
    BulkResendScreen,
    ResendDecision,
    ResendScreen,
    bulk_plan,
    sms_parts,
)
from smstui.ui.widgets.timeline import Timeline

SIZE = (120, 36)


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


# ----- single resend -------------------------------------------------------------------------


async def test_resend_confirm_returns_a_decision() -> None:
    app = Host(lambda: ResendScreen(FAILED, estimate_cost=Decimal("3.45")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ResendScreen)
        assert app.focused.id == "cancel"  # money is at stake: Cancel is the default
        details = text_of(screen, "#resend-details")
        assert "79161234567" in details and "≈ 3.45" in details and "Parts    1" in details
        assert "Subscriber offline" in details
        await pilot.click("#confirm")
        await pilot.pause()
    assert app.results == [ResendDecision(allow_permanent=False)]


async def test_resend_enter_on_default_focus_and_escape_cancel() -> None:
    for key in ("enter", "escape"):
        app = Host(lambda: ResendScreen(FAILED, estimate_cost=None))
        async with app.run_test(size=SIZE) as pilot:
            assert "unknown" in text_of(app.screen, "#resend-details")
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [None], key


async def test_permanent_failure_needs_the_override_toggled() -> None:
    app = Host(lambda: ResendScreen(PERMANENT, estimate_cost=Decimal("3.45")))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        confirm = screen.query_one("#confirm", Button)
        assert confirm.disabled and "permanent" in str(confirm.label).lower()
        assert "Permanent failure" in text_of(screen, "#resend-warning")
        await pilot.click("#confirm")  # a disabled button does nothing
        await pilot.pause()
        assert app.results == [] and app.screen is screen
        override = screen.query_one("#override", Checkbox)
        override.focus()
        await pilot.press("space")
        assert override.value and not confirm.disabled
        await pilot.press("space")  # unticking locks it again
        assert confirm.disabled
        await pilot.press("space")
        await pilot.click("#confirm")
        await pilot.pause()
    assert app.results == [ResendDecision(allow_permanent=True)]


async def test_resend_of_a_delivered_message_warns_about_a_second_copy() -> None:
    app = Host(lambda: ResendScreen(DELIVERED, estimate_cost=Decimal("3.45")))
    async with app.run_test(size=SIZE) as pilot:
        assert "Not a failure (delivered)" in text_of(app.screen, "#resend-warning")
        assert not app.screen.query_one("#confirm", Button).disabled
        await pilot.press("escape")
    assert app.results == [None]


def test_parts_are_estimated_from_the_text_when_unknown() -> None:
    assert sms_parts("") == 1 and sms_parts("a" * 160) == 1 and sms_parts("a" * 161) == 2
    assert sms_parts("я" * 70) == 1 and sms_parts("я" * 71) == 2 and sms_parts("я" * 135) == 3
    assert sms_parts("{" * 80) == 1 and sms_parts("{" * 81) == 2  # extension chars count twice


async def test_resend_shows_estimated_parts() -> None:
    app = Host(lambda: ResendScreen(WEBCOM_EXPIRED, estimate_cost=None))
    async with app.run_test(size=SIZE):
        assert "1 (estimated from the text)" in text_of(app.screen, "#resend-details")


# ----- bulk resend ---------------------------------------------------------------------------


def test_bulk_plan_leaves_out_permanent_and_not_failed() -> None:
    plan = bulk_plan(bulk_messages())
    assert len(plan.resend) == 7 and len(plan.permanent) == 2 and len(plan.not_failed) == 1
    assert plan.total_cost == Decimal("20.70") and plan.unpriced == 1


async def test_bulk_confirm_and_cancel() -> None:
    for how, expected in (("confirm", True), ("escape", False), ("enter", False)):
        app = Host(lambda: BulkResendScreen(bulk_messages()))
        async with app.run_test(size=SIZE) as pilot:
            assert app.focused.id == "cancel"
            details = text_of(app.screen, "#bulk-details")
            assert "7 messages to resend" in details and "≈ 20.70" in details
            assert "2 permanent failures left out" in details and "… and 2 more" in details
            if how == "confirm":
                await pilot.click("#confirm")
            else:
                await pilot.press(how)
            await pilot.pause()
        assert app.results == [expected], how


async def test_bulk_with_nothing_resendable_cannot_confirm() -> None:
    app = Host(lambda: BulkResendScreen([PERMANENT, DELIVERED]))
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#confirm", Button).disabled
        await pilot.click("#confirm")
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]


# ----- detail --------------------------------------------------------------------------------


def detail(message=FAILED, info=NUMBER) -> Host:
    return Host(lambda: DetailScreen(message, TIMELINE, info, FakeClock(1_763_700_000.0)))


async def test_detail_copy_keys_use_the_clipboard() -> None:
    app = detail()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        assert app.clipboard == "100245"
        await pilot.press("p")
        assert app.clipboard == "79161234567"


async def test_detail_shows_explained_error_timeline_number_and_masked_raw() -> None:
    app = detail()
    async with app.run_test(size=SIZE):
        screen = app.screen
        error = text_of(screen, "#detail-error")
        assert "Subscriber offline" in error and "temporary" in error and "Resend later" in error
        fields = text_of(screen, "#detail-fields")
        assert "2025-11-21 07:10:00 MSK (30 min ago)" in fields  # the injected clock, Moscow
        timeline = str(screen.query_one(Timeline).render())
        assert "webhook" in timeline and "20 Unable to deliver" in timeline
        assert "(learnt 2 min later)" in timeline
        assert "MCC/MNC 250/01" in text_of(screen, "#detail-number")
        raw = text_of(screen, "#detail-raw")
        assert "psw=***" in raw and "hunter22" not in raw


async def test_detail_r_and_l_post_actions_and_escape_closes() -> None:
    app = detail()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r", "l")
        await pilot.pause()
        assert app.actions == [("resend", FAILED.key), ("lookup", FAILED.key)]
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None] and not isinstance(app.screen, DetailScreen)


async def test_detail_resend_of_a_delivered_message_still_asks_the_app() -> None:
    app = detail(DELIVERED, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert app.actions == [("resend", DELIVERED.key)]  # the dialog warns, as from the list
        assert "No error" in text_of(app.screen, "#detail-error")
        assert "press l" in text_of(app.screen, "#detail-number")


async def test_detail_show_refreshes_in_place() -> None:
    app = detail(info=None)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        delivered = FAILED.evolve(state=DeliveryState.DELIVERED, raw_status="1", error_code=0)
        screen.show(delivered, TIMELINE[:1], NUMBER)
        await pilot.pause()
        assert "delivered" in text_of(screen, "#detail-title")
        assert "No error" in text_of(screen, "#detail-error")
        assert "МТС" in text_of(screen, "#detail-number")
        assert len(screen.query_one(Timeline).changes) == 1


# ----- help ----------------------------------------------------------------------------------


async def test_help_lists_keys_and_filter_syntax_and_closes() -> None:
    for key in ("escape", "question_mark", "q"):
        app = Host(lambda: HelpScreen(BINDINGS))
        async with app.run_test(size=SIZE) as pilot:
            keys = text_of(app.screen, "#help-keys")
            assert "Resend temporary failures" in keys and "Quit" in keys
            assert "state:failed" in text_of(app.screen, "#help-filter")
            await pilot.press(key)
            await pilot.pause()
        assert app.results == [None], key


async def test_help_accepts_binding_objects() -> None:
    given = [Binding("question_mark", "help", "Help"), Binding("slash", "filter", "Filter")]
    app = Host(lambda: HelpScreen(given))
    async with app.run_test(size=SIZE):
        keys = text_of(app.screen, "#help-keys")
        assert "?" in keys and "question_mark" not in keys and "Filter" in keys
