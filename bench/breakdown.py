"""Breakdown and stuck-message benchmark: what `s`, `state:stuck` and the strip cost at 100k rows.

Run: python bench/breakdown.py [--rows 100000] [--repeat 5]
Figures are medians over the repeats, in ms. The last printed line is one JSON object.
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

from smstui.breakdown import compute_breakdown
from smstui.clock import FakeClock
from smstui.filtering import parse_filter
from smstui.sample_data import START, make_messages
from smstui.store import Store
from smstui.stuck import StuckRule, usual_delivery
from smstui.ui.widgets.stats import sends_per_minute, sent_rate_per_minute


def median_ms(work: Callable[[], object], repeat: int) -> float:
    """The median wall time of `work` over `repeat` runs, in ms."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
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
            "strip_rate_and_spark_ms": median_ms(
                lambda: (sent_rate_per_minute(rows, START), sends_per_minute(rows, START)),
                args.repeat,
            ),
            "stuck": len(rule.select(pending, START)),
        }
        store.close()
    for key, value in out.items():
        print(f"{key:>26}: {value}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
