"""The message whose detail is open is the one the poller asks first (issue: status lag)."""

from __future__ import annotations

from conftest import build_app
from smstui.ui.screens.detail import DetailScreen


async def test_opening_a_detail_asks_the_poller_to_put_it_first_and_closing_it_clears(tmp_path):
    app, store, controller = build_app(tmp_path)
    looked: list[list[tuple[str, str, str]]] = []
    controller.prioritise = lambda keys: looked.append(list(keys))  # type: ignore[attr-defined]
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            selected = app.screen.history.selected
            assert selected is not None
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, DetailScreen)
            assert looked[-1] == [selected.key]
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, DetailScreen)
            assert looked[-1] == []
    finally:
        store.close()
