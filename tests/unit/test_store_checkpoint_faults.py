"""Checkpoint faults that used to lose acknowledged data: no free inodes (a bare OSError from a
mkdir), a cancelled checkpoint whose thread kept writing while the next one ran, a reader
opening between a checkpoint's manifest and its trim, and retention on a wrong clock."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from store_support import DAY, T0, P, chg, key, msg

from smstui.clock import FakeClock
from smstui.model import Balance, Message, Provider, StatusChange
from smstui.model import DeliveryState as S
from smstui.store import Store, checkpoint, opening
from smstui.store.manifest import read_manifest


def other(mid: str, when: float = T0) -> Message:
    """A message of a second account: its partition needs a new directory (a new inode)."""
    return Message("other", Provider.SMSC, mid, P, sent_at=when, state=S.QUEUED, updated_at=when)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


@pytest.fixture
def small_fs(tmp_path):
    """A real tmpfs with very few inodes (root only: skipped where mount is not allowed)."""
    mnt = tmp_path / "fs"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,nr_inodes=64", "tmpfs", str(mnt)],
        capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def use_up_inodes(directory: Path) -> list[Path]:
    """Create empty files until the filesystem has no inode left; returns them."""
    made = []
    for i in range(100_000):
        path = directory / f"filler-{i}"
        try:
            path.touch()
        except OSError as err:
            assert err.errno == errno.ENOSPC
            return made
        made.append(path)
    raise AssertionError("the filesystem never ran out of inodes")


async def test_no_free_inodes_fails_the_checkpoint_and_loses_nothing(small_fs, clock):
    root = small_fs / "cache"
    s = Store.open(root, clock=clock)
    s.apply([msg("a1"), msg("a2")])
    assert s.checkpoint()
    fillers = use_up_inodes(small_fs)
    # Journaled (the journal file exists): acknowledged. Its partition needs a new directory,
    # and that mkdir is the first thing the checkpoint does.
    s.apply([other("o1"), other("o2")])
    assert not await s.checkpoint_async(force=True)  # a failure, not an exception
    assert "checkpoint failed" in s.health().problem
    assert "other/" + "2025-11-21-000" in s.state.dirty  # the marks survived the failure
    assert not s.checkpoint()  # the shutdown checkpoint fails the same way...
    manifest = read_manifest(root)
    assert manifest is not None
    assert {p.account for p in manifest.parts} == {"acc"}  # ...and names nothing unwritten
    s.close()
    with Store.open(root, clock=clock, readonly=True) as r:  # the journal still has it all
        assert r.get(("other", "o1", P)) is not None
    for path in fillers:
        path.unlink()
    with Store.open(root, clock=clock) as s:
        assert s.checkpoint()
    assert (root / "partitions/other/2025-11-21-000.json").exists()
    with Store.open(root, clock=clock) as s:
        assert s.journal.base() == read_manifest(root).journal_pos  # type: ignore[union-attr]
        assert {m.message_id for m in s.messages_sorted()} == {"a1", "a2", "o1", "o2"}


async def test_a_bare_oserror_anywhere_in_a_checkpoint_keeps_every_mark(
    tmp_path, clock, monkeypatch
):
    """The same without a tmpfs: any OSError (here from a mkdir) is a failed checkpoint."""
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("a1")])
    assert s.checkpoint()
    s.apply([other("o1")])
    real_mkdir = Path.mkdir

    def no_inodes(self, *args, **kwargs):
        if "partitions" in str(self):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", no_inodes)
    assert not await s.checkpoint_async(force=True)
    assert "No space left on device" in s.checkpoint_error
    monkeypatch.setattr(Path, "mkdir", real_mkdir)
    s.close()  # the shutdown checkpoint writes what the failed one did not
    with Store.open(root, clock=clock) as s:
        assert s.get(("other", "o1", P)) is not None
        assert not s.needs_checkpoint()


class SlowWrites:
    """Blocks the first partition write until released; counts writes running at once."""

    def __init__(self, real) -> None:
        self.real = real
        self.entered = threading.Event()
        self.release = threading.Event()
        self.active = self.most = self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
            self.active += 1
            self.most = max(self.most, self.active)
            first = self.calls == 1
        try:
            if first:
                self.entered.set()
                assert self.release.wait(10)
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.active -= 1


async def wait_for(event: threading.Event) -> None:
    for _ in range(1000):
        if event.is_set():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("never happened")


async def test_a_cancelled_checkpoint_finishes_before_the_next_one_starts(
    tmp_path, clock, monkeypatch
):
    """SIGTERM during a checkpoint cancels its task but not its thread: the shutdown checkpoint
    must wait for it, or the older write lands after the newer trim and loses what came between."""
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("a1"), msg("a2")])
    slow = SlowWrites(checkpoint.write_partition)
    monkeypatch.setattr(checkpoint, "write_partition", slow)
    first = asyncio.create_task(s.checkpoint_async(force=True))
    await wait_for(slow.entered)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    # Acknowledged while the cancelled checkpoint's thread still writes.
    s.apply([chg("a1", S.DELIVERED, T0 + 60), msg("b1", sent_at=T0 + 2 * DAY)])
    s.record_balance(Balance("acc", Decimal("12.5"), "RUB", at=T0 + 60))
    second = asyncio.create_task(s.checkpoint_async(force=True))
    await asyncio.sleep(0.1)
    assert not second.done()  # it waits for the first one's write
    slow.release.set()
    assert await second
    assert slow.most == 1
    s.close()
    with Store.open(root, clock=clock) as s:
        assert s.get(key("a1")).state is S.DELIVERED  # type: ignore[union-attr]
        assert s.get(key("b1")) is not None
        assert s.latest_balance("acc").amount == Decimal("12.5")  # type: ignore[union-attr]
        assert s.journal.base() == read_manifest(root).journal_pos  # type: ignore[union-attr]


async def test_close_waits_for_a_cancelled_checkpoints_thread(tmp_path, clock, monkeypatch):
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("a1")])
    slow = SlowWrites(checkpoint.write_partition)
    monkeypatch.setattr(checkpoint, "write_partition", slow)
    first = asyncio.create_task(s.checkpoint_async(force=True))
    await wait_for(slow.entered)
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    s.apply([chg("a1", S.DELIVERED, T0 + 60)])
    threading.Timer(0.2, slow.release.set).start()
    started = time.monotonic()
    s.close()  # inline: blocks until the thread's write is done, then writes its own
    assert time.monotonic() - started >= 0.15 and slow.most == 1
    with Store.open(root, clock=clock) as s:
        assert s.get(key("a1")).state is S.DELIVERED  # type: ignore[union-attr]


async def test_close_abandons_a_checkpoint_whose_thread_never_started(tmp_path, clock, monkeypatch):
    """A checkpoint queued behind a busy executor when the loop stops: close writes instead,
    and the queued one, when it finally runs, writes nothing (it would be older)."""
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("a1")])
    loop = asyncio.get_running_loop()
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    loop.set_default_executor(executor)
    busy = threading.Event()
    executor.submit(busy.wait, 10)
    writes = SlowWrites(checkpoint.write_partition)
    writes.release.set()
    monkeypatch.setattr(checkpoint, "write_partition", writes)
    queued = asyncio.create_task(s.checkpoint_async(force=True))
    await asyncio.sleep(0.05)
    queued.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await queued
    s.apply([chg("a1", S.DELIVERED, T0 + 60)])
    s.close()
    assert writes.calls == 1  # close's own write only
    busy.set()
    executor.shutdown(wait=True)
    assert writes.calls == 1  # the queued checkpoint was abandoned: it wrote nothing
    with Store.open(root, clock=clock) as s:
        assert s.get(key("a1")).state is S.DELIVERED  # type: ignore[union-attr]


def test_a_reader_opening_across_a_checkpoint_reads_a_consistent_manifest(
    tmp_path, clock, monkeypatch
):
    """The reader reads the manifest, the writer checkpoints and trims, the reader reads the
    journal's base: it must take the newer manifest, not jump over the trimmed records."""
    root = tmp_path / "c"
    writer = Store.open(root, clock=clock)
    writer.apply([msg("a1")])
    assert writer.checkpoint()
    # A push for a message nobody has yet: parked, so it lives in the manifest's side tables.
    writer.apply([StatusChange("acc", "x9", S.DELIVERED, "1", T0 + 5, phone=P)])
    real = opening.read_manifest
    calls = []

    def racing(path):
        got = real(path)
        if not calls:
            assert writer.checkpoint()  # right after this reader read the older manifest
        calls.append(got)
        return got

    monkeypatch.setattr(opening, "read_manifest", racing)
    with Store.open(root, clock=clock, readonly=True) as r:
        assert [c.message_id for c in r.pending_changes()] == ["x9"]
        assert not r.notices  # no "journal starts after the manifest" jump
    assert len(calls) == 2
    writer.close()


def test_retention_on_a_clock_60_days_ahead_keeps_the_campaign(tmp_path):
    root = tmp_path / "c"
    clock = FakeClock(T0 + 100)
    with Store.open(root, clock=clock) as s:
        s.apply([msg("old", sent_at=T0 - 40 * DAY, state=S.DELIVERED),
                 msg("today", sent_at=T0, state=S.DELIVERED)])  # fmt: skip
    clock.set(T0 + 60 * DAY)  # a VM restored with a wrong date
    with Store.open(root, clock=clock) as s:
        assert s.prune(30 * DAY) == 1  # only what is 30 days older than the newest send
        assert s.get(key("today")) is not None and s.get(key("old")) is None
        events = [e.text for e in s.side.events]
        assert any("retention: removed 1 settled messages sent before 2025-10-22" in t
                   for t in events), events  # fmt: skip
    with Store.open(root, clock=clock, readonly=True) as s:
        assert any("retention: removed 1" in e.text for e in s.side.events)


def test_history_is_kept_unless_pruning_is_asked_for(tmp_path):
    from smstui.config import Config, load_config

    assert Config().prune_days == 0
    path = tmp_path / "c.toml"
    path.write_text("[cache]\nprune_days = 90\n", encoding="utf-8")
    assert load_config(path).prune_days == 90
    path.write_text("[cache]\nprune_days = 0.5\n", encoding="utf-8")
    with pytest.raises(Exception, match="prune_days"):
        load_config(path)
