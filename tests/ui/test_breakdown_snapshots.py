"""Snapshots of the breakdown screen (`s`); each docstring says what to look for.

Deterministic: the 200 sample messages, FakeClock, UTC, textual-dark, fixed sizes; the
screenshot is taken once the thread worker's result is on screen.
"""

from __future__ import annotations

from datetime import UTC

from conftest import START, FakeController, build_app, make_messages, ui_config
from smstui.clock import FakeClock
from smstui.store import Store
from smstui.ui.app import SmstuiApp, make_app
from smstui.ui.screens.breakdown import BreakdownScreen


def _over_midnight(tmp_path) -> SmstuiApp:
    """The sample app over 7 hours of sends ending 04:40 UTC: from 21:40 the day before."""
    clock = FakeClock(START)
    store = Store.open(tmp_path / "cache", clock=clock)
    store.apply(make_messages(200, span_s=7 * 3600))
    return make_app(store=store, controller=FakeController(store, clock), clock=clock,
                    config=ui_config(tmp_path), tz=UTC, settings_dir=tmp_path,
                    driver_size=(120, 36))  # fmt: skip


async def _until_computed(pilot) -> None:
    app = pilot.app
    for _ in range(500):
        if isinstance(app.screen, BreakdownScreen) and app.screen.result is not None:
            await pilot.pause()
            return
        await pilot.pause()
    raise AssertionError("the breakdown was never computed")


def _opened(*keys: str):
    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        await _until_computed(pilot)

    return run_before


def test_breakdown_120x36(snap_compare, tmp_path):
    """Header "Breakdown — whole cache · 200 messages · as of 04:40:00 UTC"; beside the tabs
    "refreshes every 10 s"; totals: 200
    messages, delivered 76.2% of 160 final, p50/p95 30 s, spent 690.00 RUB, on failures
    131.10 RUB (19.0%); the Operator tab: МегаФон, Билайн, МТС, Tele2 by Msgs ▼ with Deliv %,
    money and p50/p95; the table's subtitle says how it is sorted; two bar charts (Delivered %
    per 5 min with 100%/50%/0% labels, Messages sent per 5 min) with times on the x axis,
    "send time (UTC)"."""
    app = build_app(tmp_path)[0]
    assert snap_compare(app, terminal_size=(120, 36), run_before=_opened("s"))


def test_breakdown_80x24(snap_compare, tmp_path):
    """The same at 80×24: three totals lines fit, the table keeps Operator … p95 in view,
    the two charts sit side by side with their axes labelled."""
    app = build_app(tmp_path)[0]
    assert snap_compare(app, terminal_size=(80, 24), run_before=_opened("s"))


def test_breakdown_errors_of_a_filter(snap_compare, tmp_path):
    """After `/account:smsc-main` then `s` and `2`: the header names the filter and its whole
    history's size ("filter: account:smsc-main · 100 messages"); the Error tab lists each
    error with its code and explanation (err 6 · Subscriber offline, class temporary), the
    failures' share and the money spent on them."""
    app = build_app(tmp_path)[0]
    keys = ("slash", *"account:smsc-main", "enter", "s")

    async def run_before(pilot) -> None:
        await _opened(*keys)(pilot)
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_breakdown_no_color_80x24(snap_compare, tmp_path, monkeypatch):
    """Under NO_COLOR at 80×24 nothing depends on colour: the sort is ▼ in the header and
    named in the table's subtitle, the active tab is marked by the underline's shape, and the
    bars' heights and the axis labels carry the charts."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = build_app(tmp_path)[0]
    assert snap_compare(app, terminal_size=(80, 24), run_before=_opened("s"))


def test_breakdown_hours_across_midnight_120x36(snap_compare, tmp_path):
    """The Hour tab (`5`) over 7 hours of sends ending 04:40 UTC on 11-21: rows from
    "11-20 21:00" down to "11-21 04:00" in time order ("Send hour ▲", "By hour · 8 rows");
    the charts' time axes read "11-20 21:40" at the first tick and "11-21 …" where the day
    begins."""
    app = _over_midnight(tmp_path)

    async def run_before(pilot) -> None:
        await _opened("s")(pilot)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


def test_breakdown_hours_across_midnight_80x24(snap_compare, tmp_path):
    """The same at 80×24: the dated hours fit the name column, the freshness fits beside
    the tabs."""
    app = _over_midnight(tmp_path)

    async def run_before(pilot) -> None:
        await _opened("s")(pilot)
        await pilot.press("5")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
