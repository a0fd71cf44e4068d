"""Ctrl-C on `poll`/`emulate` exits 130 (SIGTERM 0); `emulate` says how to log in; a timeout
names how long the command really ran."""

from __future__ import annotations

import asyncio
import math
import re
import signal
import time
import tomllib

from cli_run import Cli, read_until
from smstui.cli import main
from smstui.config import parse_config

smstui = Cli().start


def test_emulate_prints_its_login_and_a_config_and_ctrl_c_exits_130(tmp_path):
    proc = smstui("emulate", "--messages", "20", "--account", "bob:Bob-Secret-1")
    try:
        out = read_until(proc, "dir = ")
        url = re.search(r"listening on (http://\S+)", out)
        assert url is not None and out.startswith("smstui emulator listening on")
        assert 'accepts login "demo", password "demo"' in out and "bob" in out
        assert "Bob-Secret-1" not in out  # a password given on the command line is not echoed
        snippet = tomllib.loads(out[out.index("[[accounts]]") :])
        config = parse_config(snippet)  # pastes as it is: every key known
        assert [(a.provider.value, a.base_url) for a in config.accounts] == [
            ("smsc", url.group(1)),
            ("webcom", url.group(1)),
        ]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    _, err = proc.communicate()
    assert "Traceback" not in err and "Bob-Secret-1" not in err


def test_poll_ctrl_c_exits_130_after_flushing(tmp_path):
    emulator = smstui("emulate", "--messages", "50")
    try:
        url = read_until(emulator, "listening on").split()[-1]
        config = tmp_path / "config.toml"
        config.write_text(
            f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{url}"\n'
            f'login = "demo"\npassword = "demo"\n[cache]\ndir = "{tmp_path / "cache"}"\n',
            encoding="utf-8",
        )
        config.chmod(0o600)
        poll = smstui("poll", "--config", str(config))
        try:
            read_until(poll, "requests")  # one cycle done
            poll.send_signal(signal.SIGINT)
            assert poll.wait(timeout=20) == 130
        finally:
            if poll.poll() is None:
                poll.kill()
        _, err = poll.communicate()
        assert "Traceback" not in err
        assert (tmp_path / "cache" / "manifest.json").exists()  # flushed on the way out
    finally:
        emulator.kill()
        emulator.wait(timeout=10)


async def test_a_timeout_names_the_time_the_command_took(make_emulator, tmp_path, capsys):
    # Every request hangs; each try waits 0.5 s, reads are tried 3 times with back-offs.
    async with make_emulator(messages=5, faults="timeout=1.0", fault_timeout_s=20) as emu:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{emu.base_url}"\n'
            f'login = "demo"\npassword = "demo"\ntimeout = 0.5\n'
            f'[cache]\ndir = "{tmp_path / "cache"}"\n',
            encoding="utf-8",
        )
        config.chmod(0o600)
        started = time.monotonic()
        code = await asyncio.to_thread(main, ["balance", "--config", str(config)])
        took = time.monotonic() - started
    _, err = capsys.readouterr()
    assert code == 3 and took > 1.5  # three tries, not one
    found = re.fullmatch(
        r"smstui: network error: smsc: no answer within 0\.5 s \(smsc\.balance\); "
        r"gave up after (\d+) s\n",
        err,
    )
    assert found is not None, err
    # What the command really took (rounded up), never the 0.5 s of one try.
    assert 2 <= int(found.group(1)) <= math.ceil(took)
