"""Benchmark the store on a 100,000-message cache against naive per-document TinyDB updates.

Run: python bench/store.py [--messages N] [--changes N] [--naive-sample N]
The last printed line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from tinydb import Query, TinyDB

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store

T0 = 1_763_700_000.0
TARGETS = {"open_s": 1.0, "apply_10k_s": 0.2, "flush_s": 1.0}


def make_messages(n: int, rng: random.Random) -> list[Message]:
    """A realistic mix: two providers, Cyrillic text, most messages already final."""
    states = [DeliveryState.DELIVERED] * 6 + [DeliveryState.SENT, DeliveryState.QUEUED]
    states += [DeliveryState.FAILED]
    out = []
    for i in range(n):
        provider = Provider.SMSC if i % 3 else Provider.WEBCOM
        sent = T0 - rng.uniform(0, 30 * 86400)
        out.append(
            Message(
                account="smsc-main" if provider is Provider.SMSC else "webcom",
                provider=provider,
                message_id=str(100_000 + i),
                phone=f"7999{rng.randrange(10**7):07d}",
                state=rng.choice(states),
                text="Ваш код подтверждения: " + str(rng.randrange(10**6)),
                sender="SHOP",
                sent_at=sent,
                raw_status="1",
                cost=Decimal("2.35"),
                parts=1,
                operator="MTS",
                updated_at=sent + 30,
            )
        )
    return out


def build_cache(path: Path, messages: list[Message]) -> float:
    """Write the starting cache (one timeline entry per message); returns seconds."""
    t = time.perf_counter()
    with Store.open(path, clock=FakeClock(T0)) as store:
        store.apply(messages, source=Source.HISTORY)
    return time.perf_counter() - t


def changes_for(messages: list[Message], k: int, rng: random.Random) -> list[StatusChange]:
    """Status changes for k distinct messages, as a poll cycle would produce them."""
    picked = rng.sample(messages, k)
    return [
        StatusChange(m.account, m.message_id, DeliveryState.DELIVERED, "1", T0 + 60, phone=m.phone)
        for m in picked
    ]


async def measure_flush(store: Store) -> tuple[float, float, int, int]:
    """(on-loop snapshot s, off-loop write s, bytes, messages re-encoded)."""
    res = await store.flush_async()
    return res.snapshot_s, res.write_s, res.bytes, res.reencoded


def run_store(path: Path, messages: list[Message], n_changes: int, seed: int) -> dict[str, float]:
    """One cold open → apply → flush pass on a copy of the cache."""
    rng = random.Random(seed)
    changes = changes_for(messages, n_changes, rng)
    # CPU seconds next to wall seconds: on a shared machine the gap is time spent waiting for
    # a core, which says how loaded the machine was during the run.
    c, t = time.process_time(), time.perf_counter()
    store = Store.open(path, clock=FakeClock(T0 + 120))
    open_s, open_cpu = time.perf_counter() - t, time.process_time() - c
    assert len(store) == len(messages)
    c, t = time.process_time(), time.perf_counter()
    applied = store.apply(changes, source=Source.POLL)
    apply_s, apply_cpu = time.perf_counter() - t, time.process_time() - c
    assert len(applied) == n_changes
    c = time.process_time()
    snap_s, write_s, size, reencoded = asyncio.run(measure_flush(store))
    flush_cpu = time.process_time() - c
    assert reencoded == n_changes  # only the changed messages were encoded again
    store.close()
    return {"open": open_s, "apply": apply_s, "snapshot": snap_s, "write": write_s,
            "bytes": size, "open_cpu": open_cpu, "apply_cpu": apply_cpu,
            "flush_cpu": flush_cpu}  # fmt: skip


def run_naive(path: Path, messages: list[Message], sample: int, seed: int) -> float:
    """Plain TinyDB + default JSONStorage, one `update` per change; returns ms per change."""
    rng = random.Random(seed)
    with TinyDB(path) as db:
        table = db.table("messages")
        table.insert_multiple(
            {"message_id": m.message_id, "phone": m.phone, "state": m.state.value} for m in messages
        )
        q = Query()
        picked = rng.sample(messages, sample)
        t = time.perf_counter()
        for m in picked:
            table.update(
                {"state": "delivered", "updated_at": T0 + 60},
                (q.message_id == m.message_id) & (q.phone == m.phone),
            )
        return (time.perf_counter() - t) / sample * 1000


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--naive-sample", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    rng = random.Random(1)
    messages = make_messages(args.messages, rng)
    with tempfile.TemporaryDirectory(prefix="smstui-bench-") as tmp:
        cache = Path(tmp) / "cache.json"
        build_s = build_cache(cache, messages)
        print(f"built {args.messages:,} messages in {build_s:.2f} s ({cache.stat().st_size:,} B)")
        original = cache.read_bytes()
        runs = []
        for i in range(args.runs):
            cache.write_bytes(original)  # every run starts from the same cold file
            r = run_store(cache, messages, args.changes, seed=i)
            runs.append(r)
            print(
                f"run {i + 1}: open {r['open']:.3f} s, apply {args.changes:,} {r['apply']:.3f} s, "
                f"flush {r['snapshot'] + r['write']:.3f} s (on-loop snapshot "
                f"{r['snapshot'] * 1000:.1f} ms, thread {r['write']:.3f} s, {r['bytes']:,} B); "
                f"CPU s: open {r['open_cpu']:.3f}, apply {r['apply_cpu']:.3f}, "
                f"flush {r['flush_cpu']:.3f}"
            )
        naive_ms = run_naive(Path(tmp) / "naive.json", messages, args.naive_sample, seed=7)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    flush_s = med["snapshot"] + med["write"]
    per_change_ms = med["apply"] / args.changes * 1000
    speedup = naive_ms / per_change_ms if per_change_ms else float("inf")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"naive TinyDB update: {naive_ms:.1f} ms per change ({args.naive_sample} updates)")
    print(f"store apply: {per_change_ms * 1000:.1f} µs per change → {speedup:,.0f}× faster")
    figures = {
        "open_s": round(med["open"], 4),
        "apply_10k_s": round(med["apply"] * 10_000 / args.changes, 4),
        "flush_s": round(flush_s, 4),
        "flush_snapshot_s": round(med["snapshot"], 4),
        "flush_thread_s": round(med["write"], 4),
        "rss_mb": round(rss_mb, 1),
        "naive_per_change_ms": round(naive_ms, 3),
        "speedup": round(speedup, 1),
        "open_cpu_s": round(med["open_cpu"], 4),
        "apply_10k_cpu_s": round(med["apply_cpu"] * 10_000 / args.changes, 4),
        "flush_cpu_s": round(med["flush_cpu"], 4),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "messages": args.messages,
        # design.md measured the naive update at ~50 ms on its reference machine: this ratio
        # says how much slower (or faster) the machine running this benchmark is.
        "machine_vs_design": round(naive_ms / 50.0, 1),
    }
    ok = all(figures[k] <= v for k, v in TARGETS.items()) and speedup >= 500
    print("targets met" if ok else "TARGETS MISSED")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
