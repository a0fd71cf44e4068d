"""The message index: chunked order and sharded key map against a plain sorted list, and views
that never change under their reader (copy-on-write by chunk and by shard)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from smstui.model import DeliveryState, Message, Provider, sort_key
from smstui.store import index as ix
from smstui.store.index import MessageIndex, SortedRuns

T0 = 1_763_700_000.0


def m(i: int, sent: float | None, phone: str = "79990000001", **kw: object) -> Message:
    """A message with id i sent at `sent` (None: undated)."""
    return Message("acc", Provider.SMSC, str(i), phone, DeliveryState.QUEUED, sent_at=sent,
                   **kw)  # type: ignore[arg-type]  # fmt: skip


def expected(messages: dict[tuple[str, str, str], Message]) -> list[Message]:
    return sorted(messages.values(), key=sort_key)


def test_views_keep_their_moment_through_every_kind_of_change(monkeypatch) -> None:
    monkeypatch.setattr(ix, "LOAD", 4)  # many chunks from few messages
    index = MessageIndex()
    index.add_many(m(i, T0 + i) for i in range(40))
    v1 = index.view()
    before = list(v1)
    index.put(m(5, T0 + 1000))  # moves to the top
    index.put(m(6, T0 + 6, text="changed"))  # same place, new message
    index.remove(("acc", "7", "79990000001"))
    index.add_many(m(i, T0 - 1000 + i) for i in range(100, 140))  # older than all
    index.add_many(m(i, T0 + i + 0.5) for i in range(200, 230))  # between every pair
    index.remove_many([("acc", str(i), "79990000001") for i in range(10, 20)])
    assert list(v1) == before
    assert v1.get(("acc", "7", "79990000001")) is not None
    assert v1.get(("acc", "100", "79990000001")) is None
    assert v1[0] == before[0] and v1[-1] == before[-1] and list(v1[3:9]) == before[3:9]
    v2 = index.view()
    truth = expected(dict(index.by_key.items()))
    assert list(v2) == truth
    assert len(v2) == len(index) == 40 - 1 - 10 + 40 + 30
    assert [v2[i] for i in range(len(v2))] == truth
    assert list(v2[5:50:7]) == truth[5:50:7] and list(v2[-3:]) == truth[-3:]
    assert v2[0].message_id == "5"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "many", "remove", "drop", "view"]),
                          st.lists(st.integers(0, 300), max_size=40)), max_size=30))  # fmt: skip
def test_any_sequence_of_changes_matches_a_sorted_list(ops) -> None:
    old_load = ix.LOAD
    ix.LOAD = 3
    try:
        index = MessageIndex()
        truth: dict[tuple[str, str, str], Message] = {}
        views = []
        rng = random.Random(len(ops))
        for op, ids in ops:
            if op == "put":
                for i in ids:
                    new = m(i, None if i % 13 == 0 else T0 + rng.randrange(50))
                    index.put(new)
                    truth[new.key] = new
            elif op == "many":
                batch = [m(i, T0 + rng.randrange(-20, 70)) for i in ids]
                index.add_many(batch)
                for x in batch:
                    truth.setdefault(x.key, x)
            elif op == "remove":
                for i in ids:
                    k = ("acc", str(i), "79990000001")
                    assert (index.remove(k) is None) == (truth.pop(k, None) is None)
            elif op == "drop":
                keys = [("acc", str(i), "79990000001") for i in ids]
                assert index.remove_many(keys) == len({k for k in keys if k in truth})
                for k in keys:
                    truth.pop(k, None)
            else:
                views.append((index.view(), expected(truth)))
        assert list(index.view()) == expected(truth)
        assert len(index) == len(truth) == len(index.by_key)
        assert dict(index.by_key.items()) == truth
        for view, then in views:
            assert list(view) == then
            assert [view[i] for i in range(len(view))] == then
            assert all(view.get(x.key) is x for x in then)
    finally:
        ix.LOAD = old_load


def test_a_sorted_run_below_everything_is_appended_without_touching_the_chunks_above() -> None:
    runs = SortedRuns()
    runs.insert_many(
        sorted(((float(-i), 1, str(i), "", "a"), ("a", str(i), "")) for i in range(5000))
    )
    chunks_before = list(runs._chunks)
    runs.snapshot()  # shares every chunk
    runs.insert_many([((float(i), 1, str(i), "", "a"), ("a", f"o{i}", "")) for i in range(1, 3000)])
    assert all(a is b for a, b in zip(chunks_before, runs._chunks, strict=False))
    assert len(runs) == 5000 + 2999
    flat = list(runs)
    assert flat == sorted(flat)
    assert max(len(c) for c in runs._chunks) <= 2 * ix.LOAD


def test_key_map_snapshot_copies_only_the_shard_a_change_touches() -> None:
    index = MessageIndex()
    index.add_many(m(i, T0 + i) for i in range(5000))
    frozen = index.view()._by_key
    shards = list(index.by_key._shards)
    index.put(m(1, T0 + 1, text="new"))
    changed = [i for i, (a, b) in enumerate(zip(shards, index.by_key._shards, strict=True))
               if a is not b]  # fmt: skip
    assert len(changed) == 1
    assert frozen[("acc", "1", "79990000001")].text == ""
    assert index.by_key[("acc", "1", "79990000001")].text == "new"
