"""SortedRuns' bulk changes against a plain sorted list: order, length, the count dropped, and
chunks the change does not reach staying shared with the snapshot taken before it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smstui.store import index as ix
from smstui.store.index import Entry, SortedRuns


def entry(i: int) -> Entry:
    """A distinct entry that sorts by i."""
    return ((float(i), 1, str(i), "", "a"), ("a", str(i), ""))


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ix, "LOAD", 3)  # many chunks from few entries


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.integers(0, 200), max_size=30)),
        max_size=25,
    )
)
def test_bulk_inserts_and_removals_match_a_sorted_list(ops: list[tuple[bool, list[int]]]) -> None:
    old_load, ix.LOAD = ix.LOAD, 3
    try:
        runs, truth = SortedRuns(), set[int]()
        for insert, ids in ops:
            if insert:
                new = sorted({i for i in ids if i not in truth})
                runs.insert_many([entry(i) for i in new])
                truth.update(new)
            else:
                dropped = runs.remove_many(entry(i) for i in ids)
                assert dropped == len(truth & set(ids))
                truth.difference_update(ids)
            assert list(runs) == [entry(i) for i in sorted(truth)]
            assert len(runs) == len(truth)
            assert all(0 < len(c) <= 2 * ix.LOAD for c in runs._chunks)
    finally:
        ix.LOAD = old_load


@pytest.mark.usefixtures("small_chunks")
def test_a_removal_copies_only_the_chunks_it_takes_entries_from() -> None:
    runs = SortedRuns()
    runs.insert_many([entry(i) for i in range(0, 60, 2)])
    runs.snapshot()  # shares every chunk
    before = list(runs._chunks)
    assert runs.remove_many([entry(30), entry(31), entry(999)]) == 1  # 31, 999 absent
    touched = [c for c in runs._chunks if not any(c is b for b in before)]
    assert len(runs._chunks) == len(before) and len(touched) == 1
    assert entry(30) not in touched[0] and len(runs) == 29


@pytest.mark.usefixtures("small_chunks")
def test_a_removal_that_empties_a_chunk_drops_it() -> None:
    runs = SortedRuns()
    runs.insert_many([entry(i) for i in range(12)])
    first = list(runs._chunks[0])
    assert runs.remove_many(first) == len(first)
    assert list(runs) == [entry(i) for i in range(len(first), 12)]
    assert len(runs._chunks) == 12 // len(first) - 1


@pytest.mark.usefixtures("small_chunks")
def test_an_insert_above_everything_becomes_new_chunks_and_counts() -> None:
    runs = SortedRuns()
    runs.insert_many([entry(i) for i in range(6)])
    runs.snapshot()
    before = list(runs._chunks)
    runs.insert_many([entry(i) for i in range(100, 120)])
    assert all(a is b for a, b in zip(before, runs._chunks, strict=False))
    assert len(runs) == 26 and list(runs) == [entry(i) for i in [*range(6), *range(100, 120)]]
