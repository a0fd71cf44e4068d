"""Closing the terminal (SIGHUP) under `smstui demo` removes its temporary cache, as `q` does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = [
    pytest.mark.slow,  # ~6 s: a real demo in a real terminal
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_sighup_leaves_no_temporary_cache(tmp_path):
    temp, data = tmp_path / "tmp", tmp_path / "data"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "XDG_DATA_HOME": str(data), "TZ": "UTC"}
    tmux = ["tmux", "-L", f"smstui-hup-{uuid.uuid4().hex[:8]}"]  # a server with this env
    subprocess.run([*tmux, "new-session", "-d", "-x", "120", "-y", "36",
                    f"exec {sys.executable} -m smstui demo"], check=True, env=env)  # fmt: skip
    try:
        pid = int(subprocess.run([*tmux, "display", "-p", "#{pane_pid}"], capture_output=True,
                                 text=True, check=True).stdout)  # fmt: skip
        for _ in range(100):  # the demo is up: its cache exists and has been written
            caches = list(temp.glob("smstui-demo-*"))
            if caches and (caches[0] / "journal.log").exists():
                break
            time.sleep(0.1)
        assert caches, "the demo never made its temporary cache"
        time.sleep(1.0)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)  # the terminal closes: SIGHUP
    for _ in range(100):
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the demo did not exit on SIGHUP")
    assert list(temp.iterdir()) == []  # the temporary cache went with it
    assert (data / "smstui" / "demo.log").exists()  # the log stays, beside the demo's exports


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
