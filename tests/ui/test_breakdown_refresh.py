"""The breakdown screen: send hours in time order with dates, a self-refresh that keeps the
tab and the selected row, and figures marked stale when a refresh fails."""

from __future__ import annotations

from datetime import UTC

from conftest import START, FakeController, make_messages, ui_config
from smstui.clock import FakeClock
from smstui.errors import SmstuiError
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.screens.breakdown import REFRESH_S, BreakdownScreen
from smstui.ui.widgets.bar_chart import BarChart


def app_over(tmp_path, messages):
    clock = FakeClock(START)
    store = Store.open(tmp_path / "cache", clock=clock)
    store.apply(messages)
    app = make_app(store=store, controller=FakeController(store, clock), clock=clock,
                   config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path,
                   driver_size=(120, 36))  # fmt: skip
    return app, store, clock


async def until(pilot, condition, what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"never reached: {what}")


async def opened(pilot) -> BreakdownScreen:
    app = pilot.app
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, BreakdownScreen)
                and app.screen.result is not None, "the breakdown computed")  # fmt: skip
    return app.screen


def first_column(screen: BreakdownScreen) -> list[str]:
    table = screen.query_one("#bd-table")
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def fresh(screen: BreakdownScreen) -> str:
    return str(screen.query_one("#bd-fresh").render())


async def test_send_hours_run_in_time_order_across_midnight_with_dates(tmp_path):
    # 200 messages over the 7 hours before 04:40 UTC on 11-21: from 21:40 on 11-20.
    app, store, _ = app_over(tmp_path, make_messages(200, span_s=7 * 3600))
    try:
        async with app.run_test() as pilot:
            screen = await opened(pilot)
            await pilot.press("5")
            await pilot.pause()
            assert first_column(screen) == ["11-20 21:00", "11-20 22:00", "11-20 23:00",
                                            "11-21 00:00", "11-21 01:00", "11-21 02:00",
                                            "11-21 03:00", "11-21 04:00"]  # fmt: skip
            assert str(screen.query_one("#bd-table").columns["name"].label) == "Send hour ▲"
            # The charts' time axis names the day at its first tick and where a day begins.
            ticks = screen.query_one("#bd-sent", BarChart).lines[-1].split()
            assert ticks[:2] == ["11-20", "21:40"] and "11-21" in ticks[2:]
    finally:
        store.close()


async def test_the_breakdown_refreshes_itself_keeping_the_tab_and_the_selected_row(tmp_path):
    app, store, clock = app_over(tmp_path, make_messages(200))
    try:
        async with app.run_test() as pilot:
            screen = await opened(pilot)
            assert fresh(screen) == f"refreshes every {REFRESH_S} s"
            assert screen.sub_title == "whole cache · 200 messages · as of 04:40:00 UTC"
            assert screen._next is not None  # the next refresh is on its timer
            await pilot.press("4", "down")  # the Account tab, its second row
            await pilot.pause()
            table = screen.query_one("#bd-table")
            selected = str(table.get_row_at(table.cursor_row)[0])
            clock.advance(12)
            late = [m.evolve(message_id=f"9{m.message_id}") for m in make_messages(30, seed=3)]
            store.apply(late)
            before = screen.result
            screen.refresh_figures()  # what the timer does after REFRESH_S
            await until(pilot, lambda: screen.result is not before, "the refreshed figures")
            await pilot.pause()
            assert screen.result.totals.total == 230
            assert screen.sub_title == "whole cache · 230 messages · as of 04:40:12 UTC"
            assert screen.dimension == "account"
            assert str(table.get_row_at(table.cursor_row)[0]) == selected
    finally:
        store.close()


async def test_a_failed_refresh_keeps_the_figures_and_marks_them_stale(tmp_path, monkeypatch):
    app, store, clock = app_over(tmp_path, make_messages(200))
    try:
        async with app.run_test() as pilot:
            screen = await opened(pilot)
            shown = screen.result

            def broken(query):
                raise SmstuiError("cache unreadable: partition 2025-11-21 damaged")

            monkeypatch.setattr(store, "query", broken)
            clock.advance(10)
            screen.refresh_figures()
            await pilot.pause()
            assert screen.result is shown  # the last good figures stay on screen
            assert fresh(screen) == "STALE as of 04:40:00 UTC · refresh failed · retrying"
            assert screen.stale.startswith("cache unreadable")
            toasts = [n for n in app._notifications if n.title == "Breakdown"]
            assert len(toasts) == 1 and "could not be refreshed" in toasts[0].message
            screen.refresh_figures()  # failing again is not announced again
            await pilot.pause()
            assert len([n for n in app._notifications if n.title == "Breakdown"]) == 1
            monkeypatch.undo()
            screen.refresh_figures()
            await until(pilot, lambda: not screen.stale, "a good refresh")
            assert fresh(screen) == f"refreshes every {REFRESH_S} s"
            assert screen.sub_title.endswith("as of 04:40:10 UTC")
    finally:
        store.close()
