"""A real `smstui poll --listen` while another process holding the journal's lock is frozen
(SIGSTOP): pushes get 503 within seconds instead of hanging, SIGTERM still stops it within
5 s, and once the other process lets go pushes are acknowledged again; nothing acknowledged
is lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest
from test_cache_durability import FORM, push_body, receiver_url, smstui, write_config

from smstui.commands._cache import open_cache
from smstui.config import load_config
from smstui.store.lock import LOCK_WAIT_S

pytestmark = pytest.mark.slow

HOLDER = textwrap.dedent("""
    import fcntl, os, sys
    while True:  # the file at the path, locked (a trim may rename a new one in meanwhile)
        fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.path.samestat(os.fstat(fd), os.stat(sys.argv[1])):
            break
        os.close(fd)
    print("held", flush=True)
    sys.stdin.readline()
""")


class FrozenHolder:
    """Another process that took the journal's lock and was then stopped (Ctrl-Z)."""

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "held"
        self.proc.send_signal(signal.SIGSTOP)

    def release(self) -> None:
        """SIGCONT, then let go of the lock and exit."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


def push(url: str, mid: str) -> tuple[int, float]:
    """A signed SMSC status push for a new id; (HTTP status, seconds it took)."""
    started = time.monotonic()
    r = httpx.post(f"{url}/smsc", content=push_body(mid, f"7916{int(mid):07d}", "1"),
                   headers=FORM, timeout=30)  # fmt: skip
    return r.status_code, time.monotonic() - started


def test_a_frozen_lock_holder_means_503_not_a_hang_and_sigterm_still_stops(
    tmp_path, monkeypatch
) -> None:
    config_path = write_config(tmp_path, "http://127.0.0.1:9")  # no gateway: pushes only
    for name, value in (("SMSTUI_TEST_PW", "demo"),
                        ("SMSTUI_TEST_HOOK", "hook-secret-for-tests")):  # fmt: skip
        monkeypatch.setenv(name, value)
    journal = tmp_path / "cache" / "journal.log"
    daemon = smstui("poll", "--config", str(config_path), "--listen", "127.0.0.1:0")
    holders: list[FrozenHolder] = []
    try:
        url = receiver_url(daemon)
        assert push(url, "1")[0] == 200 and journal.exists()

        holders.append(FrozenHolder(journal))
        status, took = push(url, "2")
        assert status == 503 and took < LOCK_WAIT_S + 2.0, (status, took)
        status, took = push(url, "3")  # the holder is known to be stuck: answered faster
        assert status == 503 and took < 1.5, (status, took)

        holders[-1].release()
        status, took = push(url, "4")
        assert status == 200 and took < 2.0, (status, took)  # acknowledged again

        holders.append(FrozenHolder(journal))
        assert push(url, "5")[0] == 503
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        stopped = time.monotonic() - started
        assert stopped < 5.0, f"SIGTERM took {stopped:.1f} s with the lock held"
        assert daemon.returncode == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
        for holder in holders:
            holder.release()
    assert "Traceback" not in (daemon.stderr.read() if daemon.stderr else "")
    store = open_cache(load_config(config_path))
    try:  # every acknowledged push is cached; the refused ones are not (the gateway retries)
        cached = {m for m in ("1", "2", "3", "4", "5") if store.find("main", m)}
    finally:
        store.close()
    assert cached == {"1", "4"}


def test_sigterm_right_after_the_freeze_stops_within_5_s_and_keeps_the_journal(
    tmp_path, monkeypatch
) -> None:
    """No append has timed out yet, so the shutdown checkpoint is the first to wait."""
    config_path = write_config(tmp_path, "http://127.0.0.1:9")
    for name, value in (("SMSTUI_TEST_PW", "demo"),
                        ("SMSTUI_TEST_HOOK", "hook-secret-for-tests")):  # fmt: skip
        monkeypatch.setenv(name, value)
    journal = tmp_path / "cache" / "journal.log"
    daemon = smstui("poll", "--config", str(config_path), "--listen", "127.0.0.1:0")
    holder = None
    try:
        url = receiver_url(daemon)
        assert push(url, "1")[0] == 200
        holder = FrozenHolder(journal)
        before = journal.read_bytes()  # nobody can append or trim now
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
        stopped = time.monotonic() - started
        assert stopped < 5.0, f"SIGTERM took {stopped:.1f} s with the lock held"
        assert daemon.returncode == 0
        assert journal.read_bytes() == before  # the durable copy is left as it was
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
        if holder is not None:
            holder.release()
    store = open_cache(load_config(config_path))
    try:
        assert store.find("main", "1")
    finally:
        store.close()
