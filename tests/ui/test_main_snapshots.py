"""Snapshot tests of the main view, grouped by feature; each docstring says what to look for."""

from __future__ import annotations

from conftest import START, build_app
from smstui.model import DeliveryState, Source, StatusChange
from smstui.ui.widgets.live_feed import LiveFeed


def _app(tmp_path, **kw):
    return build_app(tmp_path, **kw)[0]


def test_main_view_120x36(snap_compare, tmp_path):
    """Wide layout: balance (SMSC spending −120/h, lasts ~10 h), campaign strip with sparkline,
    history (newest first, operator column visible) beside an empty live feed, health line."""
    assert snap_compare(_app(tmp_path), terminal_size=(120, 36))


def test_main_view_80x24(snap_compare, tmp_path):
    """80×24: one-line balances, sparkline hidden, history full width, feed stacked under it."""
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24))


def test_filter_active(snap_compare, tmp_path):
    """After `/state:failed`: only failed rows (red), the history title names the filter."""
    assert snap_compare(
        _app(tmp_path), terminal_size=(120, 36), press=["slash", *"state:failed", "enter"]
    )


def test_filter_error(snap_compare, tmp_path):
    """A bad filter term: the input stays open with a red border and an error toast."""
    assert snap_compare(
        _app(tmp_path), terminal_size=(120, 36), press=["slash", *"state:bogus", "enter"]
    )


async def _until(pilot, condition, what: str, limit: int = 500) -> None:
    """Let the app run until `condition()` holds: waits for a state, never for a time."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
    raise AssertionError(f"the app never reached: {what}")


def _change(m, state, at, source, **kw) -> StatusChange:
    return StatusChange(m.account, m.message_id, state, "x", at, source, phone=m.phone, **kw)


def test_paused_feed_counts_new(snap_compare, tmp_path):
    """Feed shows 3 changes, then paused (yellow border) with '2 new' waiting in its title."""
    app, store, _ = build_app(tmp_path)

    async def run_before(pilot) -> None:
        await pilot.pause()  # the main screen composes after the first message
        feed = app.screen.query_one(LiveFeed)
        rows = store.messages_sorted()
        for i in range(3):
            store.apply([_change(rows[i], DeliveryState.DELIVERED, START + i, Source.POLL)])
        await _until(pilot, lambda: len(feed.entries) == 3, "3 changes in the feed")
        await pilot.press("space")
        await _until(pilot, lambda: feed.paused, "the feed paused")
        for i in range(3, 5):
            change = _change(rows[i], DeliveryState.FAILED, START + i, Source.WEBHOOK, error_code=6)
            store.apply([change])
        await _until(pilot, lambda: feed.waiting == 2, "2 changes waiting")
        assert "0 new" in str(feed.border_title)  # paused, the title holds still too …
        feed.refresh_summary()  # … until the screen's slow (5 s) tick moves the count
        app.clear_notifications()  # the "paused" toast times out in real time: keep it out
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_gateway_down(snap_compare, tmp_path):
    """Health line on a red background: SMSC GATEWAY DOWN with its last error, Webcom IP BLOCKED
    for 15 min; two red alert toasts (gateway down, IP blocked) raised on the first tick."""
    assert snap_compare(_app(tmp_path, down=True), terminal_size=(120, 36))


def test_low_balance(snap_compare, tmp_path):
    """SMSC at 45.00 RUB under its 100 threshold: red balance border, '⚠ 45.00 RUB LOW' and a
    'smsc-main: low balance' warning toast."""
    assert snap_compare(_app(tmp_path, low=100, smsc_end="45.00"), terminal_size=(120, 36))


def test_failed_only_80x24(snap_compare, tmp_path):
    """`f` at 80×24: only failures, the cursor on the first one, the title says 'failed only'."""
    assert snap_compare(_app(tmp_path), terminal_size=(80, 24), press=["f"])
