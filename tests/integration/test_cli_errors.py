"""The CLI as scripts meet it: JSON errors with --json, exit codes, a closed pipe, warnings."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_run import run_in_process
from smstui.store import Store

PASSWORD = "Pa55-word-42"
KEYS = {"provider", "code", "message", "class"}


def write_config(path: Path, base_url: str, *, password: str = PASSWORD, extra: str = "") -> str:
    path.write_text(
        f'[cache]\ndir = "{path.parent / "cache"}"\n\n[[accounts]]\nname = "smsc"\n'
        f'provider = "smsc"\nbase_url = "{base_url}"\nlogin = "demo"\npassword = "{password}"\n'
        f"timeout = 3\n{extra}",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


@pytest.fixture
async def emu(make_emulator):
    async with make_emulator(seed=1, messages=60, rate=0, accounts=(f"demo:{PASSWORD}",)) as e:
        yield e


async def run(capsys, *argv: str) -> tuple[int, str, str]:
    return await run_in_process(capsys, *argv, hidden=(PASSWORD,))


def error_doc(out: str) -> dict[str, object]:
    doc = json.loads(out)  # the whole of stdout is the one JSON document
    assert set(doc) == {"error"} and set(doc["error"]) == KEYS
    return doc["error"]


async def test_every_command_with_json_reports_its_error_as_json(emu, tmp_path, capsys) -> None:
    good = write_config(tmp_path / "good.toml", emu.base_url)
    wrong = write_config(tmp_path / "wrong.toml", emu.base_url, password="not-it")
    (tmp_path / "down").mkdir()
    down = write_config(tmp_path / "down" / "c.toml", "http://127.0.0.1:9")
    permanent = next(r for r in emu.truth() if r["provider"] == "smsc" and r["status"] == 25)
    cases = [
        # (argv, exit code, provider, code, class)
        (["balance", "--config", wrong], 1, "smsc", 2, "configuration"),
        (["status", "999999", "--phone", "79160000000", "--config", good], 1, "smsc", None,
         "unknown"),
        (["history", "--config", down], 3, "smsc", None, "temporary"),
        (["lookup", "79161234567", "--hlr", "--config", good], 2, None, None, "configuration"),
        (["send", "79161234567", "hi", "--config", good], 2, None, None, "configuration"),
        (["resend", str(permanent["id"]), "--phone", permanent["phone"], "--yes", "--config",
          good], 2, None, None, "permanent"),
    ]  # fmt: skip
    for argv, exit_code, provider, code, klass in cases:
        status, out, err = await run(capsys, *argv, "--json")
        error = error_doc(out)
        assert (status, error["provider"], error["code"], error["class"]) == (
            exit_code, provider, code, klass,
        ), argv  # fmt: skip
        assert error["message"] and "smstui: " not in err, argv  # not printed twice
        # Without --json the same failure is a line on stderr (stdout: at most the table of
        # not-found rows `status` prints).
        status, out, err = await run(capsys, *argv)
        assert status == exit_code and not out.lstrip().startswith("{"), argv
        assert err.strip().splitlines()[-1].startswith("smstui: "), argv


async def test_a_cache_held_by_another_writer_is_local_state_exit_4(tmp_path, capsys) -> None:
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    holder = Store.open(tmp_path / "cache")  # another process's writer, as far as poll can tell
    try:
        code, _, err = await run(capsys, "poll", "--once", "--config", config)
    finally:
        holder.close()
    assert code == 4 and "already being written by another smstui process" in err


async def test_an_unwritable_cache_dir_is_local_state_exit_4(tmp_path, capsys) -> None:
    (tmp_path / "cache").write_text("a file where the cache directory should be")
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    code, _, err = await run(capsys, "poll", "--once", "--config", config)
    assert code == 4 and "cannot create" in err


def head_1(argv: list[str]) -> tuple[bytes, int, bytes]:
    """`smstui … | head -1`: read one line, close the pipe, collect stderr and the status."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smstui", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read()
    return first, proc.wait(timeout=60), err


async def test_history_into_a_closed_pipe_ends_quietly_with_141(make_emulator, tmp_path) -> None:
    async with make_emulator(seed=2, messages=1500, rate=0, accounts=(f"demo:{PASSWORD}",)) as e:
        config = write_config(tmp_path / "c.toml", e.base_url)
        # 1000 rows are ~100 KB: more than a pipe holds, so the writer meets the closed end.
        argv = ["history", "--limit", "1000", "--config", config]
        first, code, err = await asyncio.to_thread(head_1, argv)
    assert first.startswith(b"ID")
    assert code == 141, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err and b"Exception ignored" not in err


async def test_insecure_config_warning_is_one_line(tmp_path, capsys) -> None:
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9")
    Path(config).chmod(0o644)
    code, _, err = await run(capsys, "status", "1", "--cached", "--config", config)
    warning = [line for line in err.splitlines() if "readable by other users" in line]
    assert len(warning) == 1 and warning[0].startswith("smstui: warning: ")
    assert "warnings.warn" not in err and "InsecureConfigWarning" not in err
    assert code == 2  # (no cache yet: a usage error, after the warning)
