"""Per-partition summaries: Bloom filters, stamps, rebuilds, and look-ups that use them."""

from __future__ import annotations

import base64
import json
import random
import time
from pathlib import Path

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.queries import Query
from smstui.store import Store
from smstui.store.partitions import read_tables, write_tables
from smstui.store.summaries import Bloom, path_of, phone_hashes, read_keys

T0 = 1_764_590_400.0
DAY = 86_400.0


def test_a_bloom_filter_never_says_no_to_a_phone_it_holds_and_rarely_yes_to_others():
    rng = random.Random(3)
    phones = {f"79{rng.randrange(10**9):09d}" for _ in range(10_000)}
    bloom = Bloom.of(phones)
    assert all(bloom.may_hold(phone_hashes(p)) for p in phones)
    # Written as people type it, the same number is the same number.
    some = next(iter(phones))
    assert bloom.may_hold(phone_hashes(f"+{some[0]} {some[1:4]} {some[4:7]}-{some[7:]}"))
    assert bloom.may_hold(phone_hashes("8" + some[1:]))
    others = [f"78{rng.randrange(10**9):09d}" for _ in range(20_000)]
    false = sum(bloom.may_hold(phone_hashes(p)) for p in others)
    assert false / len(others) < 0.005  # ~0.1% by design


def _cache(root: Path, clock: FakeClock, days: int = 6) -> list[Message]:
    messages = [
        Message("acc", Provider.SMSC, str(1000 + d * 100 + i), f"7916{d:03d}{i:04d}",
                DeliveryState.FAILED if i % 5 == 0 else DeliveryState.DELIVERED,
                sent_at=T0 - d * DAY + i, updated_at=T0 - d * DAY + i + 5)
        for d in range(days) for i in range(50)
    ]  # fmt: skip
    with Store.open(root, clock=clock) as s:
        s.apply(messages)
    return messages


def test_a_stale_or_damaged_summary_is_read_around_and_the_writer_rebuilds_it(tmp_path):
    clock = FakeClock(T0)
    messages = _cache(tmp_path, clock)
    oldest = min(messages, key=lambda m: m.sent_at or 0)
    with Store.open(tmp_path, clock=clock, memory_messages=50, readonly=True) as s:
        info = next(i for i in s.unloaded_partitions() if i.may_hold_id(oldest.message_id))
        assert read_keys(tmp_path, info.name, info.stamp) is not None
    keys = path_of(tmp_path, info.name, "keys")
    keys.write_bytes(b"{damaged")
    sets = path_of(tmp_path, info.name, "sets")
    tables = read_tables(sets, ("meta", "docs"))
    assert tables is not None
    write_tables(sets, {"meta": [{"stamp": 10**9}], "docs": []})  # another checkpoint's
    with Store.open(tmp_path, clock=clock, memory_messages=50) as s:
        # Both answers are still whole: that day is read from its partition file instead.
        found = list(s.query(Query(phone=oldest.phone)))
        assert [m.key for m in found] == [oldest.key]
        failed = list(s.query(Query(states=frozenset({DeliveryState.FAILED}))))
        assert len(failed) == sum(m.state is DeliveryState.FAILED for m in messages)
        assert s.needs_checkpoint() and s.checkpoint()  # the writer rebuilds what it missed
    assert read_keys(tmp_path, info.name, info.stamp) is not None
    meta = read_tables(sets, ("meta",))
    assert meta is not None and meta["meta"][0]["stamp"] == info.stamp


def test_summaries_of_the_first_format_still_answer(tmp_path):
    """Keys files written before the hash count was stored used 7 hashes: read as such."""
    clock = FakeClock(T0)
    messages = _cache(tmp_path, clock, days=3)
    for path in (tmp_path / "summaries").rglob("*.keys.json"):
        data = json.loads(path.read_text())
        doc = data["meta"]["1"]
        phones = [m.phone for m in messages if path.name.startswith(_day_of(m))]
        old = Bloom.of(phones)
        bits = bytearray(len(old.bits))
        for p in set(phones):  # the first format: 7 hashes, the same bit layout
            h1, h2 = phone_hashes(p)
            for i in range(7):
                pos = (h1 + i * h2) % (len(bits) * 8)
                bits[pos >> 3] |= 1 << (pos & 7)
        doc["phones"] = base64.b64encode(bytes(bits)).decode()
        del doc["k"]
        path.write_text(json.dumps(data))
    target = messages[-1]
    with Store.open(tmp_path, clock=clock, memory_messages=50, readonly=True) as s:
        assert [m.key for m in s.query(Query(phone=target.phone))] == [target.key]


def _day_of(m: Message) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(m.sent_at or 0))
