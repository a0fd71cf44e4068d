"""A damaged journal record in the middle: kept aside with its bytes once, said once per
process (event log and health line), never again by a follower's tail."""

from __future__ import annotations

import asyncio

import pytest
from store_support import T0, chg, key, msg

from smstui.clock import FakeClock
from smstui.model import DeliveryState as S
from smstui.store import Store
from smstui.store.damaged import DAMAGED_NAME
from smstui.store.journal import HEADER_LEN


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


def damage_second_record(root, clock) -> tuple[int, bytes]:
    """Three records by an appender, the second one's JSON with a flipped bit; (position, the
    damaged line as it now is on disk)."""
    with Store.open(root, clock=clock, readonly=True) as s:
        s.apply([msg("1"), msg("2")])
        s.apply([chg("1", S.DELIVERED, T0 + 5)])
        s.record_event("note", "kept")
    path = root / "journal.log"
    data = bytearray(path.read_bytes())
    first_end = data.index(b"\n", HEADER_LEN) + 1
    data[first_end + 20] ^= 0x01
    path.write_bytes(bytes(data))
    line = bytes(data[first_end : data.index(b"\n", first_end)])
    return first_end - HEADER_LEN, line  # a new journal's base is 0


def store_notices(s: Store) -> list[str]:
    return [e.text for e in s.side.events if e.kind == "store" and "damaged record" in e.text]


async def test_a_damaged_record_is_kept_once_and_said_once_per_process(tmp_path, clock) -> None:
    root = tmp_path / "c"
    at, line = damage_second_record(root, clock)
    w = Store.open(root, clock=clock)
    f = Store.open(root, clock=clock, readonly=True)
    task = asyncio.create_task(f.follow(0.01))
    try:
        for n in range(20):  # the follower's tail reads again and again while records come
            w.apply([msg(f"more-{n}")])
            w.catch_up()
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
    assert f.get(key("more-19")) is not None  # the follower did follow
    assert (root / DAMAGED_NAME).read_bytes() == b"%020d %s\n" % (at, line)  # exact bytes
    for s in (w, f):
        (text,) = store_notices(s)
        assert f"damaged record at {at}" in text and "kept in journal.damaged" in text
        assert s.notices.count(text) == 1
        assert f"damaged record at {at}" in s.health().problem
        assert s.get(key("2")) is not None and s.side.events[-1].text != text  # later ones
    with Store.open(root, clock=clock, readonly=True) as third:  # reads it too: kept once
        assert len(store_notices(third)) == 1
    assert (root / DAMAGED_NAME).read_bytes().count(b"\n") == 1
    assert w.checkpoint()  # trimmed past it: the journal no longer holds it, the file does
    f.close()
    w.close()
    with Store.open(root, clock=clock) as again:
        assert again.notices == []  # no fresh notice; the event log keeps the writer's one
        assert len(store_notices(again)) <= 1
    assert (root / DAMAGED_NAME).read_bytes() == b"%020d %s\n" % (at, line)


def test_a_damaged_record_that_cannot_be_kept_is_still_reported(tmp_path, clock) -> None:
    root = tmp_path / "c"
    at, _ = damage_second_record(root, clock)
    (root / DAMAGED_NAME).mkdir()  # not a file: it cannot be opened for writing
    with Store.open(root, clock=clock, readonly=True) as s:
        (text,) = store_notices(s)
        assert f"damaged record at {at}" in text and "could not be kept" in text
        assert s.get(key("2")) is not None  # the records after it still apply
