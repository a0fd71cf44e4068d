"""Crash safety: SIGKILL a writer mid-flush again and again; every flushed change survives."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest

from smstui.clock import FakeClock, SystemClock
from smstui.model import DeliveryState, Message, Provider, StatusChange
from smstui.store import Store

KILLS = 30
PER_ROUND = 40  # new messages per flush; the file grows, so later flushes take longer


def _writer(path: str, out_fd: int) -> None:
    """Each round: insert messages, deliver the previous round's, record the round in the
    cursor, flush, and only then report the round ("everything up to here is on disk")."""
    store = Store.open(path, clock=SystemClock())
    r = store.get_cursor("round", -1) + 1
    while True:
        batch: list[Message | StatusChange] = [
            Message("acc", Provider.SMSC, f"{r}-{j}", "7999", DeliveryState.QUEUED,
                    text="x" * 40, sent_at=1.0e9 + r, updated_at=1.0e9 + r)
            for j in range(PER_ROUND)
        ]  # fmt: skip
        batch += [
            StatusChange(
                "acc", f"{r - 1}-{j}", DeliveryState.DELIVERED, "1", 2.0e9 + r, phone="7999"
            )
            for j in range(PER_ROUND)
        ]
        store.apply(batch)
        store.set_cursor("round", r)
        store.flush()
        os.write(out_fd, f"{r}\n".encode())
        r += 1


def _run_and_kill(path: str, rng: random.Random) -> int:
    """Fork a writer (a real process, without interpreter start-up), SIGKILL it mid-flush."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            os.close(read_fd)
            _writer(path, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        first = pipe.readline()  # the writer is up and has flushed once
        assert first, "writer died before its first flush"
        time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        rest = pipe.read().split()
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return int(rest[-1]) if rest else int(first)


@pytest.mark.slow
def test_sigkill_mid_flush_never_loses_flushed_changes(tmp_path) -> None:
    path = str(tmp_path / "cache.json")
    rng = random.Random(5)
    started = time.perf_counter()
    mid_write = 0
    for kill in range(KILLS):
        reported = _run_and_kill(path, rng)
        # A temp file left behind means the kill landed inside write_atomic.
        mid_write += any(".tmp-" in p.name for p in tmp_path.iterdir())
        with Store.open(path, clock=FakeClock(), readonly=True) as store:
            assert store.notices == [], f"kill {kill}: {store.notices}"
            on_disk = store.get_cursor("round")
            assert on_disk >= reported  # a kill after flush() but before print() is fine
            assert len(store) == (on_disk + 1) * PER_ROUND
            counts = store.counts_by_state("acc")
            assert counts[DeliveryState.DELIVERED] == on_disk * PER_ROUND
            assert counts[DeliveryState.QUEUED] == PER_ROUND
    temps = [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert len(temps) <= 1  # at most the last killed writer's; the next writer sweeps it
    assert mid_write >= 1, "the kills never landed inside a write: the test proves nothing"
    elapsed = time.perf_counter() - started
    print(f"{KILLS} kills ({mid_write} inside a write) in {elapsed:.1f} s")
