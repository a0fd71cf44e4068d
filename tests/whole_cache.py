"""A cache larger than the memory window, and its truth read from every partition file.

Whole-history tests build it, open the store with a small memory window, and compare what a
command, a filter, the breakdown or an export answers with `truth` — computed here by
reading every partition file directly, not through the store's query path.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.store import Store
from smstui.store.partitions import PARTITIONS_DIR, read_tables
from smstui.store.schema import doc_to_message

NOW = 1_764_590_400.0  # 2025-12-01 12:00 UTC
DAY = 86_400.0
ACCOUNTS = (("smsc-main", Provider.SMSC), ("webcom", Provider.WEBCOM))
OPERATORS = ("MTS", "Beeline", "MegaFon")


@dataclass
class WholeCache:
    """What was built: the directory, every message in it, and some messages worth asking."""

    root: Path
    clock: FakeClock
    truth: list[Message]  # every message, newest first (history order)
    old_phone: str  # a phone that appears only in the oldest day
    oldest: Message  # the oldest message of the first account
    memory: int  # a memory window smaller than the cache

    def where(self, **fields: object) -> list[Message]:
        """The truth filtered by field values (state=DeliveryState.FAILED, account=…)."""
        return [m for m in self.truth if all(getattr(m, k) == v for k, v in fields.items())]


def build(root: Path, *, days: int = 12, per_day: int = 250, seed: int = 7) -> WholeCache:
    """`days` days of `per_day` messages per account: ~7% failed on every day, a few messages
    never settled on every old day (stuck), one phone only in the oldest day. Written through
    the store (journal, checkpoint), so partitions and manifest are the real thing."""
    rng = random.Random(seed)
    clock = FakeClock(NOW)
    messages: list[Message] = []
    old_phone = "79990000001"
    for account, provider in ACCOUNTS:
        next_id = 5_000_000
        for d in range(days - 1, -1, -1):  # oldest day first, ids ascending with time
            start = NOW - d * DAY - 10 * 3600
            for i in range(per_day):
                sent = start + i * (9 * 3600 / per_day)
                roll = rng.random()
                if roll < 0.07:
                    state, raw, err = DeliveryState.FAILED, ("20" if provider is Provider.SMSC
                                                             else "not_deliver"), 1  # fmt: skip
                elif roll < 0.09 and d > 0:
                    state, raw, err = DeliveryState.SENT, "0", None  # never settled: stuck
                else:
                    state, raw, err = DeliveryState.DELIVERED, "1", None
                phone = f"79{rng.randrange(10**9):09d}"
                if account == ACCOUNTS[0][0] and d == days - 1 and i == 3:
                    phone = old_phone
                messages.append(
                    Message(
                        account, provider, str(next_id), phone, state, text=f"code {i}",
                        sender="MyShop", sent_at=sent, raw_status=raw,
                        error_code=err if provider is Provider.SMSC else None,
                        cost=Decimal("2.35") if i % 11 else None, parts=1, country="Russia",
                        operator=OPERATORS[i % 3], updated_at=sent + 30 + (i % 50),
                    )
                )  # fmt: skip
                next_id += 1
    with Store.open(root, clock=clock) as writer:
        writer.apply(messages)
    truth = read_every_partition(root)
    first = [m for m in truth if m.account == ACCOUNTS[0][0]]
    return WholeCache(root, clock, truth, old_phone, first[-1], memory=1000)


def read_every_partition(root: Path) -> list[Message]:
    """Every message in every partition file, in history order (newest sent first, then id)."""
    out = []
    for path in sorted((root / PARTITIONS_DIR).glob("*/*.json")):
        tables = read_tables(path, ("messages",))
        assert tables is not None
        out += [doc_to_message(doc)[0] for doc in tables["messages"]]
    out.sort(key=lambda m: (-(m.sent_at or 0.0), len(m.message_id), m.message_id, m.phone,
                           m.account))  # fmt: skip
    return out
