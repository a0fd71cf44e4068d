"""One colour per delivery state: the table, the live feed and the detail view agree."""

from __future__ import annotations

from textual.markup import parse_style
from textual.theme import Theme

from smstui.model import DeliveryState
from smstui.ui.state_style import state_markup
from smstui.ui.widgets.history import STATE_CLASSES, HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed


async def test_every_state_looks_the_same_in_table_feed_and_detail(ui) -> None:
    app, _store, _controller = ui
    async with app.run_test():
        table, feed = app.screen.query_one(HistoryTable), app.screen.query_one(LiveFeed)
        for state in DeliveryState:
            in_table = table.get_component_rich_style(STATE_CLASSES[state], partial=True)
            in_feed = feed.get_component_rich_style(STATE_CLASSES[state], partial=True)
            in_detail = parse_style(state_markup(state)).rich_style  # detail, timeline, strip
            for rich in (in_feed, in_detail):
                assert (rich.color, bool(rich.bold)) == (in_table.color, bool(in_table.bold)), state
        expired = table.get_component_rich_style(STATE_CLASSES[DeliveryState.EXPIRED])
        failed = table.get_component_rich_style(STATE_CLASSES[DeliveryState.FAILED])
        assert expired.color != failed.color and not expired.bold and failed.bold


async def test_a_theme_may_set_a_state_colour_itself(ui) -> None:
    app, _store, _controller = ui
    async with app.run_test() as pilot:
        base = app.get_theme("textual-dark")
        assert base is not None
        app.register_theme(
            Theme(name="pink-expired", primary=base.primary, dark=True,
                  variables={"state-expired": "#ff00ff"})
        )  # fmt: skip
        app.theme = "pink-expired"
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        style = table.get_component_rich_style(STATE_CLASSES[DeliveryState.EXPIRED])
        assert style.color is not None and style.color.triplet.hex == "#ff00ff"
