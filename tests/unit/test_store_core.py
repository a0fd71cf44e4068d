"""Store basics: merge rules, idempotent timelines, pending changes, sorted order, reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider, Source, StatusChange
from smstui.store import Store

T0 = 1_763_700_000.0


def msg(mid: str, phone: str = "79990000001", **kw: object) -> Message:
    base: dict[str, object] = {"sent_at": T0, "state": S.QUEUED, "updated_at": T0}
    base.update(kw)
    return Message("acc", Provider.SMSC, mid, phone, **base)  # type: ignore[arg-type]


def chg(mid: str, state: S, at: float, phone: str = "79990000001", **kw: object) -> StatusChange:
    return StatusChange("acc", mid, state, str(state), at, phone=phone, **kw)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


@pytest.fixture
def store(tmp_path, clock):
    s = Store.open(tmp_path / "cache", clock=clock)
    yield s
    s.close()


def test_insert_then_status_change_updates_and_reports(store: Store) -> None:
    out = store.apply([msg("1")])
    assert [c.kind for c in out] == ["inserted"]
    out = store.apply([chg("1", S.DELIVERED, T0 + 10)])
    assert [c.kind for c in out] == ["updated"]
    m = store.get(("acc", "1", "79990000001"))
    assert m is not None and m.state is S.DELIVERED and m.updated_at == T0 + 10
    assert out[0].before is not None and out[0].before.state is S.QUEUED


def test_final_state_never_goes_back(store: Store) -> None:
    store.apply([msg("1"), chg("1", S.DELIVERED, T0 + 10)])
    out = store.apply([chg("1", S.SENT, T0 + 20)])
    assert [c.kind for c in out] == ["timeline"]  # recorded, but the message stays delivered
    assert store.get(("acc", "1", "79990000001")).state is S.DELIVERED  # type: ignore[union-attr]
    store.apply([msg("1", state=S.QUEUED, updated_at=T0 + 30)])
    assert store.get(("acc", "1", "79990000001")).state is S.DELIVERED  # type: ignore[union-attr]


def test_newer_updated_at_wins_and_details_are_kept(store: Store) -> None:
    store.apply([msg("1", text="hello", cost=Decimal("1.5"), state=S.SENT, updated_at=T0 + 5)])
    store.apply([msg("1", state=S.QUEUED, updated_at=T0 + 1)])  # older: loses
    m = store.get(("acc", "1", "79990000001"))
    assert m is not None and m.state is S.SENT and m.text == "hello" and m.cost == Decimal("1.5")
    store.apply([msg("1", state=S.FAILED, updated_at=T0 + 9, error_code=1, text="")])
    m = store.get(("acc", "1", "79990000001"))
    assert m is not None and m.state is S.FAILED and m.error_code == 1 and m.text == "hello"


def test_same_observation_twice_adds_nothing(store: Store) -> None:
    store.apply([msg("1")])
    c = chg("1", S.DELIVERED, T0 + 10, source=Source.WEBHOOK)
    assert store.apply([c])
    v = store.version
    assert store.apply([c]) == []
    assert store.version == v
    states = [x.state for x in store.timeline(("acc", "1", "79990000001"))]
    assert states == [S.QUEUED, S.DELIVERED]


def test_timeline_stays_chronological(store: Store) -> None:
    store.apply([msg("1", state=S.UNKNOWN, updated_at=None, raw_status="")])
    store.apply([chg("1", S.DELIVERED, T0 + 20)])
    store.apply([chg("1", S.SENT, T0 + 10)])  # late webhook retry
    tl = store.timeline(("acc", "1", "79990000001"))
    assert [c.at for c in tl] == [T0 + 10, T0 + 20]
    assert store.get(("acc", "1", "79990000001")).state is S.DELIVERED  # type: ignore[union-attr]


def test_change_for_unknown_message_is_pending_then_reconciled(store: Store) -> None:
    assert store.apply([chg("9", S.DELIVERED, T0 + 10)]) == []
    assert len(store.pending_changes()) == 1
    out = store.apply([msg("9")])
    assert [c.kind for c in out] == ["inserted", "updated"]
    assert store.get(("acc", "9", "79990000001")).state is S.DELIVERED  # type: ignore[union-attr]
    assert store.pending_changes() == []


def test_change_without_phone_resolves_by_unique_id(store: Store) -> None:
    store.apply([msg("5", phone="7111")])
    store.apply([chg("5", S.DELIVERED, T0 + 3, phone="")])
    assert store.get(("acc", "5", "7111")).state is S.DELIVERED  # type: ignore[union-attr]
    store.apply([msg("6", phone="7111"), msg("6", phone="7222")])
    assert store.apply([chg("6", S.DELIVERED, T0 + 3, phone="")]) == []  # ambiguous: parked
    assert len(store.find("acc", "6")) == 2


def test_sorted_order_under_inserts_and_views_are_immutable(store: Store) -> None:
    store.apply([msg(str(i), sent_at=T0 + (i * 7) % 13) for i in range(50)])
    view = store.messages_sorted()
    assert len(view) == 50
    store.apply([msg("new", sent_at=T0 + 1000), chg("3", S.DELIVERED, T0 + 99)])
    assert len(view) == 50 and view[0].message_id != "new"  # the old view did not move
    order = list(store.messages_sorted())
    assert order[0].message_id == "new"
    keys = [(-(m.sent_at or 0), len(m.message_id), m.message_id) for m in order]
    assert keys == sorted(keys)
    assert next(m for m in order if m.message_id == "3").state is S.DELIVERED


def test_sent_at_change_moves_message_in_order(store: Store) -> None:
    store.apply([msg("a", sent_at=T0), msg("b", sent_at=T0 + 1)])
    store.apply([msg("a", sent_at=T0 + 5)])
    assert [m.message_id for m in store.messages_sorted()] == ["a", "b"]


def test_counts_and_non_final(store: Store) -> None:
    store.apply([msg("1"), msg("2"), msg("3"), chg("2", S.DELIVERED, T0 + 1)])
    assert store.counts_by_state("acc") == {S.QUEUED: 2, S.DELIVERED: 1}
    assert store.counts_by_state() == {S.QUEUED: 2, S.DELIVERED: 1}
    assert sorted(m.message_id for m in store.non_final("acc")) == ["1", "3"]


def test_listener_gets_each_batch_and_a_broken_one_does_not_break_apply(store: Store) -> None:
    seen = []

    def broken(changes):
        raise RuntimeError("boom")

    store.add_listener(broken)
    store.add_listener(seen.append)
    store.apply([msg("1")])
    assert len(seen) == 1 and seen[0][0].kind == "inserted"


def test_bad_item_rejected_before_anything_is_applied(store: Store) -> None:
    with pytest.raises(StoreError, match="cannot apply a str"):
        store.apply([msg("1"), "nonsense"])  # type: ignore[list-item]
    assert len(store) == 0


@pytest.mark.parametrize("seed", range(5))
def test_sorted_order_matches_a_full_sort_after_random_batches(tmp_path, seed) -> None:
    import random

    rng = random.Random(seed)
    with Store.open(tmp_path / f"c{seed}", clock=FakeClock(T0)) as s:
        for _ in range(20):
            batch: list[Message | StatusChange] = []
            for _ in range(10):
                mid = str(rng.randrange(60))
                if rng.random() < 0.7:
                    sent = None if rng.random() < 0.1 else T0 + rng.randrange(30)
                    batch.append(msg(mid, sent_at=sent, updated_at=T0 + rng.randrange(30)))
                else:
                    batch.append(chg(mid, rng.choice(list(S)), T0 + rng.randrange(50)))
            s.apply(batch)
            got = [m.key for m in s.messages_sorted()]
            want = sorted(
                s.index.by_key.values(),
                key=lambda m: (
                    -m.sent_at if m.sent_at is not None else float("inf"),
                    len(m.message_id),
                    m.message_id,
                ),
            )
            assert got == [m.key for m in want]
            assert sum(s.counts_by_state().values()) == len(s)


async def test_refresh_async_reads_off_the_loop_and_installs_on_it(tmp_path):
    """A reader on an event loop follows the writer's flushes; listeners run on the loop."""
    import threading

    from smstui.model import DeliveryState, Message, Provider
    from smstui.store import Store

    writer = Store.open(tmp_path / "c")
    reader = Store.open(tmp_path / "c", readonly="auto")
    seen: list[str] = []
    reader.add_listener(lambda changes: seen.append(threading.current_thread().name))
    try:
        assert await reader.refresh_async() == []  # nothing flushed yet: one stat, no read
        message = Message("a", Provider.SMSC, "1", "7999", DeliveryState.SENT, sent_at=1.0)
        writer.apply([message])
        writer.checkpoint()
        changes = await reader.refresh_async()
        assert [c.kind for c in changes] == ["inserted"] and reader.get(message.key) == message
        assert seen == [threading.current_thread().name]
        assert await reader.refresh_async() == []
    finally:
        reader.close()
        writer.close()
