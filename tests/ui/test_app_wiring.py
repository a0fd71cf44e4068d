"""App wiring: services, a follower thread feeding the store, follower marker, detail r/l,
bulk resend, alerts."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC

from textual.widgets import Static

from conftest import START, build_app, fill_balances, make_messages, ui_config
from smstui.clock import FakeClock
from smstui.model import DeliveryState, ErrorClass, Source, StatusChange
from smstui.policy import RESENDABLE, failure_class
from smstui.sample_data import SampleController, sample_health
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.palette import MessageCommands
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import BulkResendScreen, ResendScreen, bulk_plan
from smstui.ui.widgets.history import HistoryTable


async def until(pilot, condition, what: str, limit: int = 400) -> None:
    """Let the app work until `condition()` holds (a state, never a sleep)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"never reached: {what}")


async def test_failing_service_is_shown_and_the_ui_keeps_running(tmp_path):
    async def broken() -> None:
        raise RuntimeError("poller exploded psw=hunter2")

    app, _, _ = build_app(tmp_path)
    app.services = (broken,)
    app.secrets = ("hunter2",)
    async with app.run_test() as pilot:
        health = app.screen.query_one("#health", Static)
        await until(pilot, lambda: "exploded" in str(health.render()), "service error shown")
        assert "hunter2" not in str(health.render())
        assert any(n.title == "Service stopped" for n in app._notifications)
        await pilot.press("f")  # still alive
        assert app.screen.failed_only


async def test_services_are_cancelled_on_exit_and_may_finish_their_cleanup(tmp_path):
    log: list[str] = []

    async def engine_like() -> None:
        log.append("started")
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.to_thread(log.append, "flushed")  # awaits inside finally still run

    app, _, _ = build_app(tmp_path)
    app.services = (engine_like,)
    async with app.run_test() as pilot:
        await until(pilot, lambda: log == ["started"], "service started")
    assert log == ["started", "flushed"]


async def test_follower_thread_feeds_a_read_only_dashboard(tmp_path):
    clock = FakeClock(START)
    path = tmp_path / "cache"
    writer = Store.open(path, clock=clock)  # the `smstui poll` process, as far as we care
    writer.apply(make_messages(50))
    fill_balances(writer, clock.now())
    writer.checkpoint()
    reader = Store.open(path, clock=clock, readonly="auto")
    assert reader.readonly
    controller = SampleController(reader, clock)
    controller.snapshot = sample_health(clock.now()).__class__(
        clock.now(), writer=False, writer_pid=str(os.getpid())
    )

    async def follow() -> None:
        while True:  # the follower: read in a thread, applied on the loop
            await reader.refresh_async()
            await asyncio.sleep(0.005)

    app = make_app(
        store=reader, controller=controller, clock=clock, config=ui_config(tmp_path), tz=UTC,
        settings_dir=tmp_path, driver_size=(120, 36), services=[follow],
    )  # fmt: skip
    try:
        async with app.run_test() as pilot:
            table = app.screen.query_one(HistoryTable)
            health = app.screen.query_one("#health", Static)
            await until(pilot, lambda: "following" in str(health.render()), "follower marker")
            assert f"following pid {os.getpid()}: it polls" in str(health.render())
            target = next(m for m in writer.messages_sorted() if m.state is DeliveryState.SENT)
            change = StatusChange(target.account, target.message_id, DeliveryState.FAILED, "20",
                                  START + 5, Source.POLL, 6, target.phone)  # fmt: skip
            writer.apply([change])
            writer.checkpoint()
            await until(
                pilot,
                lambda: (
                    next(m for m in table.rows if m.key == target.key).state is DeliveryState.FAILED
                ),
                "the writer's change in the table",
            )
            feed = app.screen.feed
            assert feed.entries[0].message_id == target.message_id
    finally:
        reader.close()
        writer.close()


async def test_detail_r_and_l_go_through_the_controller_and_refresh_the_view(ui):
    app, store, controller = ui
    async with app.run_test() as pilot:
        target = next(
            m for m in store.messages_sorted()
            if m.state is DeliveryState.FAILED and failure_class(m) is not ErrorClass.PERMANENT
        )  # fmt: skip
        assert app.screen.query_one(HistoryTable).select_key(target.key)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail open")
        detail = app.screen
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert controller.calls[-2:] == [f"status {target.message_id}", f"lookup {target.phone}"]
        assert "МТС" in str(detail.query_one("#detail-number", Static).render())
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ResendScreen), "resend dialog")
        await pilot.click("#confirm")
        await app.workers.wait_for_complete()
        await until(pilot, lambda: app.screen is detail, "back on the detail view")
        assert controller.calls[-1] == f"resend {target.message_id}"


async def test_bulk_resend_sends_exactly_what_the_dialog_listed(ui):
    app, _, controller = ui
    async with app.run_test() as pilot:
        await pilot.press("f")
        shown = [m for m in app.screen.query_one(HistoryTable).rows if m.state in RESENDABLE]
        plan = bulk_plan(shown)
        assert plan.resend and plan.permanent  # the sample has both kinds
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, BulkResendScreen), "bulk dialog")
        assert [m.key for m in app.screen.plan.resend] == [m.key for m in plan.resend]
        await pilot.click("#confirm")
        await app.workers.wait_for_complete()
        sent = [c.split(" ", 1)[1] for c in controller.calls if c.startswith("resend")]
        assert sent == [m.message_id for m in plan.resend]


async def test_low_balance_and_gateway_down_raise_one_alert_each_with_a_bell(tmp_path):
    app, _, _ = build_app(tmp_path, low=100, smsc_end="45.00", down=True)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        await until(pilot, lambda: len(bells) >= 3, "alerts")
        titles = sorted(n.title for n in app._notifications)
        assert titles == [
            "smsc-main: gateway down", "smsc-main: low balance", "webcom-ru: IP blocked (error 4)",
        ]  # fmt: skip
        for _ in range(3):  # later ticks: debounced, no new toasts
            app.tick()
        assert len(bells) == 3


async def test_palette_offers_every_footer_key_and_runs_app_level_ones(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        provider = MessageCommands(app.screen)
        actions = {name: run for name, run, _ in provider._actions()}
        footer = {
            a.binding.description
            for a in app.screen.active_bindings.values()
            if a.binding.show and a.binding.description
        }
        assert footer and footer <= set(actions)
        await actions["Help"]()  # an app binding: runs on the app, not on the screen
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help from the palette")
        await pilot.press("escape")
        await actions["Failed only"]()
        assert app.main_screen.failed_only
