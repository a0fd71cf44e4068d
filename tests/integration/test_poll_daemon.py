"""`smstui poll` as a process: a line per cycle, one writer, --cached readers, SIGTERM flushes."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from cli_run import Cli, read_line

pytestmark = pytest.mark.slow

CLI = Cli(SMSTUI_TEST_PW="demo")
smstui, run = CLI.start, CLI.run


@pytest.fixture
def emulator_url():
    with CLI.emulator("--messages", "300", "--rate", "30", "--speed", "30") as running:
        yield running


def write_config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\n'
        f'login = "demo"\npassword_env = "SMSTUI_TEST_PW"\n'
        f'[cache]\ndir = "{tmp_path / "cache"}"\n[poll]\nflush_interval_s = 0.5\n',
        encoding="utf-8",
    )
    return path


def test_daemon_writes_readers_follow_and_sigterm_flushes(emulator_url, tmp_path):
    url, emulator = emulator_url
    config = str(write_config(tmp_path, url))
    daemon = smstui("poll", "--config", config)
    try:
        line = read_line(daemon)
        assert line.count("requests") == 1 and "changes applied" in line and "budget left" in line
        cache = tmp_path / "cache" / "cache.json"
        for _ in range(100):
            if cache.exists():
                break
            time.sleep(0.1)

        # A second writer on the same cache refuses clearly instead of corrupting it.
        second = run("poll", "--once", "--config", config)
        assert second.returncode != 0 and "already being written" in second.stderr
        assert "Traceback" not in second.stderr

        # Readers use the cache while the daemon runs, without touching the network.
        history = run("history", "--cached", "--json", "--limit", "5", "--config", config)
        assert history.returncode == 0, history.stderr
        rows = json.loads(history.stdout)
        assert 1 <= len(rows) <= 5 and all(r["account"] == "main" for r in rows)
        status = run("status", rows[0]["message_id"], "--phone", rows[0]["phone"], "--cached",
                     "--json", "--config", config)  # fmt: skip
        assert status.returncode == 0, status.stderr
        (found,) = json.loads(status.stdout)
        assert found["message"]["message_id"] == rows[0]["message_id"] and found["timeline"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=20) == 0
    assert "Traceback" not in daemon.stderr.read()

    # With the gateway gone, the cache still answers.
    emulator.terminate()
    emulator.wait(timeout=10)
    again = run("history", "--cached", "--json", "--config", config)
    assert again.returncode == 0 and len(json.loads(again.stdout)) >= len(rows)
    live = run("balance", "--config", config)
    assert live.returncode == 3  # network error: the emulator is down
