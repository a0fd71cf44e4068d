"""The health screen names the file log lines go to while the dashboard runs (issue 17, item 1)."""

from __future__ import annotations

from pathlib import Path

from conftest import START, FakeController
from smstui.clock import FakeClock
from smstui.sample_data import make_messages, sample_config
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.screens.health import HealthScreen


def _screen_text(app) -> str:
    return "\n".join(
        "".join(seg.text for seg in line) for line in app.screen._compositor.render_strips()
    )


def _app(tmp_path: Path, log_file: Path | None):
    clock = FakeClock(START)
    store = Store.open(tmp_path / "cache", clock=clock)
    store.apply(make_messages(20))
    app = make_app(store=store, controller=FakeController(store, clock), clock=clock,
                   config=sample_config(tmp_path), settings_dir=tmp_path, driver_size=(120, 36),
                   log_file=log_file)  # fmt: skip
    return app, store


async def test_h_names_the_log_file_the_app_was_given(tmp_path):
    log_file = tmp_path / "cache" / "smstui.log"
    app, store = _app(tmp_path, log_file)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press("h")
            await pilot.pause()
            assert isinstance(app.screen, HealthScreen)
            assert f"log file: {log_file}" in _screen_text(app)
    finally:
        store.close()


async def test_without_a_log_file_the_screen_says_lines_are_not_kept(tmp_path):
    app, store = _app(tmp_path, None)
    try:
        async with app.run_test() as pilot:
            await pilot.pause()
            await pilot.press("h")
            await pilot.pause()
            assert "log file: none (log lines are not kept" in _screen_text(app)
    finally:
        store.close()
