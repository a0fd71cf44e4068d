"""The smstui CLI as child processes, run the way an operator's shell runs it (tests share this).

A test file makes one `Cli` with the environment its configs name (password and webhook
secret variables) and calls `start`, `run`, `run_async` or `emulator`; `read_line`,
`read_until` and `receiver_url` read what a running process prints.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from smstui.cli import main

COMMAND = (sys.executable, "-m", "smstui")
LISTENING = "smstui emulator listening on http://"  # `smstui emulate`'s first stdout line
RECEIVER = "webhook receiver on"  # `smstui poll --listen` says where on stderr


class Cli:
    """Runs smstui with one environment: plain (NO_COLOR), unbuffered, plus `extra`."""

    def __init__(self, **extra: str) -> None:
        # Unbuffered: a test reading a running process's lines must see each as it is printed.
        self.env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **extra}

    def start(self, *args: str, **popen: Any) -> subprocess.Popen[str]:
        """`smstui ARGS` running, stdout and stderr piped as text."""
        return subprocess.Popen(
            [*COMMAND, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            **popen,
        )

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`smstui ARGS` to its end, output captured as text."""
        return subprocess.run(
            [*COMMAND, *args], capture_output=True, text=True, env=self.env, timeout=timeout
        )

    async def run_async(self, *args: str, timeout: float = 60) -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of `smstui ARGS`, awaited: an emulator serving on this
        event loop keeps answering meanwhile."""
        proc = await asyncio.create_subprocess_exec(
            *COMMAND,
            *args,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    @contextmanager
    def emulator(self, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
        """`smstui emulate --port 0 ARGS` running: (its base URL, the process); stopped after."""
        proc = self.start("emulate", "--port", "0", *args)
        try:
            line = read_line(proc)
            assert line.startswith(LISTENING), line
            yield line.rsplit(" ", 1)[-1], proc
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


def read_line(proc: subprocess.Popen[str], deadline_s: float = 30) -> str:
    """The next non-empty stdout line, stripped; fails when the process ends first."""
    assert proc.stdout is not None
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if line:
            return line.strip()
        if proc.poll() is not None:
            break
    raise AssertionError(f"no output; stderr: {proc.stderr.read() if proc.stderr else ''}")


def read_until(proc: subprocess.Popen[str], marker: str, deadline_s: float = 30) -> str:
    """Stdout lines up to and including the first holding `marker`."""
    assert proc.stdout is not None
    seen = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} never printed: {''.join(seen)}")


def receiver_url(proc: subprocess.Popen[str], deadline_s: float = 30) -> str:
    """The webhook receiver's URL from `smstui poll --listen`'s stderr."""
    assert proc.stderr is not None
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if RECEIVER in line:
            return line.strip().rsplit(" ", 1)[-1]
        if not line and proc.poll() is not None:
            break
    raise AssertionError(f"no receiver line; exit {proc.poll()}")


async def run_in_process(
    capsys: pytest.CaptureFixture[str], *argv: str, hidden: Iterable[str] = ()
) -> tuple[int, str, str]:
    """`smstui ARGV` in this process (a worker thread: it calls asyncio.run) → (exit code,
    stdout, stderr); never a traceback, and none of the `hidden` strings (passwords) printed."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    for secret in hidden:
        assert secret not in out + err
    return code, out, err
