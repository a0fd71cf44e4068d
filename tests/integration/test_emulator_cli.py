"""`smstui emulate` as a real process: fast start, the announced URL works, SIGTERM stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx


def test_emulate_starts_fast_serves_and_stops_on_sigterm():
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smstui",
            "emulate",
            "--port",
            "0",
            "--seed",
            "3",
            "--messages",
            "500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        elapsed = time.monotonic() - started
        assert line.startswith("smstui emulator listening on http://127.0.0.1:")
        assert elapsed < 2.0, elapsed
        base = line.rsplit(" ", 1)[1]
        r = httpx.get(f"{base}/sys/balance.php", params={"login": "demo", "psw": "demo", "fmt": 3})
        assert "balance" in r.json()
        stats = httpx.get(f"{base}/_emulator/stats").json()
        assert stats["requests"] == {"smsc.balance": 1}
        assert sum(stats["messages_by_state"]["smsc"].values()) >= 500
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_emulate_rejects_bad_faults_with_usage_exit():
    proc = subprocess.run(
        [sys.executable, "-m", "smstui", "emulate", "--faults", "meteor=0.5"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 2 and "meteor" in proc.stderr


def test_emulate_push_format_flag_reaches_the_options():
    import argparse

    from smstui.commands import emulate

    parser = argparse.ArgumentParser()
    emulate.register(parser.add_subparsers())
    args = parser.parse_args(
        ["emulate", "--webcom-push-format", "xml", "--webcom-blocked", "a", "--webcom-blocked", "b"]
    )
    assert emulate.options_from(args).webcom_push_format == "xml"
    assert emulate.options_from(args).webcom_blocked == ("a", "b")
    assert emulate.options_from(parser.parse_args(["emulate"])).webcom_push_format == "json"
