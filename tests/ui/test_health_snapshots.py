"""Snapshots of the `h` health screen at 120×36 and 80×24; each docstring says what to see."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import START, build_app
from smstui.push_counters import fresh_counters
from smstui.sample_data import sample_health
from smstui.store.core import StoreHealth
from smstui.ui.screens.health import HealthScreen

CACHE = StoreHealth(problem="", journal_bytes=63_540, loaded=200, total=2_066)
LOG_FILE = Path("/home/op/.local/share/smstui/smstui.log")


def _health_app(tmp_path):
    """The app with a down SMSC gateway, a blocked Webcom account and some webhook traffic."""
    app, _, controller = build_app(tmp_path)
    counters = {**fresh_counters(), "accepted": 1234, "statuses": 1200, "bad_400": 2}
    controller.snapshot = dataclasses.replace(
        sample_health(START, down=True), webhook_counters=counters
    )

    async def open_health(pilot) -> None:
        await pilot.pause()
        app.push_screen(
            HealthScreen(controller.health, lambda: CACHE, app.clock.now, log_file=LOG_FILE)
        )
        await pilot.pause()
        app.clear_notifications()  # the down/blocked alert toasts time out in real time
        await pilot.pause()

    return app, open_health


def test_health_screen_120x36(snap_compare, tmp_path):
    """The header names the zone (UTC); the first line names the log file (bold path);
    smsc-main: gateway DOWN, last/next poll as "20 s ago
    (04:39)" / "in 40 s (04:40)", the last error, "back-offs: none", then every budget row with
    left of max, window, what counts, next allowed, gateway or smstui, and its smsc.md source."""
    app, open_health = _health_app(tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=open_health)


def test_health_screen_80x24(snap_compare, tmp_path):
    """80×24: the same report (the log file's path first), columns folded, nothing cut
    sideways; esc Back in the footer."""
    app, open_health = _health_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_health)
