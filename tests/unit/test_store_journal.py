"""Cache v3 journal: torn tails, damaged records, positions across trims, odd text, group
commit, and a disk that refuses an append."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import threading
from collections.abc import Callable

import pytest
from store_support import T0, chg, key, msg, snapshot
from tinydb import TinyDB

from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.model import DeliveryState as S
from smstui.model import Message, StatusChange
from smstui.store import Store
from smstui.store import journal as journal_mod
from smstui.store.journal import Journal


class OsProxy:
    """The journal module's `os`, with some calls replaced (other modules keep the real one)."""

    def __init__(self, **fakes: object) -> None:
        self.__dict__.update(fakes)

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)


def enospc(*_: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


def journal_only(root, clock) -> bytes:
    """Three batches written by an appender (never checkpointed): only the journal holds them."""
    with Store.open(root, clock=clock, readonly=True) as s:
        s.apply([msg("1"), msg("2")])
        s.apply([chg("1", S.DELIVERED, T0 + 5)])
        s.record_event("note", "kept")
    return (root / "journal.log").read_bytes()


def bad_checksum_line() -> bytes:
    line = journal_mod.encode({"op": "event", "e": {"kind": "x", "text": "y", "at": 1.0}})
    crc = int(line[:8], 16) ^ 1
    return b"%08x%s" % (crc, line[8:])


@pytest.mark.parametrize(
    ("tail", "records"),
    [
        (b'1234abcd {"op":"apply","it', 1),
        (bad_checksum_line(), 1),
        (b"\0" * 4096, 1),
        (bad_checksum_line() + b"\0\0\0", 2),
    ],
    ids=["partial-line", "bad-checksum", "zero-bytes", "bad-line-then-zeros"],
)
def test_torn_tail_is_cut_on_open_and_every_whole_record_survives(
    tmp_path, clock, caplog, tail, records
):
    root = tmp_path / "c"
    good = journal_only(root, clock)
    (root / "journal.log").write_bytes(good + tail)
    with caplog.at_level(logging.WARNING, "smstui.store"), Store.open(root, clock=clock) as s:
        assert (root / "journal.log").read_bytes() == good
        assert f"cut {records} torn or damaged record(s) ({len(tail)} bytes)" in caplog.text
        assert s.get(key("1")).state is S.DELIVERED  # type: ignore[union-attr]
        assert s.get(key("2")) is not None and s.side.events[-1].text == "kept"


def test_an_appender_cuts_a_partial_tail_before_its_own_record(tmp_path, clock) -> None:
    root = tmp_path / "c"
    good = journal_only(root, clock)
    (root / "journal.log").write_bytes(good + b'0badc0de {"op"')
    with Store.open(root, clock=clock, readonly=True) as s:
        s.apply([msg("3")])
    with Store.open(root, clock=clock, readonly=True) as s:
        assert {m.message_id for m in s.messages_sorted()} == {"1", "2", "3"}
    data = (root / "journal.log").read_bytes()
    assert data.startswith(good) and b"0badc0de" not in data


def test_damaged_record_in_the_middle_is_skipped_and_later_ones_apply(tmp_path, clock, caplog):
    root = tmp_path / "c"
    data = bytearray(journal_only(root, clock))
    lines = bytes(data).split(b"\n")  # the header, then one record per line
    start = len(lines[0]) + 1 + len(lines[1]) + 1  # the status change record
    data[start + 20] ^= 0x01  # one flipped bit inside its JSON; the newline stays
    (root / "journal.log").write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, "smstui.store"), Store.open(root, clock=clock) as s:
        assert "skipped a damaged record" in caplog.text
        assert s.get(key("1")).state is S.QUEUED  # type: ignore[union-attr]  # lost change
        assert s.get(key("2")) is not None and s.side.events[-1].text == "kept"  # later record
        assert (root / "journal.log").read_bytes() == bytes(data)  # only the tail is cut


def test_positions_survive_a_trim(tmp_path, clock, monkeypatch) -> None:
    root = tmp_path / "c"
    w = Store.open(root, clock=clock)
    f = Store.open(root, clock=clock, readonly=True)
    try:
        w.apply([msg("1"), msg("2")])
        assert [c.kind for c in f.catch_up()] == ["inserted", "inserted"]
        upto = f.pos
        assert w.checkpoint() and Journal(root).base() == upto
        monkeypatch.setattr(f, "_reload", lambda: pytest.fail("a follower at the trim reloaded"))
        w.apply([chg("1", S.DELIVERED, T0 + 5), msg("3")])
        changes = f.catch_up()
        assert [(c.kind, c.key) for c in changes] == [("updated", key("1")), ("inserted", key("3"))]
        assert snapshot(f) == snapshot(w) and f.pos == w.pos
        records, end = Journal(root).read_from(upto)  # type: ignore[misc]
        assert records[0].start == upto and end == w.pos
    finally:
        f.close()
        w.close()


def test_follower_behind_a_trim_reloads_and_reports_the_differences(tmp_path, clock) -> None:
    root = tmp_path / "c"
    w = Store.open(root, clock=clock)
    w.apply([msg("1"), msg("2")])
    w.checkpoint()
    f = Store.open(root, clock=clock, readonly=True)
    seen: list[list] = []
    f.add_listener(seen.append)
    try:
        w.apply([chg("1", S.DELIVERED, T0 + 5), msg("3", text="new")])
        w.checkpoint()
        w.apply([msg("4")])  # after the trim: read from the journal, not a partition
        assert Journal(root).base() > f.pos  # type: ignore[operator]
        changes = f.catch_up()
        got = sorted((c.kind, c.key[1]) for c in changes)
        assert got == [("inserted", "3"), ("inserted", "4"), ("updated", "1")]
        assert seen == [changes]
        assert snapshot(f) == snapshot(w) and f.pos == w.pos
        assert f.catch_up() == []
    finally:
        f.close()
        w.close()


ODD = [
    "Привет".encode("cp1251").decode("latin-1"),  # mojibake a gateway may send
    bytes(range(0x80, 0x100)).decode("cp1251", "surrogateescape"),  # 0x98 is undefined
    "lone \ud800 high and \udfff low surrogates",
    "😀\u200d\u2028\u2029\x00\x1b[31m «ёЁ» ©",
    'a|b~c\\N\\p\\w\\\\ "quoted" \n\r\t',
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_survives_the_journal_and_a_checkpoint(tmp_path, clock, text) -> None:
    root = tmp_path / "c"
    m = msg("1", text=text, sender=text[:11])
    with Store.open(root, clock=clock, readonly=True) as a:
        a.apply([m])
    with Store.open(root, clock=clock, readonly=True) as r:  # from the journal alone
        assert r.get(m.key) == m
    with Store.open(root, clock=clock) as w:
        assert w.get(m.key) == m and w.checkpoint()
    assert Journal(root).read_from(Journal(root).base() or 0) == ([], Journal(root).base())
    with Store.open(root, clock=clock) as w:  # from the partition alone
        assert w.get(m.key) == m


def test_a_partition_holding_a_lone_surrogate_is_still_plain_tinydb(tmp_path, clock) -> None:
    root = tmp_path / "c"
    m = msg("1", text=ODD[2])
    with Store.open(root, clock=clock) as w:
        w.apply([m])
    path = next((root / "partitions").rglob("*.json"))
    docs = TinyDB(path, access_mode="r", encoding="utf-8").table("messages").all()
    assert docs[0]["text"] == m.text


async def test_group_commit_shares_fsyncs_and_every_caller_gets_its_own_changes(
    tmp_path, clock, monkeypatch
) -> None:
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.record_event("note", "journal exists")
    fsyncs: list[int] = []

    def counting_fsync(fd: int) -> None:
        fsyncs.append(fd)
        os.fsync(fd)

    monkeypatch.setattr(journal_mod, "os", OsProxy(fsync=counting_fsync))
    n = 50
    results = await asyncio.gather(*(s.apply_async([msg(str(i))]) for i in range(n)))
    for i, changes in enumerate(results):
        assert [(c.kind, c.key) for c in changes] == [("inserted", key(str(i)))]
    assert 1 <= len(fsyncs) < n
    monkeypatch.undo()
    with Store.open(root, clock=clock, readonly=True) as fresh:  # durable, not checkpointed
        assert len(fresh) == n
    s.close()


async def test_a_sync_apply_landing_while_a_group_commit_is_in_flight(
    tmp_path, clock, monkeypatch
) -> None:
    """The sync apply catches up on the async batch first; each caller gets its own changes."""
    s = Store.open(tmp_path / "c", clock=clock)
    s.record_event("note", "journal exists")
    in_fsync, go = threading.Event(), threading.Event()

    def slow_fsync(fd: int) -> None:
        os.fsync(fd)
        in_fsync.set()
        go.wait(10)

    monkeypatch.setattr(journal_mod, "os", OsProxy(fsync=slow_fsync))
    task = asyncio.create_task(s.apply_async([msg("A")]))
    while not in_fsync.is_set():
        await asyncio.sleep(0.001)
    go.set()
    fd = os.open(tmp_path / "c/journal.log", os.O_RDWR)
    try:  # without yielding to the loop: the batch is on disk, not yet absorbed
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                go.wait(0.001)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    assert not task.done() and s.get(key("A")) is None
    out = s.apply([chg("A", S.DELIVERED, T0 + 5)])
    assert [(c.kind, c.key) for c in out] == [("updated", key("A"))]  # A applied first
    assert [(c.kind, c.key) for c in await task] == [("inserted", key("A"))]
    assert s.get(key("A")).state is S.DELIVERED and s.pending_changes() == []  # type: ignore[union-attr]
    s.close()


@pytest.mark.parametrize("fail", ["write", "fsync", "half-write"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_refused_append_applies_nothing_and_the_next_one_works(
    tmp_path, clock, monkeypatch, fail, mode
) -> None:
    root = tmp_path / "c"
    s = Store.open(root, clock=clock)
    s.apply([msg("1")])
    s.checkpoint()
    s.apply([msg("2")])
    before, state = (root / "journal.log").read_bytes(), snapshot(s)
    calls = []

    def half_write(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) > 1:
            enospc()
        return os.write(fd, bytes(data[: len(data) // 2]))

    options: dict[str, dict[str, Callable[..., object]]] = {
        "write": {"write": enospc},
        "fsync": {"fsync": enospc},
        "half-write": {"write": half_write},
    }
    fakes = options[fail]
    monkeypatch.setattr(journal_mod, "os", OsProxy(**fakes))
    batch: list[Message | StatusChange] = [chg("1", S.DELIVERED, T0 + 5), msg("3")]
    with pytest.raises(StoreError, match="No space left on device"):
        if mode == "sync":
            s.apply(batch)
        else:
            await s.apply_async(batch)
    assert snapshot(s) == state and s.get(key("3")) is None  # nothing half-applied
    assert (root / "journal.log").read_bytes() == before  # no partial record on disk
    assert "cache journal" in s.health().problem and "No space" in s.health().problem
    monkeypatch.undo()  # space returns
    out = s.apply(batch) if mode == "sync" else await s.apply_async(batch)
    assert sorted(c.kind for c in out) == ["inserted", "updated"]
    assert s.health().problem == ""
    with Store.open(root, clock=clock, readonly=True) as fresh:
        assert snapshot(fresh) == snapshot(s)
    s.close()
