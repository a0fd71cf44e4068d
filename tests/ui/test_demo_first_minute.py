"""`smstui demo`'s first minute: the newest history row is minutes old at most, changes since
launch are in the feed, and the screen carries no raw counter names (issue 12's acceptance).

The Pilot test runs the demo's real stack (emulator, receiver, poller, dashboard) headless and
always runs; the tmux test runs `smstui demo` in a real terminal at 120×36 when tmux exists.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import pytest

from smstui.cli import build_parser
from smstui.commands.demo import build_demo
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed

RAW_NAMES = re.compile(r"bad_400|hash_mismatch|_any\b|status_mass|rejected_403|not_found_404")
FRESH_S = 180.0  # "the first history row was sent within the last 3 minutes"


def _screen_text(app) -> str:
    return "\n".join(
        "".join(seg.text for seg in line) for line in app.screen._compositor.render_strips()
    )


async def test_demo_first_paint_is_live_and_readable(tmp_path):
    args = build_parser().parse_args(["demo", "--cache-dir", str(tmp_path)])
    app, store, _ = build_demo(args)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.screen.query_one(HistoryTable)
            feed = app.screen.query_one(LiveFeed)
            for _ in range(600):  # a state to reach, not a time: the first poll and a change
                if table.rows and feed.entries and app.controller.health().accounts:
                    break
                await asyncio.sleep(0.05)
            await pilot.pause()
            now = app.clock.now()
            newest = table.rows[0]
            assert table.selected is newest and table.following
            assert newest.sent_at is not None and now - newest.sent_at <= FRESH_S
            assert feed.entries and all(e.at >= feed.launched_at - 5 for e in feed.entries)
            app.tick()
            await pilot.pause()
            text = _screen_text(app)
            assert "History" in text and "Live feed" in text and "next poll" in text
            assert not RAW_NAMES.search(text), RAW_NAMES.search(text)
            await pilot.press("q")
    finally:
        store.close()


def _first_history_time(screen: str) -> str | None:
    """The time column of the first row under the history's header line."""
    lines = screen.splitlines()
    for i, line in enumerate(lines):
        if re.search(r"│time\s+account\s+phone", line) and i + 1 < len(lines):
            found = re.match(r"│(\S+(?: \S+)?)\s{2,}", lines[i + 1])
            return found.group(1) if found else None
    return None


@pytest.mark.slow  # ~8 s: a real terminal, a real demo
@pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"
)
def test_demo_in_a_real_terminal_after_six_seconds(tmp_path):
    session = f"smstui-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TZ": "UTC", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    command = f"{sys.executable} -m smstui demo --cache-dir {tmp_path / 'cache'}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36", command],
                   check=True, env=env)  # fmt: skip
    try:
        time.sleep(6.0)  # the acceptance criterion is about this moment
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        now = datetime.now(UTC)
        shown = _first_history_time(screen)
        assert shown is not None and re.fullmatch(r"\d\d:\d\d:\d\d", shown), screen
        sent = datetime.combine(now.date(), datetime.strptime(shown, "%H:%M:%S").time(), UTC)
        age = (now - sent).total_seconds() % 86400  # a row sent just before midnight
        assert age <= FRESH_S, f"first history row {shown} is {age:.0f} s old\n{screen}"
        assert "times in UTC" in screen
        assert not RAW_NAMES.search(screen), screen
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], check=False)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False, capture_output=True)
