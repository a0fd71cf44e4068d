"""Store on disk: round trip, TinyDB compatibility, atomic writes, corruption, lock, followers."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import pytest
from tinydb import Query, TinyDB

from smstui.clock import FakeClock
from smstui.errors import StoreError
from smstui.model import Balance, IncomingMessage, Message, Provider, StatusChange
from smstui.model import DeliveryState as S
from smstui.store import Store
from smstui.store.storage import AtomicJSONStorage

T0 = 1_763_700_000.0
P = "79990000001"


def msg(mid: str, **kw: object) -> Message:
    base: dict[str, object] = {"sent_at": T0, "state": S.QUEUED, "updated_at": T0}
    base.update(kw)
    return Message("acc", Provider.WEBCOM, mid, P, **base)  # type: ignore[arg-type]


def chg(mid: str, state: S, at: float) -> StatusChange:
    return StatusChange("acc", mid, state, state.value, at, phone=P)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


def test_round_trip_keeps_everything(tmp_path, clock) -> None:
    path = tmp_path / "c.json"
    with Store.open(path, clock=clock) as s:
        s.apply([msg("1", text="Привет", cost=Decimal("2.10"), parts=2), chg("1", S.SENT, T0 + 1)])
        s.apply([chg("2", S.DELIVERED, T0 + 2)])  # pending
        s.record_balance(Balance("acc", Decimal("10.5"), "RUB", at=T0, details=(("ru", "4"),)))
        s.record_incoming([IncomingMessage("acc", "in1", P, "да", received_at=T0)])
        s.record_event("backoff", "status 9: waiting 60 s")
        s.set_cursor("acc.history_id", 1234)
    with Store.open(path, clock=clock) as s:
        m = s.get(("acc", "1", P))
        assert m is not None and m.text == "Привет" and m.cost == Decimal("2.10") and m.parts == 2
        assert m.state is S.SENT
        assert [c.state for c in s.timeline(("acc", "1", P))] == [S.QUEUED, S.SENT]
        assert len(s.pending_changes()) == 1
        b = s.latest_balance("acc")
        assert b is not None and b.amount == Decimal("10.5") and b.details == (("ru", "4"),)
        assert s.incoming("acc")[0].text == "да"
        assert s.events(1)[0].kind == "backoff"
        assert s.get_cursor("acc.history_id") == 1234
        s.apply([msg("2")])  # the pending change is reconciled after a restart too
        assert s.get(("acc", "2", P)).state is S.DELIVERED  # type: ignore[union-attr]


def test_file_is_a_tinydb_database(tmp_path, clock) -> None:
    path = tmp_path / "c.json"
    with Store.open(path, clock=clock) as s:
        s.apply([msg("1"), msg("2", state=S.DELIVERED)])
    db = TinyDB(path, storage=AtomicJSONStorage)
    delivered = Query().r.test(lambda row: row.split("|")[4] == "delivered")
    assert len(db.table("messages").search(delivered)) == 1
    assert db.table("meta").all()[0]["schema"] == 2
    assert b", " not in path.read_bytes()  # compact separators


def test_flush_is_atomic_and_leaves_no_temp_files(tmp_path, clock, monkeypatch) -> None:
    path = tmp_path / "c.json"
    s = Store.open(path, clock=clock)
    s.apply([msg("1")])
    assert s.flush() and not s.dirty and not s.flush()
    before = path.read_bytes()
    s.apply([msg("2")])

    def fail_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(StoreError, match="No space left"):
        s.flush()
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old file is intact
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    assert s.dirty and s.flush()
    s.close()


async def test_flush_async_writes_off_loop(tmp_path, clock) -> None:
    s = Store.open(tmp_path / "c.json", clock=clock)
    s.apply([msg(str(i)) for i in range(100)])
    res = await s.flush_async()
    assert res.written and res.bytes > 0 and res.snapshot_s >= 0
    assert not (await s.flush_async()).written
    s.close()
    data = json.loads((tmp_path / "c.json").read_text())
    assert len(data["messages"]) == 100


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1,2]",
        b'{"meta":{"1":{"schema":99}}}',
        b'{"meta":{"1":{"schema":1}},"messages":{"1":{"account":"a"}}}',
        b'{"meta":{"1":{"schema":2}},"messages":{"1":{"r":"a|smsc|1"}}}',
        b'{"meta":{"1":{"schema":2}},"messages":{"1":{"r":"a|sms|1|7|queued|||||||||||"}}}',
        b"\xff\xfe",
    ],
)
def test_corrupt_file_is_moved_aside_and_fresh_store_starts(tmp_path, clock, content) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(content)
    with Store.open(path, clock=clock) as s:
        assert len(s) == 0
        assert s.notices and "moved it to c.json.corrupt-" in s.notices[0]
        assert s.events(1)[0].kind == "store"
        s.apply([msg("1")])
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    with Store.open(path, clock=clock) as s:
        assert len(s) == 1 and not s.notices


def test_second_writer_refused_and_auto_falls_back_to_readonly(tmp_path, clock) -> None:
    path = tmp_path / "c.json"
    w = Store.open(path, clock=clock)
    with pytest.raises(StoreError, match=rf"already being written.*pid {os.getpid()}"):
        Store.open(path, clock=clock)
    r = Store.open(path, clock=clock, readonly="auto")
    assert r.readonly and not w.readonly
    with pytest.raises(StoreError, match="read-only"):
        r.apply([msg("1")])
    r.close()
    w.close()
    w2 = Store.open(path, clock=clock)  # the lock is free again
    w2.close()


def test_readonly_follows_flushed_changes(tmp_path, clock) -> None:
    path = tmp_path / "c.json"
    w = Store.open(path, clock=clock)
    w.apply([msg("1")])
    w.flush()
    r = Store.open(path, clock=clock, readonly=True)
    seen = []
    r.add_listener(seen.append)
    assert len(r) == 1 and r.refresh() == []  # unchanged file: nothing to do
    w.apply([chg("1", S.DELIVERED, T0 + 5), msg("2")])
    assert r.refresh() == []  # not flushed yet
    w.flush()
    changes = r.refresh()
    assert sorted(c.kind for c in changes) == ["inserted", "updated"]
    assert r.get(("acc", "1", P)).state is S.DELIVERED  # type: ignore[union-attr]
    assert len(seen) == 1
    w.close()
    assert r.promote() and not r.readonly
    r.apply([msg("3")])
    r.close()
    with Store.open(path, clock=clock, readonly=True) as again:
        assert len(again) == 3


def test_retention_drops_old_final_messages_only(tmp_path, clock) -> None:
    with Store.open(tmp_path / "c.json", clock=clock) as s:
        s.apply(
            [
                msg("old-final", state=S.DELIVERED, updated_at=T0 - 40 * 86400),
                msg("old-open", state=S.QUEUED, updated_at=T0 - 40 * 86400),
                msg("new-final", state=S.DELIVERED, updated_at=T0),
            ]
        )
        assert s.prune(30 * 86400) == 1
        assert {m.message_id for m in s.messages_sorted()} == {"old-open", "new-final"}
        assert s.timeline(("acc", "old-final", P)) == []
        assert s.find("acc", "old-final") == []
