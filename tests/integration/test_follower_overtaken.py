"""A checkpoint's trim overtakes a following dashboard with many partitions loaded: it catches
up without stalling its event loop (measured by the test's own probes), applies every record,
and ends holding exactly what a fresh open that loads the same partitions holds."""

from __future__ import annotations

import asyncio
import gc
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from smstui.clock import FakeClock
from smstui.model import AppliedChange, DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store
from smstui.store.journal import Journal
from smstui.store.manifest import write_manifest
from smstui.store.partitions import PartInfo, day_of, write_partition
from smstui.store.schema import message_to_doc

DAY = 86_400.0
T_NOW = 1_764_590_400.0  # 2025-12-01 12:00 UTC
DAYS, PER_DAY = 36, 2_500  # 90,000 messages in 36 partitions, all of them loaded
STALL_S = 0.1


def day_start(d: int) -> float:
    return T_NOW - (T_NOW % DAY) - (DAYS - 1 - d) * DAY


def make(d: int, i: int, **kw: object) -> Message:
    base: dict[str, object] = dict(
        state=DeliveryState.DELIVERED, raw_status="1", text=f"code {i}", sender="Shop",
        sent_at=day_start(d) + i * 30.0, updated_at=day_start(d) + i * 30.0 + 60,
        cost=Decimal("2.35"), operator="MTS",
    )  # fmt: skip
    base.update(kw)
    return Message("acc", Provider.SMSC, str(1_000_000 + d * PER_DAY + i), f"7900{d:03d}{i:04d}",
                   **base)  # type: ignore[arg-type]  # fmt: skip


def build(root: Path) -> None:
    """The cache as a checkpoint writes it: one partition a day, the newest day still open."""
    docs = []
    for d in range(DAYS):
        msgs = [make(d, i, **({"state": DeliveryState.SENT, "raw_status": "0"}
                              if d == DAYS - 1 else {})) for i in range(PER_DAY)]  # fmt: skip
        entries = [((m.state, m.raw_status, m.updated_at, "poll", None, m.updated_at),)
                   for m in msgs]  # fmt: skip
        states = Counter(m.state.value for m in msgs)
        info = PartInfo("acc", day_of(msgs[0].sent_at), 0, len(msgs), dict(states),
                        msgs[0].sent_at, msgs[-1].sent_at)  # fmt: skip
        pairs = zip(msgs, entries, strict=True)
        write_partition(root, info, [message_to_doc(m, t) for m, t in pairs])
        docs.append(info.to_doc())
    side = {"balances": [], "incoming": [], "events": [], "cursor": [], "pending": []}
    write_manifest(root, 0, docs, side, T_NOW)


def memory(s: Store) -> dict[str, object]:
    """Everything a follower's memory holds that a fresh open must hold too."""
    st = s.state
    return {
        "by_key": dict(st.index.by_key.items()),
        "order": [m.key for m in s.messages_sorted()],
        "timelines": {k: st.timelines.get(k, ()) for k in st.index.by_key},
        "pending": sorted(map(repr, s.pending_changes())),
        "members": {n: frozenset(k) for n, k in st.members.items() if n in st.loaded and k},
        "part_of": dict(st.part_of),
        "parts": sorted(st.parts),
        "counts": {a: dict(c) for a, c in st.index.counts.items()},
        "balances": s.balances("acc"),
    }


async def load_everything(s: Store) -> None:
    while s.unloaded_partitions():
        await s.load_older(8)


async def probe(stop: asyncio.Event, lateness: list[float]) -> None:
    """A key press every 10 ms: how late the loop serves it is how long the UI froze."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lateness.append(time.perf_counter() - t - 0.01)


def writes_the_follower_misses(w: Store) -> None:
    """Records the follower never reads from the journal: a checkpoint trims them."""
    old = [(d, i) for d in range(2, 30, 3) for i in range(0, PER_DAY, 97)]
    # Status changes for days the writer has not loaded: parked in the manifest's pending.
    w.apply([StatusChange("acc", make(d, i).message_id, DeliveryState.FAILED, "20",
                          day_start(d) + i * 30.0 + 500, source=Source.POLL, error_code=1,
                          phone=make(d, i).phone) for d, i in old[:60]])  # fmt: skip
    # History naming old messages again with new details: their days are loaded and rewritten.
    w.apply([make(d, i, operator="Beeline", region="Москва") for d, i in old[60:120]])
    # Re-dated: a message moves from day 5 to day 7 (both partitions rewritten).
    w.apply([make(5, 11, sent_at=day_start(7) + 11.0)])
    # A new day after every loaded one, and today's open messages settling.
    w.apply([make(DAYS, i) for i in range(1_500)], source=Source.SEND)
    w.apply([StatusChange("acc", make(DAYS - 1, i).message_id, DeliveryState.DELIVERED, "1",
                          T_NOW + 100, source=Source.WEBHOOK, phone=make(DAYS - 1, i).phone)
             for i in range(0, PER_DAY, 3)])  # fmt: skip
    w.record_balance(_balance())


def _balance():
    from smstui.model import Balance

    return Balance(account="acc", amount=Decimal("99.50"), currency="RUB", at=T_NOW + 50)


async def test_a_trim_overtaking_a_loaded_follower_never_stalls_it_and_loses_nothing(
    tmp_path: Path,
) -> None:
    root = tmp_path / "cache"
    build(root)
    clock = FakeClock(T_NOW + 60)
    w = Store.open(root, clock=clock, memory_messages=3_000)
    f = Store.open(root, clock=clock, readonly=True, memory_messages=3_000)
    try:
        await load_everything(f)
        assert len(f) == DAYS * PER_DAY and not f.unloaded_partitions()
        before = dict(f.state.index.by_key.items())
        heard: list[AppliedChange] = []
        f.add_listener(heard.extend)

        writes_the_follower_misses(w)
        assert w.checkpoint()
        w.apply([make(DAYS, i) for i in range(1_500, 1_600)], source=Source.SEND)
        w.apply(
            [
                StatusChange(
                    "acc",
                    make(DAYS, 3).message_id,
                    DeliveryState.DELIVERED,
                    "1",
                    T_NOW + 200,
                    source=Source.WEBHOOK,
                    phone=make(DAYS, 3).phone,
                )
            ]
        )
        assert (Journal(root).base() or 0) > f.pos  # the follower has been overtaken

        # The cyclic collector's full pass walks every object in the process (0.2-0.4 s here,
        # ~1 s at 500k loaded) whatever the store does; an app keeps what it loaded out of that
        # walk the same way. Measured here: the catch-up's own slices.
        gc.freeze()
        stop, lateness = asyncio.Event(), []
        probes = asyncio.create_task(probe(stop, lateness))
        follower = asyncio.create_task(f.follow(0.05))
        t = time.perf_counter()
        end = Journal(root).signature()
        while f.pos != w.pos and time.perf_counter() - t < 60:
            await asyncio.sleep(0.05)
        took = time.perf_counter() - t
        stop.set()
        await probes
        follower.cancel()
        assert f.pos == w.pos and Journal(root).signature() == end, f"not caught up in {took:.1f} s"
        assert max(lateness) < STALL_S, (
            f"the loop froze {max(lateness):.3f} s (caught up in {took:.2f} s)"
        )

        # Every record applied: memory equals a fresh open that loads the same partitions.
        fresh = Store.open(root, clock=clock, readonly=True, memory_messages=3_000)
        try:
            await load_everything(fresh)
            assert set(fresh.state.loaded) == set(f.state.loaded)
            a, b = memory(f), memory(fresh)
            assert [k for k in a if a[k] != b[k]] == []
        finally:
            fresh.close()
        # What was missed is there, and the listener heard each difference as it was applied.
        got = f.state.index.by_key
        assert got[make(2, 0).key].state is DeliveryState.FAILED  # a parked change reconciled
        assert got[make(2, 0).key].error_code == 1
        assert got[make(2, 60 * 97 % PER_DAY).key] is not None
        assert got[make(5, 11).key].sent_at == day_start(7) + 11.0
        assert f.state.part_of[make(5, 11).key] == f.state.part_of[make(7, 0).key]
        assert got[make(DAYS, 3).key].state is DeliveryState.DELIVERED
        assert f.latest_balance("acc") == _balance()
        replay = dict(before)
        for c in heard:
            if c.kind == "removed":
                replay.pop(c.key, None)
            else:
                replay[c.key] = c.after
        assert replay == dict(got.items())
    finally:
        gc.unfreeze()
        f.close()
        w.close()


async def test_a_write_of_the_follower_while_overtaken_catches_up_first(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    build(root)
    clock = FakeClock(T_NOW + 60)
    w = Store.open(root, clock=clock, memory_messages=3_000)
    f = Store.open(root, clock=clock, readonly=True, memory_messages=3_000)
    try:
        await f.load_older(4)
        writes_the_follower_misses(w)
        assert w.checkpoint()
        own = make(DAYS, 9_000, state=DeliveryState.QUEUED, raw_status="-1")
        changes = await f.apply_async([own], source=Source.SEND)  # its own record comes last
        assert [(c.kind, c.key) for c in changes] == [("inserted", own.key)]
        assert f.get(make(DAYS, 3).key) is not None  # the records before it were applied first
        assert f.get(make(DAYS - 1, 0).key).state is DeliveryState.DELIVERED  # type: ignore[union-attr]
        fresh = Store.open(root, clock=clock, readonly=True, memory_messages=3_000)
        try:
            for name in f.state.loaded - fresh.state.loaded:
                info = fresh.state.parts[name]
                fresh.state.install(info, fresh._read_partition(info))
            assert memory(f) == memory(fresh)
        finally:
            fresh.close()
    finally:
        f.close()
        w.close()
