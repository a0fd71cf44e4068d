"""Cache v3 partitions and checkpoints: what is rewritten, chunking, the TinyDB files and the
manifest, failures, damage, a newer schema, lazy loading, retention, re-dated sends."""

from __future__ import annotations

import errno
import json
import os
from decimal import Decimal

import pytest
from store_support import DAY, T0, chg, key, snapshot
from store_support import msg as base_msg
from tinydb import Query, TinyDB

from smstui import atomic as atomic_mod
from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.model import DeliveryState as S
from smstui.model import Message, StatusChange
from smstui.store import Store, partitions, state
from smstui.store.manifest import read_manifest


def msg(mid: str, day: float = 0, **kw: object) -> Message:
    """A message sent `day` days from T0, delivered 5 s later unless told otherwise."""
    at = T0 + day * DAY
    return base_msg(mid, **{"sent_at": at, "state": S.DELIVERED, "updated_at": at + 5, **kw})


def files(root) -> dict[str, tuple[int, int]]:
    """Partition file → (inode, mtime): a rewrite (atomic rename) changes the inode."""
    out = {}
    for p in (root / "partitions").rglob("*.json"):
        st = p.stat()
        out[p.stem] = (st.st_ino, st.st_mtime_ns)
    return out


def stored(root) -> int:
    """Messages the manifest says the partitions hold."""
    manifest = read_manifest(root)
    assert manifest is not None
    return sum(p.count for p in manifest.parts)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


def three_days(root, clock) -> list[Message]:
    """Two settled days and today's open messages, checkpointed."""
    batch = [msg("a1", -2), msg("a2", -2), msg("b1", -1), msg("b2", -1),
             msg("c1", state=S.QUEUED), msg("c2", state=S.SENT)]  # fmt: skip
    with Store.open(root, clock=clock) as s:
        s.apply(batch)
        s.apply([chg("b1", S.DELIVERED, T0 - DAY + 7)])  # a poll confirmed it
    return batch


def test_a_checkpoint_rewrites_only_changed_partitions_and_never_settled_ones(tmp_path, clock):
    root = tmp_path / "c"
    batch = three_days(root, clock)
    before = files(root)
    assert sorted(before) == ["2025-11-19-000", "2025-11-20-000", "2025-11-21-000"]
    with Store.open(root, clock=clock, memory_messages=2) as s:
        assert not s.needs_checkpoint()
        s.apply(batch[:4])  # history pages the settled days again: nothing new
        s.apply([chg("b1", S.DELIVERED, T0 - DAY + 7), chg("c1", S.DELIVERED, T0 + 9)])
        assert s.checkpoint()
        after = files(root)
        assert after["2025-11-19-000"] == before["2025-11-19-000"]
        assert after["2025-11-20-000"] == before["2025-11-20-000"]
        assert after["2025-11-21-000"][0] != before["2025-11-21-000"][0]
        assert s.checkpoint() and files(root) == after  # nothing changed: nothing rewritten


def test_a_partition_never_holds_more_than_chunk_messages(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(partitions, "CHUNK", 5)
    monkeypatch.setattr(state, "CHUNK", 5)
    root = tmp_path / "c"
    with Store.open(root, clock=clock) as s:
        s.apply([msg(str(i)) for i in range(7)])
        s.checkpoint()
        s.apply([msg(str(i)) for i in range(7, 12)])
    with Store.open(root, clock=clock, memory_messages=1) as s:
        s.apply([msg(str(i)) for i in range(12, 23)])
    sizes = {}
    for p in (root / "partitions").rglob("*.json"):
        sizes[p.stem] = len(TinyDB(p, access_mode="r", encoding="utf-8").table("messages"))
    assert max(sizes.values()) <= 5 and sum(sizes.values()) == 23, sizes
    with Store.open(root, clock=clock) as s:
        assert len(s) == 23 == s.total()


def test_files_are_plain_tinydb_and_the_manifest_counts_match(tmp_path, clock) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    with Store.open(root, clock=clock) as s:
        s.apply([msg("c3", text="Привет", cost=Decimal("1.25")), chg("c2", S.FAILED, T0 + 9)])
        want = {k.value: v for k, v in s.counts_by_state().items()}
    today = TinyDB(root / "partitions/acc/2025-11-21-000.json", access_mode="r", encoding="utf-8")
    doc = today.table("messages").get(Query().message_id == "c3")
    assert doc is not None and doc["text"] == "Привет" and doc["cost"] == "1.25"
    assert today.table("messages").count(Query().state == "failed") == 1
    manifest = TinyDB(root / "manifest.json", access_mode="r", encoding="utf-8")
    got: dict[str, int] = {}
    for part in manifest.table("partitions"):
        for st, n in part["states"].items():
            got[st] = got.get(st, 0) + n
    assert got == want and manifest.table("meta").all()[0]["schema"] == 3


class FullDisk:
    """`os` for atomic.py: renames onto files named `target` fail with ENOSPC while `full`."""

    def __init__(self, target: str = "") -> None:
        self.full, self.target, self.tries = True, target, 0

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def replace(self, src, dst) -> None:
        self.tries += 1
        if self.full and self.target in os.fspath(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        os.replace(src, dst)


@pytest.mark.parametrize(
    "target",
    ["", "journal.log", "manifest.json",
     "2025-11-22"],
)  # fmt: skip
async def test_a_failing_checkpoint_loses_nothing_backs_off_and_recovers(
    tmp_path, clock, monkeypatch, target
) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    disk = FullDisk(target)
    monkeypatch.setattr(atomic_mod, "os", disk)
    s = Store.open(root, clock=clock)
    s.apply([msg("d1", 1), msg("c1", text="moved", sent_at=T0 + DAY)])
    s.apply([chg("c2", S.DELIVERED, T0 + 9)])
    s.set_cursor("acc.gaps", [1, 2])
    assert not s.checkpoint()
    assert "No space left" in s.checkpoint_error and s.health().problem == s.checkpoint_error
    assert s.needs_checkpoint()
    tries = disk.tries
    assert not await s.checkpoint_async() and disk.tries == tries  # backing off: not tried
    with Store.open(root, clock=clock, readonly=True) as r:  # what a restart would see
        assert snapshot(r) == snapshot(s) and r.get_cursor("acc.gaps") == [1, 2]
    assert [p.name for p in root.rglob("*") if ".tmp-" in p.name] == []
    disk.full = False
    clock.advance(60)
    assert await s.checkpoint_async() and s.checkpoint_error == "" and s.health().problem == ""
    assert not s.needs_checkpoint()
    s.close()
    with Store.open(root, clock=clock) as r:
        assert snapshot(r) == snapshot(s) and r.get_cursor("acc.gaps") == [1, 2]
        assert stored(root) == len(r) == 7


def test_a_damaged_manifest_is_kept_aside_and_rebuilt(tmp_path, clock) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    with Store.open(root, clock=clock, readonly=True) as a:  # an appender: journal only
        a.apply([chg("c1", S.DELIVERED, T0 + 9), msg("d1", 1)])
        want = snapshot(a)
    (root / "manifest.json").write_bytes(b'{"meta": {"1": {"sch')
    with Store.open(root, clock=clock) as s:
        assert snapshot(s) == want and "rebuilt" in s.notices[0]
    aside = [p for p in root.iterdir() if p.name.startswith("manifest.json.damaged-")]
    assert len(aside) == 1 and aside[0].read_bytes() == b'{"meta": {"1": {"sch'


def test_a_rebuilt_manifest_is_written_so_the_next_open_sees_everything(tmp_path, clock):
    root = tmp_path / "c"
    three_days(root, clock)
    (root / "manifest.json").write_bytes(b"garbage")
    with Store.open(root, clock=clock) as s:
        want = snapshot(s)
    with Store.open(root, clock=clock) as s:
        assert snapshot(s) == want and len(s) == 6


def test_a_newer_manifest_is_refused_and_left_alone(tmp_path, clock) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    data = json.loads((root / "manifest.json").read_text())
    data["meta"]["1"]["schema"] = 4
    (root / "manifest.json").write_text(json.dumps(data))
    before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    for mode in (False, True, "auto"):
        with pytest.raises(StoreError, match=r"newer smstui \(schema 4"):
            Store.open(root, clock=clock, readonly=mode)
    assert {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()} == before


def truncated(path) -> None:
    path.write_bytes(path.read_bytes()[:-30])


def from_newer_smstui(path) -> None:
    data = json.loads(path.read_text())
    data["meta"]["1"]["schema"] = 4
    path.write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [truncated, from_newer_smstui])
def test_an_unreadable_partition_is_never_overwritten(tmp_path, clock, damage) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    path = root / "partitions/acc/2025-11-20-000.json"
    damage(path)
    damaged = path.read_bytes()
    try:
        with Store.open(root, clock=clock) as s:
            s.apply([msg("b3", -1)])  # a new message on the damaged day
    except StoreError:
        pass  # refusing the cache is fine too; destroying the file is not
    kept = [p.read_bytes() for p in (root / "partitions").rglob("*") if p.is_file()]
    assert damaged in kept


async def test_lazy_open_loads_open_and_newest_partitions_and_older_ones_on_demand(
    tmp_path, clock
) -> None:
    root = tmp_path / "c"
    with Store.open(root, clock=clock) as s:
        s.apply([msg(f"{d}-{i}", -d) for d in range(1, 6) for i in range(2)])
        s.apply([msg("open", -9, state=S.SENT), msg("today")])
    with Store.open(root, clock=clock, memory_messages=2) as s:
        # The open message's old day stays on disk: the poller gets the message from its
        # partition's summary (a stub), not by loading the day.
        assert {m.message_id for m in s.messages_sorted()} == {"today"}
        assert [m.message_id for m in s.non_final("acc")] == ["open"]
        assert s.get(key("open")) is not None and s.find("acc", "open")
        assert s.total() == 12 and s.health().total == 12 and s.health().loaded == 1
        days = [p.day for p in s.unloaded_partitions()]
        assert days == [f"2025-11-{d}" for d in range(20, 15, -1)] + ["2025-11-12"]
        assert await s.load_older(1) == 2
        assert [m.message_id for m in s.messages_sorted()] == ["today", "1-0", "1-1"]
        assert s.total() == 12 and len(s.unloaded_partitions()) == 5
        # A change to it loads its day (once), and it is a whole message again.
        s.apply([StatusChange("acc", "open", S.DELIVERED, "1", clock.now(), phone=key("open")[2])])
        assert s.get(key("open")).state is S.DELIVERED  # type: ignore[union-attr]
        assert "open" in {m.message_id for m in s.messages_sorted()}


def test_a_history_message_for_an_unloaded_day_merges_with_the_stored_one(tmp_path, clock):
    root = tmp_path / "c"
    three_days(root, clock)
    with Store.open(root, clock=clock, memory_messages=2) as s:
        assert s.get(key("a1")) is None and s.total() == 6
        out = s.apply([msg("a1", -2, cost=Decimal("2.50"))])
        assert [c.kind for c in out] == ["updated"] and s.total() == 6
    with Store.open(root, clock=clock) as s:
        assert len(s) == 6 and s.get(key("a1")).cost == Decimal("2.50")  # type: ignore[union-attr]
    assert stored(root) == 6


def test_retention_drops_old_settled_partitions_and_their_files(tmp_path, clock) -> None:
    root = tmp_path / "c"
    with Store.open(root, clock=clock) as s:
        s.apply([msg("old1", -40), msg("old2", -40), msg("open", -41, state=S.SENT),
                 msg("new", -1)])  # fmt: skip
    old_file = root / "partitions/acc/2025-10-12-000.json"
    with Store.open(root, clock=clock) as s:
        assert old_file.exists()
        assert s.prune(30 * DAY) == 2
        assert s.get(key("old1")) is None and s.get(key("open")) is not None
        assert old_file.exists()  # dropped from memory now, from disk at the checkpoint
        assert s.checkpoint() and not old_file.exists()
    assert sorted(files(root)) == ["2025-10-11-000", "2025-11-20-000"]
    with Store.open(root, clock=clock) as s:
        assert {m.message_id for m in s.messages_sorted()} == {"open", "new"} and s.total() == 2


def test_a_redated_message_moves_to_its_new_day(tmp_path, clock) -> None:
    root = tmp_path / "c"
    with Store.open(root, clock=clock) as s:
        s.apply([msg("x", -1), msg("y", -1)])
        s.checkpoint()
        s.apply([msg("x", 0, updated_at=T0 + 50)])  # the gateway's send time: the next day
    with Store.open(root, clock=clock) as s:
        assert len(s) == 2 and s.get(key("x")).sent_at == T0  # type: ignore[union-attr]
    assert stored(root) == 2


def test_a_redated_message_from_an_unloaded_day_is_not_duplicated(tmp_path, clock) -> None:
    root = tmp_path / "c"
    three_days(root, clock)
    with Store.open(root, clock=clock, memory_messages=2) as s:
        assert s.get(key("a1")) is None
        s.apply([msg("a1", -1)])  # a1 was filed under day -2
    with Store.open(root, clock=clock) as s:
        assert s.total() == 6
    assert stored(root) == 6
