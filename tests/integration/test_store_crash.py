"""Crash safety: SIGKILL a writer again and again; every change it reported survives.

A round is reported only after `apply` returned (journaled and fsync'd). Half of the kills
land at a random moment; the other half land exactly inside a checkpoint's write (a temp
file complete, its rename not done), so the test never depends on a random kill happening
to hit that window (on a loaded machine it may not, 30 times in a row).
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
import traceback

import pytest

from smstui.clock import FakeClock, SystemClock
from smstui.model import DeliveryState, Message, Provider, StatusChange
from smstui.store import Store

KILLS = 30
PER_ROUND = 40  # new messages per flush; the file grows, so later flushes take longer


def _pause_before_rename(out_fd: int) -> None:
    """In the child only: tell the parent "the temp file is written" and wait to be killed."""
    real_replace = os.replace

    def replace(src, dst):
        if ".tmp-" in os.fspath(src):
            os.write(out_fd, b"w\n")
            time.sleep(60)
        real_replace(src, dst)

    os.replace = replace  # type: ignore[assignment]


def _writer(path: str, out_fd: int, pause_in_write: bool) -> None:
    """Each round: insert messages, deliver the previous round's, record the round in the
    cursor, and only then report it ("everything up to here is on disk"); then checkpoint
    (partitions, manifest, journal trim), where half of the kills land."""
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
        os.write(out_fd, f"{r}\n".encode())
        if pause_in_write:  # wait inside the next checkpoint's first rename to be killed
            _pause_before_rename(out_fd)
            pause_in_write = False
        store.checkpoint()
        r += 1


def _run_and_kill(path: str, rng: random.Random, in_write: bool) -> int:
    """Fork a writer (a real process, without interpreter start-up), SIGKILL it: at a random
    moment, or (in_write) once a checkpoint has written a temp file and not renamed it."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            os.close(read_fd)
            _writer(path, write_fd, pause_in_write=in_write)
        except BaseException:
            traceback.print_exc()  # the parent's assertion then has a cause to show
            sys.stderr.flush()
        finally:
            os._exit(1)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        first = pipe.readline()  # the writer is up and has reported a round
        assert first, "writer died before its first round"
        if in_write:
            assert pipe.readline() == b"w\n", "writer died before pausing in a write"
        else:
            time.sleep(rng.uniform(0.0, 0.2))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        rest = [x for x in pipe.read().split() if x != b"w"]
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return int(rest[-1]) if rest else int(first)


@pytest.mark.slow
def test_sigkill_never_loses_a_reported_change(tmp_path) -> None:
    path = str(tmp_path / "cache")
    rng = random.Random(5)
    started = time.perf_counter()
    random_hits = 0
    for kill in range(KILLS):
        in_write = kill % 2 == 1
        reported = _run_and_kill(path, rng, in_write)
        # A temp file left behind means the kill landed inside write_atomic.
        temp_left = any(".tmp-" in p.name for p in (tmp_path / "cache").rglob("*"))
        assert temp_left or not in_write
        random_hits += temp_left and not in_write
        with Store.open(path, clock=FakeClock(), readonly=True) as store:
            assert store.notices == [], f"kill {kill}: {store.notices}"
            on_disk = store.get_cursor("round")
            # A kill after apply() but before the report may keep one more round, never less.
            assert on_disk >= reported, f"kill {kill}: a reported round was lost"
            # apply() and set_cursor() are two journal records: a kill between them keeps
            # the round's messages without its cursor, never the other way round.
            applied = len(store) // PER_ROUND - 1
            assert applied in (on_disk, on_disk + 1), f"kill {kill}: {len(store)} messages"
            assert len(store) == (applied + 1) * PER_ROUND
            counts = store.counts_by_state("acc")
            # A kill right after the first round leaves nothing delivered yet (no key at all).
            assert counts.get(DeliveryState.DELIVERED, 0) == applied * PER_ROUND, counts
            assert counts[DeliveryState.QUEUED] == PER_ROUND
            if on_disk >= 1:  # the timelines made it too: queued in one round, delivered next
                tl = store.timeline(("acc", f"{on_disk - 1}-{kill % PER_ROUND}", "7999"))
                assert [c.state for c in tl] == [DeliveryState.QUEUED, DeliveryState.DELIVERED]
    temps = [p for p in (tmp_path / "cache").rglob("*") if ".tmp-" in p.name]
    assert len(temps) <= 1  # at most the last killed writer's; the next writer sweeps it
    elapsed = time.perf_counter() - started
    print(f"{KILLS} kills ({KILLS // 2} inside a write by design, {random_hits} of the random "
          f"ones too) in {elapsed:.1f} s")  # fmt: skip
