"""Per-partition summaries: what whole-history questions read instead of whole partitions.

Beside each partition the checkpoint writes two small TinyDB files under `summaries/`:

- `<name>.keys.json` — a Bloom filter of the partition's phone numbers (14 bits and 10 hashes
  per number: ~0.1% of partitions are read in vain by a phone look-up) and the partition's
  rollup (counts, money, delivery-time histogram: smstui.rollup). A phone look-up reads these
  for every partition (~20 KB each, kept in memory once read) and then only the partitions
  that may hold the number; the breakdown merges the rollups.
- `<name>.sets.json` — the message documents of the partition's open and failed messages, the
  two sets an operator asks about across the whole history (what is still pending, what
  failed): ~7% of a partition, so a failure search reads a fraction of the bytes.

Message ids need no file: each partition's id range is in the manifest (ids grow with time
at both gateways), so an id look-up reads the one or two partitions whose range covers it.

A summary carries the `stamp` (journal position) of the checkpoint that wrote its partition;
the manifest names the same stamp. One that is missing, unreadable or stamped differently is
not used — the partition is read whole instead (slower, never wrong) — and the writer
rebuilds it from the partition (`Checkpointer._backfill`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smstui.errors import StoreError
from smstui.model import DeliveryState, Key, Message, StatusChange
from smstui.phones import digits
from smstui.store.partitions import read_tables, write_tables
from smstui.store.schema import Entry, entry_to_change, message_to_doc

SUMMARIES_DIR = "summaries"
BITS_PER_PHONE, HASHES = 14, 10  # ~0.1% false positives: a partition read in vain costs ~50 ms
_MASK64 = (1 << 64) - 1
# The sets file holds these: the open ones (not final) and the failures.
SET_STATES = frozenset(s for s in DeliveryState if not s.is_final or s.is_failure)


def _hashes(phone: str) -> tuple[int, int]:
    """Two 64-bit hashes of a phone's digits (double hashing gives the k positions)."""
    h = int.from_bytes(hashlib.blake2b(digits(phone).encode(), digest_size=16).digest(), "little")
    return h & _MASK64, (h >> 64) | 1


@dataclass(frozen=True)
class Bloom:
    """A Bloom filter over phone numbers: `may_hold` is never wrong when it says no."""

    bits: bytes
    hashes: int = HASHES  # as written: a filter keeps the count it was built with

    @classmethod
    def of(cls, phones: Iterable[str]) -> Bloom:
        """The filter of these phones, sized for how many there are."""
        hashes = [_hashes(p) for p in set(phones)]
        m = max(64, len(hashes) * BITS_PER_PHONE)
        m += -m % 8
        bits = bytearray(m // 8)
        for h1, h2 in hashes:
            for i in range(HASHES):
                pos = (h1 + i * h2) % m
                bits[pos >> 3] |= 1 << (pos & 7)
        return cls(bytes(bits))

    def may_hold(self, hashes: tuple[int, int]) -> bool:
        """False when the phone is certainly not here."""
        bits, m = self.bits, len(self.bits) * 8
        if not m:
            return False
        h1, h2 = hashes
        for i in range(self.hashes):
            pos = (h1 + i * h2) % m
            if not bits[pos >> 3] & (1 << (pos & 7)):
                return False
        return True


@dataclass(frozen=True)
class Keys:
    """A partition's keys file, decoded."""

    stamp: int | None
    phones: Bloom
    rollup: dict[str, Any] | None


def path_of(root: Path, name: str, kind: str) -> Path:
    """`summaries/<account>/<day>-<chunk>.<kind>.json`."""
    return root / SUMMARIES_DIR / f"{name}.{kind}.json"


def id_order(message_id: str) -> tuple[int, str]:
    """Ids compare numerically when they are numbers (both gateways' are): by length first."""
    return (len(message_id), message_id)


def write_summary(
    root: Path,
    info: Any,
    messages: Sequence[Message],
    timelines: dict[Key, tuple[Entry, ...]] | None = None,
) -> None:
    """Write a partition's keys and sets files (atomic each; the sets first)."""
    from smstui.rollup import rollup_of  # the breakdown's summary of a set of messages

    stamp = getattr(info, "stamp", None)
    tl = timelines or {}
    sets = [message_to_doc(m, tl.get(m.key, ())) for m in messages if m.state in SET_STATES]
    write_tables(path_of(root, info.name, "sets"), {"meta": [{"stamp": stamp}], "docs": sets})

    def timeline(k: Key) -> list[StatusChange]:
        return [entry_to_change(k, e) for e in tl.get(k, ())]

    rollup = rollup_of(messages, timeline).to_doc()
    bloom = base64.b64encode(Bloom.of(m.phone for m in messages).bits).decode("ascii")
    doc = {"stamp": stamp, "phones": bloom, "k": HASHES, "rollup": rollup}
    write_tables(path_of(root, info.name, "keys"), {"meta": [doc]})


def remove_summary(root: Path, name: str) -> None:
    """A partition that is gone takes its summary with it."""
    for kind in ("keys", "sets"):
        path_of(root, name, kind).unlink(missing_ok=True)


def read_keys(root: Path, name: str, stamp: int | None) -> Keys | None:
    """A partition's keys file; None when missing, unreadable or of another checkpoint."""
    try:
        tables = read_tables(path_of(root, name, "keys"), ("meta",))
        if not tables or not tables["meta"]:
            return None
        doc = tables["meta"][0]
        if doc.get("stamp") != stamp:
            return None
        bits = base64.b64decode(doc["phones"], validate=True)
        rollup = doc.get("rollup")
        k = doc.get("k", 7)  # the first summaries used 7 hashes and did not say so
        if not isinstance(k, int) or not 1 <= k <= 32:
            return None
        return Keys(stamp, Bloom(bits, k), rollup if isinstance(rollup, dict) else None)
    except (StoreError, KeyError, TypeError, ValueError):
        return None


def read_sets(root: Path, name: str, stamp: int | None) -> list[dict[str, Any]] | None:
    """A partition's open and failed message documents; None when not usable."""
    try:
        tables = read_tables(path_of(root, name, "sets"), ("meta", "docs"))
    except StoreError:
        return None
    if not tables or not tables["meta"] or tables["meta"][0].get("stamp") != stamp:
        return None
    return tables["docs"]


def phone_hashes(phone: str) -> tuple[int, int]:
    """What `Bloom.may_hold` takes, computed once per look-up."""
    return _hashes(phone)
