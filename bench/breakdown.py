"""Breakdown and stuck-message benchmark: what `s`, `state:stuck` and the strip cost at 100k rows.

Run: python bench/breakdown.py [--rows 100000] [--repeat 5] [--partitions 1000]
Figures are medians over the repeats, in ms. The last printed line is one JSON object.

Rollups: `rollup_10k_ms` is what a checkpoint adds per written partition (10,000 messages of
bench/store.py's fixture); `merge_docs_ms` + `from_rollup_ms` is the whole-cache breakdown of
`--partitions` such partitions once their stored docs are read (the store's read not included;
`doc_bytes` is one doc's JSON size).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

from store import day_messages  # bench/store.py's fixture: a realistic day partition

from smstui.breakdown import SLOT_S, breakdown_from_rollup, compute_breakdown
from smstui.campaign import walk
from smstui.clock import FakeClock
from smstui.filtering import parse_filter
from smstui.model import Provider
from smstui.rollup import merge_docs, rollup_of
from smstui.sample_data import START, make_messages
from smstui.store import Store
from smstui.stuck import StuckRule, usual_delivery


def median_ms(work: Callable[[], object], repeat: int) -> float:
    """The median wall time of `work` over `repeat` runs, in ms."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def shifted(doc: dict, days: int) -> dict:
    """A rollup doc moved by whole days (its send times, slots and hour slots)."""
    doc["t"] = [t + days * 86400 for t in doc["t"]]
    doc["s"][0] += days * 86400 // SLOT_S
    for row in doc["g"]["slot"]:
        if row[0] is not None:
            row[0] += days * 24
    return doc


def rollup_figures(rows: list, timeline, partitions: int, repeat: int) -> dict[str, object]:
    """What rollups cost: building one per partition, and merging a whole cache's docs."""
    days = [[m for m, _ in day_messages("smsc-main", Provider.SMSC, d, 10_000, 10**7 + d * 10**4)]
            for d in range(10)]  # fmt: skip
    texts = [json.dumps(rollup_of(day).to_doc(), ensure_ascii=False) for day in days]
    # One partition per day, as in a real cache: the ten days' docs moved back in time.
    docs = [
        shifted(json.loads(texts[i % len(texts)]), -(i // len(texts)) * len(texts))
        for i in range(partitions)
    ]
    merged = merge_docs(docs)
    return {
        "rollup_10k_ms": median_ms(lambda: rollup_of(days[0]), repeat),
        "breakdown_via_rollup_ms": median_ms(
            lambda: breakdown_from_rollup(rollup_of(rows, timeline), tz=UTC), repeat
        ),
        "doc_bytes": int(statistics.median(len(t.encode()) for t in texts)),
        "merge_docs_ms": median_ms(lambda: merge_docs(docs), repeat),
        "from_rollup_ms": median_ms(lambda: breakdown_from_rollup(merged, tz=UTC), repeat),
        "partitions": partitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=1000)
    args = parser.parse_args()
    clock = FakeClock(START)
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "cache", clock=clock)
        store.apply(make_messages(args.rows, span_s=args.rows * 2.0))
        rows = list(store.messages_sorted())
        pending = [m for a in store.accounts() for m in store.non_final(a)]
        rule = StuckRule(usual_delivery(rows, store.timeline))
        stuck_filter = parse_filter("state:stuck", now=START, stuck=rule)
        out = {
            "rows": len(rows),
            "pending": len(pending),
            "breakdown_ms": median_ms(
                lambda: compute_breakdown(rows, timeline=store.timeline, tz=UTC), args.repeat
            ),
            "usual_delivery_ms": median_ms(
                lambda: usual_delivery(store.messages_sorted(), store.timeline), args.repeat
            ),
            "stuck_in_pending_ms": median_ms(lambda: rule.select(pending, START), args.repeat),
            "stuck_filter_all_rows_ms": median_ms(lambda: stuck_filter.select(rows), args.repeat),
            "strip_windows_sendout_spark_ms": median_ms(lambda: walk(rows, START), args.repeat),
            "stuck": len(rule.select(pending, START)),
            **rollup_figures(rows, store.timeline, args.partitions, args.repeat),
        }
        store.close()
    for key, value in out.items():
        print(f"{key:>26}: {value}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
