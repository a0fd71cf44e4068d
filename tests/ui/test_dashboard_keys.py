"""Pilot tests of the rebuilt dashboard's keys: the footer, pasted numbers, Ctrl-C, the support
person's five keys, a remapped key, and the live gate (pause, low bandwidth)."""

from __future__ import annotations

import dataclasses
from datetime import UTC

import pytest
from textual import events
from textual.command import CommandPalette
from textual.widgets._footer import FooterKey

from conftest import START, build_app
from smstui.exit_codes import EXIT_INTERRUPTED
from smstui.model import DeliveryState, Source, StatusChange
from smstui.ui.app import make_app
from smstui.ui.widgets.health_line import HealthLine
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed

NUMBER = "79039227696"


def with_number(tmp_path, **kw):
    """The sample app plus one message to +7 903 922-76-96 (deep in the history)."""
    app, store, controller = build_app(tmp_path, **kw)
    older = store.messages_sorted()[150]
    store.apply([older.evolve(message_id="903-1", phone=NUMBER)])
    return app, store, controller


async def palette_hits(pilot, text: str, want: str) -> list[str]:
    """ctrl+p, paste `text` into the palette: its hits, once one of them contains `want`."""
    app = pilot.app
    await pilot.press("ctrl+p")
    for _ in range(20):
        await pilot.pause()
        if isinstance(app.screen, CommandPalette):
            break
    app.screen.query_one("CommandInput").post_message(events.Paste(text))
    prompts: list[str] = []
    for _ in range(60):  # the hits arrive asynchronously
        await pilot.pause(0.05)
        options = app.screen.query_one("CommandList")
        prompts = [str(options.get_option_at_index(i).prompt)
                   for i in range(options.option_count)]  # fmt: skip
        if any(want in p for p in prompts):
            break
    return prompts


async def footer_keys(pilot) -> list[tuple[str, str]]:
    """(key, action) of every key the footer shows, left to right."""
    await pilot.pause()
    keys = sorted(pilot.app.screen.query(FooterKey), key=lambda k: k.region.x)
    return [(k.key, k.action) for k in keys if k.region.width > 0]


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_the_footer_starts_with_help_and_quit_at_every_width(tmp_path, width):
    app, store, _ = build_app(tmp_path)
    async with app.run_test(size=(width, 30)) as pilot:
        shown = await footer_keys(pilot)
        assert shown[:2] == [("question_mark", "help"), ("q", "quit")], shown
        right = max(k.region.right for k in app.screen.query(FooterKey) if k.action == "quit")
        assert right <= width  # on screen, not cut off
    store.close()


async def test_a_remapped_key_stays_in_the_footer(tmp_path):
    app, store, _ = build_app(tmp_path)
    app.config = dataclasses.replace(app.config, keymap={"quit": "ctrl+q", "help": "f1"})
    async with app.run_test(size=(80, 24)) as pilot:
        shown = await footer_keys(pilot)
        assert shown[:2] == [("f1", "help"), ("ctrl+q", "quit")], shown
        await pilot.press("ctrl+c")
        await pilot.pause()
        texts = [n.message for n in app._notifications]
        assert any("(or ^q)" in t for t in texts), texts  # names the real key, as displayed
    store.close()


@pytest.mark.parametrize("typed", ["+7 903 922-76-96", "+79039227696", "89039227696",
                                   "phone:8 (903) 922 76 96"])  # fmt: skip
async def test_a_pasted_number_in_any_format_finds_its_row(tmp_path, typed):
    app, store, _ = with_number(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("slash")
        app.focused.post_message(events.Paste(typed))  # a terminal paste, not typed keys
        await pilot.pause()
        await pilot.press("enter")
        table = app.screen.query_one(HistoryTable)
        for _ in range(40):
            await pilot.pause()
            if [m.phone for m in table.rows] == [NUMBER]:
                break
        assert [m.message_id for m in table.rows] == ["903-1"], typed
    store.close()


async def test_the_support_person_reaches_a_number_in_three_keys(tmp_path):
    """ctrl+p, paste the number, enter: the history shows the number's message, selected."""
    app, store, _ = with_number(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        prompts = await palette_hits(pilot, "8 903 922-76-96", "Go to")
        assert prompts[0].startswith("Go to")
        await pilot.press("enter")
        table = app.screen.query_one(HistoryTable)
        for _ in range(40):
            await pilot.pause()
            if table.selected is not None and table.selected.phone == NUMBER:
                break
        assert table.selected is not None and table.selected.message_id == "903-1"
    store.close()


async def test_ctrl_c_asks_once_and_the_second_press_quits_with_130(tmp_path):
    app, store, _ = build_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running
        assert any("ctrl+c again" in n.message for n in app._notifications)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == EXIT_INTERRUPTED
    store.close()


def _delivered(message, at: float) -> StatusChange:
    return StatusChange(message.account, message.message_id, DeliveryState.DELIVERED, "x", at,
                        Source.POLL, phone=message.phone)  # fmt: skip


async def test_paused_the_history_and_feed_hold_still_and_catch_up_on_resume(tmp_path):
    app, store, _ = build_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        feed, table = app.screen.query_one(LiveFeed), app.screen.query_one(HistoryTable)
        target = next(m for m in store.messages_sorted() if m.state is DeliveryState.SENT)
        await pilot.press("space")
        assert feed.paused
        store.apply([_delivered(target, START + 1)])
        for _ in range(5):
            await pilot.pause()
        shown = next(m for m in table.rows if m.key == target.key)
        assert shown.state is DeliveryState.SENT and not feed.entries  # nothing moved
        await pilot.press("space")
        for _ in range(10):
            await pilot.pause()
        shown = next(m for m in table.rows if m.key == target.key)
        assert shown.state is DeliveryState.DELIVERED and len(feed.entries) == 1
    store.close()


async def test_low_bandwidth_shows_live_news_in_2_second_batches_and_says_so(tmp_path):
    built, store, controller = build_app(tmp_path)
    clock = built.clock
    config = dataclasses.replace(built.config, low_bandwidth=True)  # [ui] low_bandwidth = true
    app = make_app(store=store, controller=controller, clock=clock, config=config, tz=UTC,
                   settings_dir=tmp_path, driver_size=(120, 36))  # fmt: skip
    async with app.run_test() as pilot:
        await pilot.pause()
        feed = app.screen.query_one(LiveFeed)
        line = app.screen.query_one(HealthLine)
        assert "low bandwidth" in str(line.render())
        rows = [m for m in store.messages_sorted() if not m.state.is_final][:2]
        store.apply([_delivered(rows[0], START + 1)])  # the first batch shows at once
        for _ in range(5):
            await pilot.pause()
        assert len(feed.entries) == 1
        store.apply([_delivered(rows[1], START + 2)])  # the next waits out the 2 s
        for _ in range(5):
            await pilot.pause()
        assert len(feed.entries) == 1
        clock.advance(2.0)
        app.tick()
        for _ in range(5):
            await pilot.pause()
        assert len(feed.entries) == 2
    store.close()


async def test_the_palette_switches_low_bandwidth_and_the_health_line_says_so(tmp_path):
    app, store, _ = build_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        line = app.screen.query_one(HealthLine)
        assert "low bandwidth" not in str(line.render())
        prompts = await palette_hits(pilot, "low-bandwidth", "Low-bandwidth")
        assert prompts[0].startswith("Low-bandwidth")
        await pilot.press("enter")
        for _ in range(10):
            await pilot.pause()
        assert app.main_screen.gate.pace.low_bandwidth
        assert "low bandwidth" in str(line.render())
    store.close()


async def test_a_filter_with_no_rows_shows_no_new_rows_count(tmp_path):
    app, store, _ = build_app(tmp_path)
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(HistoryTable)
        await pilot.press("j", "j")  # away from the top: new rows are counted, not followed
        newest = store.messages_sorted()[0]
        store.apply([newest.evolve(message_id="fresh-1", sent_at=newest.sent_at + 5)])
        for _ in range(5):
            await pilot.pause()
        assert "↑ 1 new" in str(table.border_title)
        await pilot.press("slash", *"nomatchatall", "enter")
        for _ in range(10):
            await pilot.pause()
        assert not table.rows and "new" not in str(table.border_title)
        assert "0 rows" in str(table.border_title)
    store.close()


async def test_a_number_with_more_messages_than_the_palette_lists_offers_them_all(tmp_path):
    app, store, _ = build_app(tmp_path)
    rows = store.messages_sorted()
    store.apply([rows[20 + i].evolve(message_id=f"903-{i}", phone=NUMBER) for i in range(12)])
    async with app.run_test() as pilot:
        await pilot.pause()
        prompts = await palette_hits(pilot, "+7 903 922-76-96", "Show every message")
        assert sum(p.startswith("Go to") for p in prompts) == 10  # the newest ten …
        index = next(i for i, p in enumerate(prompts) if "Show every message" in p)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        table = app.screen.query_one(HistoryTable)
        for _ in range(40):
            await pilot.pause()
            if len(table.rows) == 12:
                break
        assert sorted(m.message_id for m in table.rows) == sorted(f"903-{i}" for i in range(12))
    store.close()
