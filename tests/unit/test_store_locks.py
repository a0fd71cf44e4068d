"""The cache's locks under real faults: lock files deleted while held, a journal replaced under
a waiting appender, and another process frozen (SIGSTOP) while it holds the journal's lock."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from store_support import T0, key, msg

from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.store import Store
from smstui.store.journal import HEADER_LEN, encode
from smstui.store.lock import LOCK_WAIT_S, LOOP_LOCK_WAIT_S, STALLED_LOCK_WAIT_S, LockTimeout

SLACK_S = 1.0  # scheduling on a shared 2-core machine
HOLDER = textwrap.dedent("""
    import fcntl, os, sys
    while True:  # the file at the path, locked (a trim may rename a new one in meanwhile)
        fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.path.samestat(os.fstat(fd), os.stat(sys.argv[1])):
            break
        os.close(fd)
    print("held", flush=True)
    if sys.stdin.readline().strip() == "replace":  # a trim's rename, under the lock
        tmp = sys.argv[1] + ".new"
        with open(sys.argv[1], "rb") as old, open(tmp, "wb") as new:
            new.write(old.read())
        os.replace(tmp, sys.argv[1])
""")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


class Holder:
    """Another process holding an flock on one file until told to let go."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "held"
        self.frozen = False

    def freeze(self) -> None:
        """Ctrl-Z, as a user would: the process keeps its lock and does nothing."""
        self.proc.send_signal(signal.SIGSTOP)
        self.frozen = True

    def release(self, command: str = "") -> None:
        """Thaw (if frozen) and let go (after `command`); waits until the process is gone."""
        if self.frozen:
            self.proc.send_signal(signal.SIGCONT)
            self.frozen = False
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@contextmanager
def holding(path: Path, *, frozen: bool = False) -> Iterator[Holder]:
    holder = Holder(path)
    if frozen:
        holder.freeze()
    try:
        yield holder
    finally:
        holder.release()


def test_the_journal_is_locked_through_the_journal_file_itself(tmp_path, clock) -> None:
    """What the helper processes below lock is the lock appenders take."""
    with Store.open(tmp_path / "c", clock=clock) as s:
        s.apply([msg("1")])
        with holding(s.journal.path), pytest.raises(LockTimeout, match="stayed locked"):
            s.journal.append([encode({"op": "event"})])


# ---- defect 1: deleted lock files ---------------------------------------------------------


def test_a_deleted_writer_lock_file_never_makes_a_second_writer(tmp_path, clock) -> None:
    """A tmp cleaner removes writer.lock while the writer runs: another process is still
    refused the writer role (a real second process), and "auto" still makes it a follower."""
    root = tmp_path / "c"
    with Store.open(root, clock=clock) as w:
        (root / "writer.lock").unlink()
        probe = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(f"""
                from smstui.errors import StoreError
                from smstui.store import Store
                try:
                    Store.open({str(root)!r}).close()
                    print("second writer")
                except StoreError as err:
                    print("refused:", err)
                with Store.open({str(root)!r}, readonly="auto") as s:
                    print("auto readonly:", s.readonly)
            """)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert probe.returncode == 0, probe.stderr
        assert "refused:" in probe.stdout and "already being written" in probe.stdout
        assert "auto readonly: True" in probe.stdout
        with pytest.raises(StoreError, match="already being written"):
            Store.open(root, clock=clock)  # this process's second open too
        assert not w.readonly and w.checkpoint()


def test_an_older_smstui_holding_writer_lock_keeps_the_role(tmp_path, clock) -> None:
    """smstui before this change locked only writer.lock: it is still respected."""
    root = tmp_path / "c"
    root.mkdir()
    with holding(root / "writer.lock"), pytest.raises(StoreError, match="already being"):
        Store.open(root, clock=clock)
    with Store.open(root, clock=clock) as w:
        assert not w.readonly  # free again once it let go
        assert (root / "writer.lock").read_text().strip() == str(os.getpid())


def test_deleting_every_lock_file_lets_no_second_appender_in(tmp_path, clock) -> None:
    """A user removes "stale" *.lock files while another process appends: this process still
    waits for that append (and times out rather than writing beside it)."""
    root = tmp_path / "c"
    with Store.open(root, clock=clock, readonly=True) as s:
        s.apply([msg("1")])
        before = (root / "journal.log").read_bytes()
        with holding(root / "journal.log"):
            for stale in root.glob("*.lock"):
                stale.unlink()
            started = time.monotonic()
            with pytest.raises(StoreError, match="stayed locked"):
                s.apply([msg("2")])
            assert time.monotonic() - started >= LOCK_WAIT_S - 0.05  # it did wait, off a loop
        assert (root / "journal.log").read_bytes() == before and s.get(key("2")) is None
        s.apply([msg("2")])  # the holder is gone: the append goes through
        assert s.get(key("2")) is not None


def test_an_appender_waiting_while_the_journal_is_replaced_appends_to_the_new_one(
    tmp_path, clock
) -> None:
    """A trim renames a new journal over the one its lock is on; an appender that was waiting
    on the old file must not write into it (that record would vanish with it)."""
    root = tmp_path / "c"
    with Store.open(root, clock=clock, readonly=True) as s:
        s.apply([msg("1")])
        result: list[object] = []
        with holding(root / "journal.log") as holder:
            thread = threading.Thread(target=lambda: result.append(s.apply([msg("2")])))
            thread.start()
            time.sleep(0.2)  # the appender is waiting for the old file's lock
            assert thread.is_alive()
            holder.release("replace")  # a new file (same records) renamed over the old
        thread.join(timeout=10)
    assert result, "the append did not go through"
    data = (root / "journal.log").read_bytes()
    assert b'"2"' in data[HEADER_LEN:], "the record went into the replaced file"
    with Store.open(root, clock=clock, readonly=True) as again:
        assert again.get(key("2")) is not None


# ---- defect 2: a frozen holder ------------------------------------------------------------


async def test_a_frozen_holder_fails_async_appends_in_bounded_time_and_the_loop_runs(
    tmp_path, clock
) -> None:
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("1")])
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    with holding(s.journal.path, frozen=True) as holder:
        tick = asyncio.create_task(ticker())
        started = time.monotonic()
        with pytest.raises(StoreError, match="stayed locked"):
            await s.apply_async([msg("2")])
        took = time.monotonic() - started
        tick.cancel()
        assert LOCK_WAIT_S - 0.05 <= took <= LOCK_WAIT_S + SLACK_S
        assert max(gaps) < 0.3, "the event loop was blocked while the append waited"
        assert "stayed locked" in s.health().problem and s.get(key("2")) is None
        # Once stalled, the next waits are short (a shutdown checkpoint must not take long).
        started = time.monotonic()
        with pytest.raises(StoreError):
            await s.apply_async([msg("2")])
        assert time.monotonic() - started <= STALLED_LOCK_WAIT_S + SLACK_S
        holder.release()
    assert [c.key for c in await s.apply_async([msg("2")])] == [key("2")]
    assert s.health().problem == ""
    s.close()


@pytest.mark.parametrize(
    "call",
    ["record_event", "record_balance", "set_cursor", "apply", "prune", "catch_up"],
)
async def test_sync_writers_on_the_event_loop_give_up_within_a_fraction_of_a_second(
    tmp_path, clock, call
) -> None:
    from decimal import Decimal

    from smstui.model import Balance

    s = Store.open(tmp_path / "c", clock=clock)
    s.record_event("note", "journal exists")
    calls = {
        "record_event": lambda: s.record_event("note", "x"),
        "record_balance": lambda: s.record_balance(Balance("acc", Decimal(1), "RUB", at=T0)),
        "set_cursor": lambda: s.set_cursor("gaps", [1]),
        "apply": lambda: s.apply([msg("9")]),
        "prune": lambda: s.prune(86400.0),
        "catch_up": s.catch_up,  # a read: the shared lock waits just as long
    }
    with holding(s.journal.path, frozen=True):
        started = time.monotonic()
        with pytest.raises(StoreError, match="stayed locked"):
            calls[call]()
        assert time.monotonic() - started <= LOOP_LOCK_WAIT_S + 0.3
    calls[call]()  # released: it works again
    s.close()


async def test_follow_survives_a_frozen_holder_and_says_so_once(tmp_path, clock, caplog):
    root = tmp_path / "c"
    w = Store.open(root, clock=clock)
    f = Store.open(root, clock=clock, readonly=True)
    w.apply([msg("1")])
    with holding(w.journal.path, frozen=True) as holder:
        # Another process's append landed just before the freeze: the follower must read it.
        with open(w.journal.path, "ab") as raw:
            raw.write(encode({"op": "event", "e": {"kind": "k", "text": "late", "at": T0}}))
        with caplog.at_level(logging.WARNING, "smstui.store"):
            task = asyncio.create_task(f.follow(0.01))
            for _ in range(400):
                await asyncio.sleep(0.01)
                if "stayed locked" in f.health().problem:
                    break
            await asyncio.sleep(1.0)  # several more failed turns
            assert "stayed locked" in f.health().problem
            assert caplog.text.count("stayed locked") == 1  # said once, not every 10 ms
            holder.release()
            for _ in range(400):
                if f.get(key("1")) is not None and len(f.side.events):
                    break
                await asyncio.sleep(0.01)
            task.cancel()
    assert f.get(key("1")) is not None and f.side.events[-1].text == "late"
    assert f.health().problem == ""
    f.close()
    w.close()


def test_a_checkpoint_with_the_journal_held_fails_in_bounded_time_and_loses_nothing(
    tmp_path, clock
) -> None:
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("1")])
    journal = (root / "journal.log").read_bytes()
    with holding(s.journal.path, frozen=True):
        started = time.monotonic()
        assert not s.checkpoint()  # the trim cannot take the lock
        assert time.monotonic() - started <= LOCK_WAIT_S + SLACK_S
        assert "stayed locked" in s.health().problem
        assert (root / "journal.log").read_bytes() == journal  # the durable copy, intact
    assert s.checkpoint()
    s.close()
    with Store.open(root, clock=clock) as again:
        assert again.get(key("1")) is not None


def test_lock_waits_are_bounded_by_the_named_constants() -> None:
    """Off a loop the full bound, on one a fraction, once stalled shorter still."""
    from smstui.store.lock import LockWaits, wait_limit

    assert wait_limit() == LOCK_WAIT_S and LOOP_LOCK_WAIT_S < LOCK_WAIT_S
    assert asyncio.run(_on_loop_limit()) == LOOP_LOCK_WAIT_S
    waits = LockWaits()
    waits.stalled = True
    assert waits.limit() == STALLED_LOCK_WAIT_S


async def _on_loop_limit() -> float:
    from smstui.store.lock import wait_limit

    return wait_limit()
