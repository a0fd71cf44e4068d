"""Schema 2 on disk: migration from schema 1, history-ordered files, incremental flushes."""

from __future__ import annotations

import json
from decimal import Decimal

from smstui.clock import FakeClock
from smstui.model import DeliveryState as S
from smstui.model import Message, Provider, Source, StatusChange
from smstui.store import Store, legacy
from smstui.store.index import sort_key

T0 = 1_763_700_000.0
P = "79990000001"


def msg(mid: str, account: str = "acc", phone: str = P, **kw: object) -> Message:
    base: dict[str, object] = {"sent_at": T0, "state": S.QUEUED, "updated_at": T0}
    base.update(kw)
    return Message(account, Provider.SMSC, mid, phone, **base)  # type: ignore[arg-type]


def chg(mid: str, state: S, at: float, account: str = "acc", phone: str = P) -> StatusChange:
    return StatusChange(account, mid, state, state.value, at, phone=phone)


def _v1_file(path, clock) -> None:
    """A cache exactly as schema 1 wrote it (positional arrays, timeline lists)."""
    m1 = msg("1", text="Привет | ~ \\", cost=Decimal("2.10"), state=S.DELIVERED)
    m2 = msg("2")
    tl1 = [("queued", "0", T0, "history", None, T0), ("delivered", "1", T0 + 5, "poll", None, T0)]
    pending = {"account": "acc", "message_id": "9", "phone": P,
               "entry": ["delivered", "1", T0 + 9, "webhook", None, T0]}  # fmt: skip
    data = {
        "meta": {"1": {"schema": 1, "saved_at": T0}},
        "messages": {"1": legacy.message_to_doc(m1, tl1), "2": legacy.message_to_doc(m2, [])},
        "pending": {"1": pending},
        "cursor": {"1": {"name": "acc.history_id", "value": 77}},
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_schema_1_file_is_read_then_rewritten_as_schema_2(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0 + 100)
    _v1_file(path, clock)
    with Store.open(path, clock=clock, readonly=True) as r:  # a reader reads, never writes
        assert len(r) == 2 and not r.notices
    assert json.loads(path.read_text())["meta"]["1"]["schema"] == 1
    with Store.open(path, clock=clock) as s:
        assert s.dirty  # the migration is written by the next flush
        m = s.get(("acc", "1", P))
        assert m is not None and m.text == "Привет | ~ \\" and m.cost == Decimal("2.10")
        assert [c.state for c in s.timeline(("acc", "1", P))] == [S.QUEUED, S.DELIVERED]
        assert s.get_cursor("acc.history_id") == 77 and len(s.pending_changes()) == 1
    data = json.loads(path.read_text())
    assert data["meta"]["1"]["schema"] == 2 and set(data["messages"]["1"]) == {"r", "t"}
    with Store.open(path, clock=clock) as s:
        assert not s.dirty
        assert s.get(("acc", "1", P)).text == "Привет | ~ \\"  # type: ignore[union-attr]
        assert [c.source for c in s.timeline(("acc", "1", P))] == [Source.HISTORY, Source.POLL]
        s.apply([msg("9")])  # the migrated pending change still reconciles
        assert s.get(("acc", "9", P)).state is S.DELIVERED  # type: ignore[union-attr]


async def test_changes_for_unknown_ids_are_flushed_and_survive_a_restart(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0 + 100)
    s = Store.open(path, clock=clock)
    await s.flush_async()
    assert s.apply([chg(str(i), S.DELIVERED, T0 + i) for i in range(500)]) == []
    assert s.dirty
    res = await s.flush_async()
    assert res.written and res.bytes > 500 * 40
    s._lock.release()  # a crash right after the flush: no close(), no final flush
    s._lock = None
    with Store.open(path, clock=clock) as again:
        assert len(again.pending_changes()) == 500
        again.apply([msg("7")])
        assert again.get(("acc", "7", P)).state is S.DELIVERED  # type: ignore[union-attr]


async def test_a_flush_after_open_reencodes_only_what_changed(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0 + 100)
    with Store.open(path, clock=clock) as s:
        s.apply([msg(str(i), sent_at=T0 + i % 7) for i in range(300)])
    before = json.loads(path.read_text())["messages"]
    with Store.open(path, clock=clock) as s:
        s.apply([chg("5", S.DELIVERED, T0 + 50)])
        res = await s.flush_async()
        assert res.written and res.reencoded == 1
        res2 = await s.flush_async()
        assert not res2.written
        s.apply([chg("6", S.DELIVERED, T0 + 50)])
        assert (await s.flush_async()).reencoded == 1
    after = json.loads(path.read_text())["messages"]
    changed = [k for k in before if before[k] != after[k]]
    assert len(changed) == 2  # the two delivered messages; every other document is identical


def test_file_is_written_in_history_order_and_reopens_in_it(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0)
    with Store.open(path, clock=clock) as s:
        s.apply([msg(str(i), sent_at=T0 + (i * 37) % 101) for i in range(200)])
        order = [m.key for m in s.messages_sorted()]
    rows = [d["r"].split("|") for d in json.loads(path.read_text())["messages"].values()]
    assert [(r[0], r[2], r[3]) for r in rows] == order
    with Store.open(path, clock=clock) as s:
        assert [m.key for m in s.messages_sorted()] == order


def test_a_file_out_of_history_order_still_opens_sorted(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0)
    with Store.open(path, clock=clock) as s:
        s.apply([msg(str(i), sent_at=T0 + i) for i in range(20)])
    data = json.loads(path.read_text())
    docs = list(data["messages"].values())[::-1]  # e.g. edited by another tool
    data["messages"] = {str(i): d for i, d in enumerate(docs, 1)}
    path.write_text(json.dumps(data, ensure_ascii=False))
    with Store.open(path, clock=clock) as s:
        got = list(s.messages_sorted())
        assert got == sorted(got, key=sort_key) and got[0].message_id == "19"
        s.apply([chg("3", S.DELIVERED, T0 + 99)])  # bisecting the reloaded order works
        assert s.get(("acc", "3", P)).state is S.DELIVERED  # type: ignore[union-attr]


def test_two_accounts_sharing_id_phone_and_time_update_the_right_message(tmp_path) -> None:
    with Store.open(tmp_path / "c.json", clock=FakeClock(T0)) as s:
        s.apply([msg("1", account="a"), msg("1", account="b")])
        s.apply([chg("1", S.DELIVERED, T0 + 5, account="b")])
        states = {m.account: m.state for m in s.messages_sorted()}
        assert states == {"a": S.QUEUED, "b": S.DELIVERED}
        assert s.counts_by_state("a") == {S.QUEUED: 1}


def test_one_id_sent_to_several_phones_survives_reopen_and_retention(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0 + 100)
    old = T0 - 40 * 86400
    with Store.open(path, clock=clock) as s:
        s.apply([msg("1", phone="7111", state=S.DELIVERED, updated_at=old),
                 msg("1", phone="7222"), msg("2", phone="7333")])  # fmt: skip
    with Store.open(path, clock=clock) as s:
        assert sorted(m.phone for m in s.find("acc", "1")) == ["7111", "7222"]
        assert s.apply([chg("1", S.FAILED, T0 + 5, phone="")]) == []  # ambiguous: parked
        assert s.prune(30 * 86400) == 1  # 7111: final and older than the retention
        assert [m.phone for m in s.find("acc", "1")] == ["7222"]
        out = s.apply([chg("1", S.DELIVERED, T0 + 6, phone="")])  # now unique: resolves
        assert [c.key for c in out] == [("acc", "1", "7222")]
        assert out[0].change is not None and out[0].change.phone == "7222"
        s.apply([chg("2", S.DELIVERED, T0 + 1, phone="")])
        assert s.get(("acc", "2", "7333")).state is S.DELIVERED  # type: ignore[union-attr]


def _state(store: Store) -> list[tuple]:
    return [(m, tuple(store.timeline(m.key))) for m in store.messages_sorted()]


async def test_random_batches_and_flushes_always_leave_the_file_equal_to_memory(tmp_path) -> None:
    import random

    rng = random.Random(11)
    path = tmp_path / "c.json"
    clock = FakeClock(T0)
    s = Store.open(path, clock=clock)
    for step in range(40):
        batch: list[Message | StatusChange] = []
        for _ in range(rng.randrange(1, 15)):
            mid, phone = str(rng.randrange(40)), rng.choice(["7111", "7222"])
            if rng.random() < 0.5:
                sent = T0 + rng.randrange(20)
                batch.append(msg(mid, phone=phone, sent_at=sent, updated_at=sent,
                                 text=rng.choice(["a|b", "c~d", "e\\N", "да"])))  # fmt: skip
            else:
                state = rng.choice(list(S))
                batch.append(chg(mid, state, T0 + rng.randrange(40), phone=phone))
        s.apply(batch)
        if step % 9 == 8:
            clock.advance(86400)
            s.prune(rng.choice([3600.0, 1e9]))
        if rng.random() < 0.5:
            await s.flush_async()
        else:
            s.flush()
        with Store.open(path, clock=clock, readonly=True) as r:
            assert _state(r) == _state(s), f"step {step}"
            assert len(r.pending_changes()) == len(s.pending_changes())
    s.close()


def test_many_messages_sharing_a_send_time_keep_their_order_across_reopen(tmp_path) -> None:
    path = tmp_path / "c.json"
    clock = FakeClock(T0)
    batch = [msg(str(i), phone=f"7{i % 3}", sent_at=None if i % 4 == 0 else T0) for i in range(90)]
    with Store.open(path, clock=clock) as s:
        s.apply(batch[::-1])
        s.apply([msg("5", phone="72", sent_at=T0 - 1), msg("x", sent_at=T0)])  # moves, inserts
        order = [m.key for m in s.messages_sorted()]
        assert order == [m.key for m in sorted(s.messages_sorted(), key=sort_key)]
    with Store.open(path, clock=clock) as s:
        assert [m.key for m in s.messages_sorted()] == order
        s.apply([msg("8", phone="72", sent_at=None), chg("x", S.DELIVERED, T0 + 3)])
        got = list(s.messages_sorted())
        assert got == sorted(got, key=sort_key) and len(got) == 91
