"""Every account's balance stays on screen, down to 80×24 (the second one was cut off)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult

from conftest import build_app
from smstui.model import Balance
from smstui.ui.widgets.balance_pane import AccountBalance, BalancePane


def screen_text(app, widget) -> str:
    """The characters the widget occupies on screen, line by line."""
    strips = app.screen._compositor.render_strips()
    r = widget.region
    lines = []
    for y in range(r.y, r.y + r.height):
        text = "".join(segment.text for segment in strips[y])
        lines.append(text[r.x : r.x + r.width])
    return "\n".join(lines)


async def test_80x24_shows_both_balances(tmp_path):
    app, _store, _controller = build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = screen_text(app, app.screen.query_one(BalancePane))
        assert "smsc-main" in shown and "1 180.00 RUB" in shown
        assert "webcom-ru" in shown and "5 400.00 RUB" in shown
    async with build_app(tmp_path)[0].run_test(size=(120, 36)) as pilot:  # room: two lines each
        await pilot.pause()
        shown = screen_text(pilot.app, pilot.app.screen.query_one(BalancePane))
        assert "−120.00/h" in shown and "webcom-ru" in shown


class Band(App[None]):
    """A two-line band, as at 80×24, holding three accounts."""

    CSS = "BalancePane { height: 4; width: 46; border: round white; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        yield BalancePane()

    def on_mount(self) -> None:
        items = [
            AccountBalance(name, Balance(name, Decimal(amount), "RUB", at=0.0), None)
            for name, amount in (("a-main", "100"), ("b-spare", "200"), ("c-ru", "300"))
        ]
        self.query_one(BalancePane).show(items)


async def test_more_accounts_than_lines_share_the_lines():
    app = Band()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        shown = screen_text(app, app.query_one(BalancePane))
        for name, amount in (("a-main", "100.00"), ("b-spare", "200.00"), ("c-ru", "300.00")):
            assert name in shown and amount in shown, shown
