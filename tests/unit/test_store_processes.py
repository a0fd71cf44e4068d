"""Cache v3 shared by processes: appenders, the writer, catch-up order, promotion, the writer
lock, a real second process appending while the writer checkpoints, and the first process of
this version opening a schema 2 cache the previous one left."""

from __future__ import annotations

import errno
import json
import os
import queue
import subprocess
import sys
import textwrap
import threading
from decimal import Decimal

import pytest
from store_support import DAY, T0, P, chg, key, msg, snapshot

from smstui import atomic as atomic_mod
from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.model import DeliveryState as S
from smstui.store import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


@pytest.fixture
def pair(tmp_path, clock):
    """The writer (checkpoints) and an appender (e.g. `smstui send` next to the daemon)."""
    w = Store.open(tmp_path / "c", clock=clock)
    a = Store.open(tmp_path / "c", clock=clock, readonly=True)
    yield w, a
    a.close()
    w.close()


def test_an_appenders_write_is_durable_and_the_writer_sees_it_after_refresh(tmp_path, pair):
    w, a = pair
    assert a.readonly and not w.readonly
    with pytest.raises(StoreError, match="only the writer checkpoints"):
        a.checkpoint()
    out = a.apply([msg("sent-by-cli", text="hi")])
    assert [c.kind for c in out] == ["inserted"]
    with Store.open(tmp_path / "c", readonly=True) as fresh:  # durable: a third process sees it
        assert fresh.get(key("sent-by-cli")) is not None
    assert w.get(key("sent-by-cli")) is None
    assert [c.key for c in w.refresh()] == [key("sent-by-cli")]
    assert w.checkpoint()
    w.close()
    with Store.open(tmp_path / "c") as again:  # from the partition
        assert again.get(key("sent-by-cli")).text == "hi"  # type: ignore[union-attr]


def test_a_writers_own_append_catches_up_on_other_appends_first(pair) -> None:
    w, a = pair
    a.apply([msg("1")])  # the CLI's send
    out = w.apply([chg("1", S.DELIVERED, T0 + 5)])  # the daemon's push for it, journaled after
    assert [(c.kind, c.key) for c in out] == [("updated", key("1"))]  # not parked
    assert w.get(key("1")).state is S.DELIVERED and w.pending_changes() == []
    a.catch_up()
    assert snapshot(a) == snapshot(w) and a.pos == w.pos


def test_listeners_hear_other_processes_records_in_journal_order(pair) -> None:
    w, a = pair
    heard: list[tuple[str, str]] = []
    w.add_listener(lambda changes: heard.extend((c.kind, c.key[1]) for c in changes))
    a.apply([msg("1")])
    a.apply([chg("1", S.SENT, T0 + 1)])
    w.apply([msg("2")])
    assert heard == [("inserted", "1"), ("updated", "1"), ("inserted", "2")]


async def test_follow_tails_another_processes_appends(pair) -> None:
    import asyncio

    w, a = pair
    task = asyncio.create_task(a.follow(0.01))
    try:
        w.apply([msg("1")])
        for _ in range(500):
            if a.get(key("1")) is not None:
                break
            await asyncio.sleep(0.01)
        assert a.get(key("1")) is not None
    finally:
        task.cancel()


def test_a_second_writer_is_refused_and_auto_falls_back(tmp_path, clock) -> None:
    with Store.open(tmp_path / "c", clock=clock) as w:
        with pytest.raises(StoreError, match=rf"already being written.*pid {os.getpid()}"):
            Store.open(tmp_path / "c", clock=clock)
        with Store.open(tmp_path / "c", clock=clock, readonly="auto") as auto:
            assert auto.readonly and not w.readonly
            auto.apply([msg("1")])  # a follower still appends
        w.catch_up()
        assert w.get(key("1")) is not None
    with Store.open(tmp_path / "c", clock=clock, readonly="auto") as auto:
        assert not auto.readonly  # free again: "auto" takes the writer role
    with pytest.raises(StoreError, match="readonly must be"):
        Store.open(tmp_path / "c", readonly="yes")  # type: ignore[arg-type]


def test_a_prune_drops_the_same_messages_in_every_process(pair, clock) -> None:
    w, a = pair
    old = T0 - 40 * DAY
    w.apply([msg("old", sent_at=old, updated_at=old, state=S.DELIVERED), msg("new")])
    a.catch_up()
    w.checkpoint()  # the writer's partition summaries now know the old day's send times
    w.prune(30 * DAY)
    a.catch_up()
    ids = [m.message_id for m in w.messages_sorted()]
    assert [m.message_id for m in a.messages_sorted()] == ids


CHILD = textwrap.dedent(
    """
    import sys
    from smstui.model import DeliveryState, Message, Provider
    from smstui.store import Store

    root, bursts, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with Store.open(root, readonly=True) as s:
        for b in range(bursts):
            for i in range(per):
                mid = f"child-{b}-{i}"
                s.apply([Message("acc", Provider.SMSC, mid, "7999", DeliveryState.SENT,
                                 sent_at=1763700000.0 - b * 86400, updated_at=1763700000.0)])
            print(f"burst {b}", flush=True)
            sys.stdin.readline()  # the writer checkpointed since: go on
    """
)


def test_a_second_process_appending_while_the_writer_checkpoints_loses_nothing(
    tmp_path, clock
) -> None:
    root, bursts, per = tmp_path / "c", 6, 60
    w = Store.open(root, clock=clock)
    w.apply([msg("before")])
    w.checkpoint()
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(bursts), str(per)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: list(map(lines.put, child.stdout or ())), daemon=True).start()
    done, n = 0, 0
    try:
        while child.poll() is None or not lines.empty():
            w.catch_up()
            w.apply([msg(f"writer-{n}")])
            n += 1
            assert w.checkpoint(), w.checkpoint_error
            try:
                lines.get(timeout=0.01)
            except queue.Empty:
                continue
            done += 1
            w.catch_up()
            assert w.checkpoint()
            child.stdin.write("go\n")  # type: ignore[union-attr]
            child.stdin.flush()  # type: ignore[union-attr]
    finally:
        child.stdin.close()  # type: ignore[union-attr]
        assert child.wait(timeout=120) == 0
    assert done == bursts, n
    w.catch_up()
    want = {f"child-{b}-{i}" for b in range(bursts) for i in range(per)}
    want |= {f"writer-{i}" for i in range(n)} | {"before"}
    assert {m.message_id for m in w.messages_sorted()} == want
    w.close()
    with Store.open(root, clock=clock) as again:
        assert {m.message_id for m in again.messages_sorted()} == want
        assert again.total() == len(want)


class FullDisk:
    """`os` for atomic.py: every atomic file write fails with ENOSPC."""

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def replace(self, src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")


def v2_cache(root) -> bytes:
    """A schema 2 cache.json as the old store wrote it: `|` rows, `~`-joined timelines."""

    def row(mid: str, state: str, text: str, sent: float, cost: str = "") -> str:
        return "|".join(("acc", "smsc", mid, P, state, text, "\\N", repr(sent), "1", "", cost,
                         "1", "", "", "", repr(sent + 5)))  # fmt: skip

    timeline = f"queued|0|{T0!r}|history||{T0!r}~delivered|\\p1|{T0 + 5!r}|poll|3|{T0 + 6!r}"
    parked = ["delivered", "1", T0 + 9, "webhook", None, T0 + 9]
    tables = {
        "meta": {"1": {"schema": 2, "saved_at": T0}},
        "messages": {"1": {"r": row("1", "delivered", "При\\pвет \\w \\\\", T0, "2.10"),
                           "t": timeline}, "2": {"r": row("2", "sent", "", T0 - 3 * DAY)}},
        "pending": {"1": {"account": "acc", "message_id": "9", "phone": P, "entry": parked}},
        "balances": {"1": {"account": "acc", "amount": "10.5", "currency": "RUB",
                           "credit": None, "at": T0, "details": [["ru", "4"]]}},
        "incoming": {"1": {"account": "acc", "incoming_id": "in1", "phone": P, "text": "да",
                           "to_phone": "", "received_at": T0}},
        "events": {"1": {"kind": "backoff", "text": "status 9", "at": T0, "account": "acc"}},
        "cursor": {"1": {"name": "acc.history_id", "value": 77}},
    }  # fmt: skip
    raw = json.dumps(tables, ensure_ascii=False).encode()
    root.mkdir()
    (root / "cache.json").write_bytes(raw)
    return raw


def test_a_schema_2_cache_migrates_on_first_open(tmp_path, clock) -> None:
    root = tmp_path / "c"
    raw = v2_cache(root)
    with Store.open(root, clock=clock, readonly=True) as r:  # a reader migrates in memory only
        assert len(r) == 2
    assert (root / "cache.json").read_bytes() == raw
    with Store.open(root, clock=clock) as s:
        assert any("migrated 2 messages" in n for n in s.notices)
    assert not (root / "cache.json").exists()
    assert (root / "cache.json.v2-migrated").read_bytes() == raw
    with Store.open(root, clock=clock) as s:
        m = s.get(key("1"))
        assert m is not None and m.text == "При|вет ~ \\" and m.cost == Decimal("2.10")
        assert m.sender == "" and m.state is S.DELIVERED and m.updated_at == T0 + 5
        tl = [(c.state, c.raw_status, c.source, c.error_code) for c in s.timeline(key("1"))]
        assert tl == [(S.QUEUED, "0", "history", None), (S.DELIVERED, "|1", "poll", 3)]
        assert s.get(key("2")).state is S.SENT and len(s.pending_changes()) == 1  # type: ignore[union-attr]
        s.apply([msg("9", state=S.SENT, updated_at=T0)])  # the parked change still reconciles
        assert s.get(key("9")).state is S.DELIVERED  # type: ignore[union-attr]


def test_a_schema_2_migration_keeps_balances_incoming_events_and_cursor(tmp_path, clock):
    root = tmp_path / "c"
    v2_cache(root)
    Store.open(root, clock=clock).close()
    with Store.open(root, clock=clock) as s:
        b = s.latest_balance("acc")
        assert b is not None and b.amount == Decimal("10.5") and b.details == (("ru", "4"),)
        assert [m.text for m in s.incoming("acc")] == ["да"]
        assert any(e.text == "status 9" for e in s.side.events)
        assert s.get_cursor("acc.history_id") == 77


def test_a_migration_whose_checkpoint_fails_keeps_the_old_file(tmp_path, clock, monkeypatch):
    root = tmp_path / "c"
    raw = v2_cache(root)
    monkeypatch.setattr(atomic_mod, "os", FullDisk())
    with Store.open(root, clock=clock) as s:  # the disk stays full until it exits
        assert s.checkpoint_error
    monkeypatch.undo()
    assert (root / "cache.json").exists() and (root / "cache.json").read_bytes() == raw
    with Store.open(root, clock=clock) as s:
        assert len(s) == 2
