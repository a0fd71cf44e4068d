"""Regenerate screenshots/*.svg: the dashboard over seeded sample data on a FakeClock.

Run: /work/venv/bin/python scripts/export_screenshots.py [--out screenshots] [--check]
Every run writes byte-identical files (fixed data, clock, zone, theme and sizes); `--check`
only compares and exits 1 when a screenshot is out of date.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from smstui.clock import FakeClock
from smstui.model import DeliveryState, ErrorClass, Provider, Source, StatusChange
from smstui.policy import failure_class
from smstui.sample_data import (
    START,
    SampleController,
    fill_balances,
    make_messages,
    sample_config,
)
from smstui.store import Store
from smstui.ui.app import SmstuiApp, make_app
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.screens.help import HelpScreen
from smstui.ui.screens.resend import ResendScreen

ROOT = Path(__file__).resolve().parents[1]
Steps = Callable[[SmstuiApp, Store, object], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    """One screenshot: file name, terminal size, what to do first, the README caption."""

    name: str
    size: tuple[int, int]
    steps: Steps
    caption: str


async def until(pilot, condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition()` holds (a state, never a time)."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause()
    raise RuntimeError(f"screenshot setup never reached: {what}")


def live_changes(store: Store) -> None:
    """A few status changes so the live feed has something to show (since launch: the feed
    counts earlier ones in its summary line instead)."""
    rows = store.messages_sorted()
    pending = [m for m in rows[:40] if not m.state.is_final][:6]
    for i, m in enumerate(pending):
        failed = i % 3 == 2
        state = DeliveryState.FAILED if failed else DeliveryState.DELIVERED
        change = StatusChange(
            m.account, m.message_id, state, "20" if failed else "1", START - 4 + i * 0.5,
            Source.WEBHOOK if i % 2 else Source.POLL, 6 if failed else None, m.phone,
        )  # fmt: skip
        store.apply([change])


def _failed(store: Store, klass: ErrorClass) -> object:
    for m in store.messages_sorted():
        failed = m.state is DeliveryState.FAILED and m.provider is Provider.SMSC
        if failed and failure_class(m) is klass:
            return m
    raise RuntimeError("the sample data has no such failure")


async def main_view(app, store, pilot) -> None:
    """The dashboard as it opens, with a live feed."""
    live_changes(store)
    await until(pilot, lambda: len(app.main_screen.feed.entries) >= 6, "feed entries")


async def detail_view(app, store, pilot) -> None:
    """The detail of a permanently failed message."""
    target = _failed(store, ErrorClass.PERMANENT)
    app.main_screen.history.select_key(target.key)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, DetailScreen), "detail view")


async def resend_modal(app, store, pilot) -> None:
    """The confirmation before resending a temporary failure."""
    target = _failed(store, ErrorClass.TEMPORARY)
    app.main_screen.history.select_key(target.key)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ResendScreen), "resend modal")


async def filter_active(app, store, pilot) -> None:
    """A field filter narrowing the history."""
    live_changes(store)
    await pilot.press("slash", *"state:failed op:mts", "enter")
    await until(pilot, lambda: "state:failed" in app.main_screen.filter_text, "filter")


async def help_screen(app, store, pilot) -> None:
    """The ? screen."""
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")


SHOTS = (
    Shot("main-120x36.svg", (120, 36), main_view,
         "The dashboard: balances with burn rate and runway, campaign strip, history, live feed"),
    Shot("main-80x24.svg", (80, 24), main_view,
         "The same at 80×24: panes stack, one-line balances, the feed under the history"),
    Shot("detail-failed.svg", (120, 36), detail_view,
         "Detail of a failed message: the error explained, its class and what to do, timeline"),
    Shot("resend-modal.svg", (120, 36), resend_modal,
         "Resend asks first: phone, text, parts and cost; permanent failures need an override"),
    Shot("filter-active.svg", (120, 36), filter_active,
         "Filter with field syntax (state:failed op:mts): the title names the active filter"),
    Shot("help.svg", (120, 36), help_screen,
         "? lists every key and the filter syntax"),
)  # fmt: skip


async def render(shot: Shot, folder: Path) -> str:
    """Run a fresh app over fresh sample data, do the shot's steps, return the SVG."""
    clock = FakeClock(START)
    store = Store.open(folder / "cache.json", clock=clock)
    try:
        store.apply(make_messages(400))
        fill_balances(store, clock.now())
        app = make_app(
            store=store, controller=SampleController(store, clock), clock=clock,
            config=sample_config(folder), tz=UTC, settings_dir=folder, driver_size=shot.size,
        )  # fmt: skip
        async with app.run_test() as pilot:
            await pilot.pause()
            await shot.steps(app, store, pilot)
            app.clear_notifications()  # toasts time out in real time: keep them out
            await pilot.pause()
            return app.export_screenshot(title=f"smstui — {shot.caption}")
    finally:
        store.close()


async def main() -> int:
    """Write (or, with --check, compare) every screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    args = parser.parse_args()
    os.environ.pop("NO_COLOR", None)  # screenshots are in colour whatever the shell says
    # ... and in truecolour: on TERM=xterm (16 colours) the app swaps colours that round to red
    os.environ.update(TERM="xterm-256color", COLORTERM="truecolor")
    stale = []
    for shot in SHOTS:
        with tempfile.TemporaryDirectory() as tmp:
            svg = await render(shot, Path(tmp))
        target = args.out / shot.name
        if args.check:
            if not target.exists() or target.read_text("utf-8") != svg:
                stale.append(shot.name)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        target.write_text(svg, "utf-8")
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
              f"{shot.caption}")  # fmt: skip
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
