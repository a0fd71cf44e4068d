"""One message document that does not decode is set aside; the rest of the cache is served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from store_support import T0, chg, key, msg, snapshot

from smstui.clock import FakeClock
from smstui.model import DeliveryState as S
from smstui.store import Store
from smstui.store import rejects as rejects_mod
from smstui.store.rejects import REJECTS_NAME, read_rejects

PART = "acc/2025-11-21-000"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 100)


def written(root: Path, clock: FakeClock) -> list:
    """A cache of five messages with timelines, checkpointed by the real Store."""
    with Store.open(root, clock=clock) as s:
        s.apply([msg(str(i)) for i in range(5)])
        s.apply([chg(str(i), S.DELIVERED, T0 + 10 + i) for i in range(5)])
        return snapshot(s)


def corrupt(root: Path, mid: str, damage) -> dict[str, Any]:
    """Change one message document inside a partition file; the file stays valid JSON."""
    path = root / "partitions" / f"{PART}.json"
    data = json.loads(path.read_bytes())
    (doc,) = [d for d in data["messages"].values() if d["message_id"] == mid]
    damage(doc)
    path.write_text(json.dumps(data), encoding="utf-8")
    return doc


def _state(doc: dict) -> None:
    doc["state"] = "delivexed"  # one flipped character: no DeliveryState


def _entry_shape(doc: dict) -> None:
    doc["timeline"][0] = doc["timeline"][0][:3]


def _entry_state(doc: dict) -> None:
    doc["timeline"][-1][0] = "deliverad"


def _number_as_text(doc: dict) -> None:
    doc["sent_at"] = str(doc["sent_at"])


def _entry_time_as_text(doc: dict) -> None:
    doc["timeline"][0][2] = "1763700000.0"


def _unknown_field(doc: dict) -> None:
    doc["stat"] = doc.pop("state")


DAMAGES = {
    "state": (_state, "delivexed"),
    "entry-shape": (_entry_shape, "6, 7 or 9 fields"),
    "entry-state": (_entry_state, "deliverad"),
    "number-as-text": (_number_as_text, "sent_at is a str"),
    "entry-time-as-text": (_entry_time_as_text, "is not a number"),
    "unknown-field": (_unknown_field, "stat"),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_bad_document_is_set_aside_and_the_rest_is_served(tmp_path, clock, damage) -> None:
    root = tmp_path / "c"
    before = written(root, clock)
    fn, why = DAMAGES[damage]
    bad = corrupt(root, "3", fn)
    with Store.open(root, clock=clock) as s:
        assert snapshot(s) == [row for row in before if row[0].message_id != "3"]
        assert s.get(key("3")) is None
        text = f"1 message document of partition {PART} set aside in {REJECTS_NAME}"
        assert any(text in n and why in n for n in s.notices), s.notices
        assert any(text in e.text for e in s.side.events)  # the event log says so
        assert f"of partition {PART} set aside: " in s.health().problem  # and the health line
        assert [r.doc for r in s.state.rejected] == [bad]
        s.apply([chg("2", S.READ, T0 + 50)])  # the cache keeps taking changes
    (kept,) = read_rejects(root / REJECTS_NAME)
    assert kept["partition"] == PART and kept["doc"] == bad and why in str(kept["reason"])
    # The checkpoint wrote the partition without it; the next open is clean, nothing repeats.
    with Store.open(root, clock=clock) as s:
        assert s.notices == [] and len(s) == 4 and s.get(key("2")).state is S.READ  # type: ignore[union-attr]
    assert len(read_rejects(root / REJECTS_NAME)) == 1


def test_a_reader_reports_and_writes_nothing(tmp_path, clock) -> None:
    root = tmp_path / "c"
    written(root, clock)
    corrupt(root, "1", _state)
    partition = (root / "partitions" / f"{PART}.json").read_bytes()
    with Store.open(root, clock=clock, readonly=True) as r:
        assert len(r) == 4
        assert any("set aside (not shown here)" in n for n in r.notices), r.notices
    assert not (root / REJECTS_NAME).exists()
    assert (root / "partitions" / f"{PART}.json").read_bytes() == partition


def test_set_aside_twice_before_a_checkpoint_keeps_one_line(tmp_path, clock) -> None:
    """A writer killed before its checkpoint rewrote the partition sets the doc aside again."""
    root = tmp_path / "c"
    written(root, clock)
    corrupt(root, "1", _state)
    for _ in range(2):
        s = Store.open(root, clock=clock)
        assert len(s) == 4
        s._lock.release()  # type: ignore[union-attr]  # gone without a checkpoint
        s._lock = None
    assert len(read_rejects(root / REJECTS_NAME)) == 1


def test_when_the_rejects_file_fails_the_partition_is_linked_aside(tmp_path, clock) -> None:
    root = tmp_path / "c"
    written(root, clock)
    bad = corrupt(root, "4", _state)
    (root / REJECTS_NAME).mkdir()  # a real fault: the file cannot be opened for appending
    with Store.open(root, clock=clock) as s:
        assert len(s) == 4
        assert any("set aside in 2025-11-21-000.json.rejects-" in n for n in s.notices)
    (aside,) = (root / "partitions" / "acc").glob("*.rejects-*")
    assert bad in json.loads(aside.read_bytes())["messages"].values()
    assert len(json.loads((root / "partitions" / f"{PART}.json").read_bytes())["messages"]) == 4


def test_when_nothing_can_keep_it_the_whole_partition_is_set_aside(
    tmp_path, clock, monkeypatch
) -> None:
    """No rejects file, no hard link: the partition is never rewritten without the document."""
    root = tmp_path / "c"
    written(root, clock)
    corrupt(root, "4", _state)
    (root / REJECTS_NAME).mkdir()

    def no_link(*_: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(rejects_mod.os, "link", no_link)
    with Store.open(root, clock=clock) as s:
        assert len(s) == 0
        assert any("could not be set aside" in n and "kept it as" in n for n in s.notices)
        s.apply([chg("0", S.READ, T0 + 50)])  # parked, not lost
    (aside,) = (root / "partitions" / "acc").glob("*.damaged-*")
    assert len(json.loads(aside.read_bytes())["messages"]) == 5
