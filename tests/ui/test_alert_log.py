"""The `a` alert log: what was raised (newest first) and the thresholds behind it."""

from __future__ import annotations

from rich.console import Console

from conftest import START, build_app
from smstui.ui.screens.alert_log import AlertLogScreen, alert_report


def _text(renderable) -> str:
    console = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(renderable)
    return console.export_text()


async def test_alert_log_lists_raised_alerts_and_the_thresholds(tmp_path):
    app, _, _ = build_app(tmp_path, low=2000.0, down=True)  # low balance, gateway down, blocked
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.pause()
        kinds = [alert.kind for _, alert in app.alerts.log]
        assert {"low_balance", "gateway_down", "ip_blocked"} <= set(kinds)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AlertLogScreen)
        text = _text(alert_report(app.alerts, START))
        assert "failure spike: at least 20 final outcomes in the last 5 min" in text
        assert "2× the rate of the 1 h before and at least 20%" in text
        assert "low balance: smsc-main at or below 2 000.00" in text
        assert "not repeated within 5 min" in text
        assert f"alerts raised ({len(kinds)})" in text
        assert "now (04:40)" in text
        down = next(line for line in text.splitlines() if "gateway down:" in line)
        assert down.count("smsc-main") == 1, down  # the account column, not again in the alert
        newest = text.index(app.alerts.log[-1][1].subject)
        oldest = text.index(app.alerts.log[0][1].subject)
        assert newest < oldest  # newest first
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AlertLogScreen)


async def test_alert_log_says_when_nothing_was_raised(tmp_path):
    app, _, _ = build_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app.alerts.log
        text = _text(alert_report(app.alerts, START))
        assert "none since launch" in text and "low balance: no account" in text


def _alert_app(tmp_path):
    app, _, _ = build_app(tmp_path, low=2000.0, down=True)

    async def open_log(pilot) -> None:
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        app.clear_notifications()  # the toasts time out in real time: keep them out
        await pilot.pause()

    return app, open_log


def test_alert_log_120x36(snap_compare, tmp_path):
    """Thresholds in words (failure spike, smsc-main low balance ≤ 2000, one alert per kind and
    account per 5 min), then the alerts raised, newest first: when, level, account, text."""
    app, open_log = _alert_app(tmp_path)
    assert snap_compare(app, terminal_size=(120, 36), run_before=open_log)


def test_alert_log_80x24(snap_compare, tmp_path):
    """80×24: the same, long texts folded inside their column; esc Back in the footer."""
    app, open_log = _alert_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_log)
