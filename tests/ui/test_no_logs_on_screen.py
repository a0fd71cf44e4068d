"""Issue 17's acceptance: no log text ever reaches the screen of a running dashboard.

The real `smstui` dashboard runs in tmux (120×36) against a real emulator process. First the
emulator is killed under it, then (another run) the password is wrong: the pane, captured every
0.2 s, never shows a log line, the dashboard itself says the gateway is down, `h` names the log
file, and that file holds the warnings.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,  # ~25 s: two real dashboards in a real terminal
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

LOG_TEXT = re.compile(r"WARNING|ERROR|CRITICAL|Traceback|smstui\.\w+: |aiohttp|py\.warnings")
ENV = {**os.environ, "TZ": "UTC", "TERM": "xterm-256color", "PYTHONUNBUFFERED": "1"}
ENV.pop("NO_COLOR", None)


@pytest.fixture
def emulator() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smstui", "emulate", "--port", "0", "--messages", "300"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("smstui emulator listening on http://"), line
        yield line.rsplit(" ", 1)[1], proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


def _config(tmp_path: Path, url: str, password: str) -> tuple[Path, Path]:
    cache = tmp_path / "cache"
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\nlogin = "demo"\n'
        f'password = "{password}"\ntimeout = 1\n[cache]\ndir = "{cache}"\n'
        "[poll]\nstatus_interval_s = 1\nbalance_interval_s = 1\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path, cache


class Pane:
    """A dashboard in its own tmux session; every capture is checked for log text."""

    def __init__(self, config: Path) -> None:
        # A tmux server of its own: a running one would start the dashboard with its own
        # environment, not this test's.
        self.tmux = ["tmux", "-L", f"smstui-logs-{uuid.uuid4().hex[:8]}"]
        command = f"{sys.executable} -m smstui --config {config}"
        subprocess.run([*self.tmux, "new-session", "-d", "-x", "120", "-y", "36", command],
                       check=True, env=ENV)  # fmt: skip
        self.captures = 0

    def capture(self) -> str:
        screen = subprocess.run([*self.tmux, "capture-pane", "-p"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        self.captures += 1
        found = LOG_TEXT.search(screen)
        assert found is None, f"log text {found.group()!r} on screen:\n{screen}"
        return screen

    def watch(self, seconds: float, until: str | None = None) -> str:
        """Capture every 0.2 s for `seconds` (or until `until` shows); the last screen."""
        end = time.monotonic() + seconds
        screen = self.capture()
        while time.monotonic() < end:
            if until is not None and until in screen:
                return screen
            time.sleep(0.2)
            screen = self.capture()
        assert until is None, f"{until!r} never showed:\n{screen}"
        return screen

    def press(self, key: str) -> None:
        subprocess.run([*self.tmux, "send-keys", key], check=True)

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


def _log_file_shown(pane: Pane, cache: Path) -> None:
    pane.press("h")
    screen = pane.watch(5, until="log file:")
    assert f"log file: {cache / 'smstui.log'}" in screen, screen
    pane.press("escape")


def test_emulator_killed_under_the_dashboard_no_log_text(tmp_path, emulator):
    url, emu = emulator
    config, cache = _config(tmp_path, url, "demo")
    pane = Pane(config)
    try:
        pane.watch(20, until="History")
        pane.watch(3)  # polling works: a few cycles on screen
        emu.send_signal(signal.SIGKILL)
        emu.wait(timeout=10)
        pane.watch(30, until="gateway down")  # the dashboard says so itself
        pane.watch(4)  # and keeps retrying, still without a line of log on screen
        _log_file_shown(pane, cache)
        pane.watch(1)
        assert pane.captures > 40
    finally:
        pane.close()
    log = (cache / "smstui.log").read_text(encoding="utf-8")
    assert "WARNING smstui." in log


def test_wrong_password_no_log_text(tmp_path, emulator):
    url, _ = emulator
    config, cache = _config(tmp_path, url, "wrong-Secret-7")
    pane = Pane(config)
    try:
        pane.watch(20, until="History")
        pane.watch(8)  # the failed logins and the pause they cause
        _log_file_shown(pane, cache)
        pane.watch(1)
    finally:
        pane.close()
    log = (cache / "smstui.log").read_text(encoding="utf-8")
    assert "WARNING smstui." in log and "wrong-Secret-7" not in log
