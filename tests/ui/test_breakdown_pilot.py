"""Pilot tests: the stuck filter and re-query key, the breakdown screen and its sorting."""

from __future__ import annotations

from conftest import START
from smstui.breakdown import compute_breakdown
from smstui.model import DeliveryState
from smstui.stuck import HELD, MIN_USUAL_S
from smstui.ui.screens.breakdown import BreakdownScreen
from smstui.ui.screens.main import MainScreen
from smstui.ui.widgets.campaign_strip import CampaignStrip
from smstui.ui.widgets.history import HistoryTable


def stuck_keys(store, now: float, limit: float = MIN_USUAL_S) -> set[tuple[str, str, str]]:
    """The sample data delivers in 30 s, so every operator's usual time is the 10 min floor."""
    return {
        m.key
        for m in store.messages_sorted()
        if not m.state.is_final and m.state not in HELD and now - m.sent_at > limit
    }


async def until(pilot, condition, what: str, limit: int = 500) -> None:
    """Let the app run until `condition()` holds: waits for a state, never for a time."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"the app never reached: {what}")


async def filter_by(pilot, text: str) -> None:
    await pilot.press("slash", *text, "enter")
    await pilot.pause()


async def test_stuck_filter_shows_exactly_the_stuck_rows_and_follows_the_clock(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await filter_by(pilot, "state:stuck")
        table = app.screen.query_one(HistoryTable)
        expected = stuck_keys(store, START)
        assert expected  # the sample data has overdue pending messages
        assert {m.key for m in table.rows} == expected
        strip = app.screen.query_one(CampaignStrip)
        assert strip.border_title == "Campaign · filter: state:stuck"
        # Five minutes on, messages sent 5–10 min ago are overdue too: the filter re-runs on the
        # slow tick without the user touching it.
        later = START + 300
        grown = stuck_keys(store, later)
        assert grown > expected
        app.clock.advance(300)
        for _ in range(5):
            app.tick()
        await pilot.pause()
        assert {m.key for m in table.rows} == grown


async def test_strip_counts_stuck_messages_and_names_its_scope(ui):
    app, store, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        figures = main.query_one(CampaignStrip)._shown
        assert figures is not None
        assert figures.scope == "all cached"
        assert figures.stuck == len(stuck_keys(store, START))
        await filter_by(pilot, "account:webcom-ru")
        figures = main.query_one(CampaignStrip)._shown
        assert figures.scope == "filter: account:webcom-ru"
        webcom = {k for k in stuck_keys(store, START) if k[0] == "webcom-ru"}
        assert figures.stuck == len(webcom)
        assert sum(n for _, n in figures.counts) == len(main.visible_rows()) < len(store)


async def test_requery_key_asks_each_account_once_and_reports(ui):
    app, store, controller = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        stuck = stuck_keys(store, START)
        smsc = [k for k in stuck if k[0] == "smsc-main"]
        controller.answers = {
            k: store.get(k).evolve(state=DeliveryState.DELIVERED, raw_status="1", updated_at=START)
            for k in smsc
        }
        await pilot.press("L")
        await until(pilot, lambda: any(n.title == "Stuck messages" for n in app._notifications),
                    "the re-query toast")  # fmt: skip
        assert sorted(c for c in controller.calls if c.startswith("statuses")) == sorted(
            [f"statuses smsc-main {len(smsc)}", f"statuses webcom-ru {len(stuck) - len(smsc)}"]
        )
        [toast] = [n for n in app._notifications if n.title == "Stuck messages"]
        assert f"smsc-main: asked {len(smsc)} in one request · {len(smsc)} changed" in toast.message
        assert all(store.get(k).state is DeliveryState.DELIVERED for k in smsc)
        await filter_by(pilot, "state:stuck")
        assert {m.key for m in app.screen.query_one(HistoryTable).rows} == stuck - set(smsc)


async def open_breakdown(pilot, app) -> BreakdownScreen:
    await pilot.press("s")
    await until(
        pilot,
        lambda: isinstance(app.screen, BreakdownScreen) and app.screen.result is not None,
        "the breakdown computed",
    )
    return app.screen


def table_rows(screen: BreakdownScreen) -> list[list[str]]:
    table = screen.query_one("#bd-table")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_s_opens_the_breakdown_of_the_current_filter(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        await filter_by(pilot, "account:smsc-main")
        rows = list(app.screen.visible_rows())
        screen = await open_breakdown(pilot, app)
        assert screen.sub_title.startswith("filter: account:smsc-main")
        assert screen.result.totals.total == len(rows) == 100
        want = compute_breakdown(rows).groups["operator"]
        shown = {r[0]: r for r in table_rows(screen)}
        assert set(shown) == {"МТС", "Билайн", "МегаФон", "Tele2"}
        for g in want:
            assert shown[g.name][1] == str(g.total)
            assert shown[g.name][2] == f"{g.delivery_pct:.1f}%"
        totals = str(screen.query_one("#bd-totals").render())
        assert f"{screen.result.totals.delivery_pct:.1f}%" in totals
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_sorting_a_column_reorders_the_rows(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = await open_breakdown(pilot, app)
        by_total = [r[0] for r in table_rows(screen)]
        groups = {g.name: g for g in screen.result.groups["operator"]}
        assert [groups[n].total for n in by_total] == sorted(
            (g.total for g in groups.values()), reverse=True
        )
        await pilot.press("s")  # the next column: delivery %, best first
        await pilot.pause()
        by_pct = [r[0] for r in table_rows(screen)]
        assert [groups[n].delivery_pct for n in by_pct] == sorted(
            (g.delivery_pct for g in groups.values()), reverse=True
        )
        assert by_pct != by_total
        assert "sorted by Deliv % ▼" in screen.query_one("#bd-table").border_subtitle
        await pilot.press("S")  # reversed: worst first
        await pilot.pause()
        assert [r[0] for r in table_rows(screen)] == by_pct[::-1]
        assert str(screen.query_one("#bd-table").columns["pct"].label) == "Deliv % ▲"
        await pilot.press("2")  # the error table opens sorted by size
        await pilot.pause()
        errors = table_rows(screen)
        assert any(r[0] == "err 6 · Subscriber offline" for r in errors)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_clicking_a_header_sorts_by_it_and_again_reverses(ui):
    app, _, _ = ui
    async with app.run_test() as pilot:
        await pilot.pause()
        screen = await open_breakdown(pilot, app)
        table = screen.query_one("#bd-table")
        keys = [str(k.value) for k in table.columns]
        x = sum(
            c.get_render_width(table) for c in list(table.columns.values())[: keys.index("failed")]
        )
        groups = {g.name: g for g in screen.result.groups["operator"]}
        # The table's border takes the first row and column; the header is the next row.
        await pilot.click("#bd-table", offset=(x + 2, 1))
        await pilot.pause()
        assert screen.sort["operator"] == ("failed", True)
        failed = [groups[r[0]].failed for r in table_rows(screen)]
        assert failed == sorted(failed, reverse=True)
        await pilot.click("#bd-table", offset=(x + 2, 1))
        await pilot.pause()
        assert screen.sort["operator"] == ("failed", False)
        assert [groups[r[0]].failed for r in table_rows(screen)] == sorted(failed)
