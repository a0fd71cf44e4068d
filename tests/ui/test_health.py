"""The health line (a readable budget meter on one line) and the `h` health screen."""

from __future__ import annotations

import dataclasses
import re

from conftest import START, build_app
from smstui.budget import Budget, default_limits
from smstui.clock import FakeClock
from smstui.controller import AccountHealth, Backoff, HealthSnapshot
from smstui.model import Provider
from smstui.sample_data import sample_health
from smstui.ui.screens.health import HealthScreen, health_report
from smstui.ui.widgets.health_line import HealthLine, health_text
from smstui.webhook.counters import COUNTER_NAMES, fresh_counters

# Raw counter and budget row names, or a Unix time of these years (phones start with 7).
RAW_NAMES = re.compile(r"bad_400|hash_mismatch|_any\b|status_mass|rejected_403|\b1[6-9]\d{8}\b")


def _plain(markup: str) -> str:
    from textual.content import Content

    return Content.from_markup(markup).plain


def _screen_text(app) -> str:
    return "\n".join(
        "".join(seg.text for seg in line) for line in app.screen._compositor.render_strips()
    )


def _spent_history(now: float) -> AccountHealth:
    """An SMSC account whose hourly history budget is spent for the next 40 minutes."""
    clock = FakeClock(now - 1200)
    budget = Budget(clock, default_limits(Provider.SMSC))
    for _ in range(27):  # the margin row allows 27 an hour
        assert budget.try_spend("history", ("history", clock.now()))
        clock.advance(61)
    clock.set(now)
    return AccountHealth("smsc-main", "smsc", next_poll_at=now + 42,
                         limits=budget.limits_left(), rows=budget.rows_left())  # fmt: skip


def test_line_is_labelled_and_fits_one_line_at_120_and_80():
    snap = sample_health(START)
    for width in (118, 78):
        text = _plain(health_text(snap, START, width=width))
        assert len(text) <= width and "\n" not in text
        assert "smsc-main" in text and "webcom-ru" in text and "next poll 40 s" in text
        assert "status 1/1 per min" in text
        assert not RAW_NAMES.search(text)
    full = _plain(health_text(snap, START))
    assert "history 12/30 per h" in full and "balance 9/10 per min" in full
    assert "webhook ✓ 1 234 received · 3 rejected" in full


def test_a_problem_is_never_dropped_to_fit():
    down = sample_health(START, down=True)
    cache = dataclasses.replace(down, cache_problem="journal append failed: disk full")
    text = _plain(health_text(cache, START, action_error="resend refused", width=78))
    assert text.startswith("CACHE: journal append failed")
    assert "gateway down" in text and "blocked, ends in 15 min (04:55)" in text


def test_a_limit_holding_requests_back_is_coloured_with_when_it_frees():
    acc = _spent_history(START)  # 27 of the documented 30 spent: smstui's margin (27) is full
    line = health_text(HealthSnapshot(START, (acc,)), START)
    frees = next(x for x in acc.limits if x.endpoint == "history").next_allowed_at
    assert frees is not None and frees - START > 600
    assert "[$warning b]history 3/30 per h · next in " in line
    assert "status 1/1 per min" in _plain(line) and "$warning b]status" not in line
    quiet = health_text(sample_health(START), START)
    assert "$warning" not in quiet and "$error" not in quiet  # normal operation: no colour


async def test_health_screen_lists_every_row_backoff_counter_and_the_cache(tmp_path):
    app, store, controller = build_app(tmp_path)
    snap = sample_health(START, down=True)
    counters = {**fresh_counters(), "accepted": 1234, "bad_400": 2, "rejected_403": 1}
    counters["hash_mismatch"] = 1
    controller.snapshot = dataclasses.replace(snap, webhook_counters=counters)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HealthScreen)
        report = health_report(controller.snapshot, store.health(), START)
        from rich.console import Console

        console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
        console.print(report)
        text = console.export_text()
        for row in default_limits(Provider.SMSC):
            assert row.source in text  # every row names where its limit comes from
        assert "1 of 1" in text and "per h" in text and "smstui" in text
        assert "every request paused until in 15 min (04:55): error 4: this IP is blocked" in text
        assert "1 234 received · 3 rejected" in text
        assert "rejected: unreadable request" in text  # bad_400 in words
        assert not RAW_NAMES.search(text)
        assert f"messages in memory 200 of {store.total()}" in text and "journal" in text
        assert "problem: none" in text
        shown = _screen_text(app)
        assert "smsc-main" in shown and "budget" in shown and "source" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HealthScreen)


def test_every_counter_has_words():
    from smstui.webhook.counters import COUNTER_WORDS

    assert set(COUNTER_WORDS) == set(COUNTER_NAMES)


def test_backoffs_come_from_the_budget_with_reasons():
    clock = FakeClock(START)
    budget = Budget(clock, default_limits(Provider.SMSC))
    budget.penalise("status_mass", START + 300, "error 9: too many requests")
    budget.block_account(START + 900, "error 4: IP blocked")
    assert budget.backoffs() == (
        Backoff("*", START + 900, "error 4: IP blocked"),
        Backoff("status_mass", START + 300, "error 9: too many requests"),
    )
    clock.advance(301)
    assert [b.endpoint for b in budget.backoffs()] == ["*"]


async def test_main_view_shows_no_raw_counter_names_and_no_epochs(tmp_path):
    app, _, controller = build_app(tmp_path)
    counters = {**fresh_counters(), "accepted": 5, "bad_400": 1, "hash_mismatch": 2}
    controller.snapshot = dataclasses.replace(sample_health(START), webhook_counters=counters)
    async with app.run_test() as pilot:
        await pilot.pause()
        app.tick()
        await pilot.pause()
        text = _screen_text(app)
        assert not RAW_NAMES.search(text)
        line = str(app.screen.query_one(HealthLine).render())
        assert "\n" not in line
