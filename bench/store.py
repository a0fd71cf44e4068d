"""Benchmark cache v3 (journal + TinyDB day partitions) against the old whole-file TinyDB cache.

Run: python bench/store.py [--messages N] [--runs 3] [--profile]

The fixture (~100 days, two accounts, almost every message final except today's newest
CHUNK) is written straight through the store's own partitions.write_partition and
manifest.write_manifest, one partition at a time (bounded memory), into
/tmp/smstui-bench-<N>/pristine and reused by later runs. Every measured run works on a
hard-linked copy of it: the store replaces files by rename and never writes one in place,
so the pristine files stay as built.

Phases: open in fresh processes (page cache warm), apply 10k status changes, checkpoint,
durable acknowledgements of concurrent apply_async batches, a follower process's lag, and
the baseline (the same messages as one whole-file TinyDB JSON: its open and a full rewrite).
The last printed line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import json
import math
import multiprocessing as mp
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack, suppress
from decimal import Decimal
from pathlib import Path
from typing import Any

from smstui.atomic import fsync_dir
from smstui.clock import FakeClock
from smstui.config import PollSettings
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store
from smstui.store.manifest import write_manifest
from smstui.store.partitions import (
    CHUNK,
    MANIFEST_NAME,
    PartInfo,
    day_of,
    partition_path,
    read_partition,
    write_partition,
)
from smstui.store.schema import doc_to_message, message_to_doc, side_to_doc

FIXTURE_VERSION = 1
T_NOW = 1_764_590_400.0  # 2025-12-01 12:00 UTC: "today" in the fixture
DAY = 86_400.0
DAYS = 100
ACCOUNTS = (("smsc-main", Provider.SMSC, 2), ("webcom", Provider.WEBCOM, 1))  # name, kind, share
TARGETS = {  # figure: (limit, unit); medians on the 2-core reference machine
    "open_s": 0.5,
    "rss_mb": 300.0,
    "apply_10k_s": 0.1,
    "checkpoint_s": 0.3,
    "follower_lag_p95_s": 1.0,
    "durable_ack_p95_ms": 50.0,
}
FINAL = {
    Provider.SMSC: [("delivered", "1", None)] * 17 + [("failed", "20", 1), ("expired", "3", None)],
    Provider.WEBCOM: [("delivered", "deliver", None)] * 17
    + [("failed", "not_deliver", None), ("expired", "expired", None)],
}
OPEN = {
    Provider.SMSC: [("queued", "-1"), ("sent", "0"), ("sent", "0")],
    Provider.WEBCOM: [("sent", "send")],
}
TEXTS = [
    "Ваш код подтверждения: {n:06d}. Никому его не сообщайте.",
    "Заказ №{n} собран и передан в доставку. Отследить: shop.example/t/{n}",
    "Скидка 15% на всё до воскресенья! Промокод SALE{n:04d}. Отписаться: STOP",
]
OPERATORS = [("MTS", "Москва"), ("Beeline", "Санкт-Петербург"), ("MegaFon", "Новосибирская обл.")]


# ---- the fixture --------------------------------------------------------------------------


def plan(n: int) -> list[tuple[str, str, int, int, int]]:
    """(account, provider, day index, count, first id) per account and day; today is DAYS-1.

    Today holds at least 1.5 CHUNK messages so the main account has a whole chunk of open
    messages (the ones a poll cycle or a campaign's webhooks change).
    """
    today = min(n, max(n // DAYS, math.ceil(1.5 * CHUNK)))
    rest = n - today
    per_day = [rest // (DAYS - 1) + (1 if d < rest % (DAYS - 1) else 0) for d in range(DAYS - 1)]
    per_day.append(today)
    shares = sum(s for *_, s in ACCOUNTS)
    out, next_id = [], {a: 10_000_000 for a, *_ in ACCOUNTS}
    for d, total in enumerate(per_day):
        left = total
        for i, (account, provider, share) in enumerate(ACCOUNTS):
            count = left if i == len(ACCOUNTS) - 1 else total * share // shares
            left -= count
            out.append((account, provider.value, d, count, next_id[account]))
            next_id[account] += count
    return out


def day_messages(
    account: str, provider: Provider, d: int, count: int, first_id: int
) -> list[tuple[Message, tuple]]:
    """One account's messages of one day with 1-2 timeline entries, oldest first."""
    rng = random.Random(f"{account}/{d}")
    today = d == DAYS - 1
    start = T_NOW - (DAYS - 1 - d) * DAY - (T_NOW % DAY)
    span = (T_NOW - start) if today else DAY
    times = sorted(start + rng.random() * span for _ in range(count))
    # Open: today's newest CHUNK of the main account, today's newest 10% of the others.
    n_open = 0
    if today:
        n_open = min(count, CHUNK) if provider is Provider.SMSC else count // 10
    out = []
    for i, sent in enumerate(times):
        mid = str(first_id + i)
        phone = f"79{rng.randrange(10**9):09d}"
        operator, region = OPERATORS[i % 3]
        is_open = i >= count - n_open
        if is_open:
            state, raw = rng.choice(OPEN[provider])
            err, updated = None, sent + rng.uniform(1, 30)
            timeline: tuple = ((state, raw, updated, "history", None, updated + 5),)
        else:
            state, raw, err = rng.choice(FINAL[provider])
            updated = sent + rng.uniform(5, 600)
            last = (state, raw, updated, "poll", err, updated + rng.uniform(1, 60))
            if rng.random() < 0.5:
                first = ("sent", "0" if provider is Provider.SMSC else "send", sent + 2,
                         "history", None, sent + 30)  # fmt: skip
                timeline = (first, last)
            else:
                timeline = (last,)
        m = Message(
            account=account, provider=provider, message_id=mid, phone=phone,
            state=DeliveryState(state), text=TEXTS[i % 3].format(n=rng.randrange(10**6)),
            sender="MyShop", sent_at=sent, raw_status=raw, error_code=err,
            cost=Decimal("2.35"), parts=1 + (i % 7 == 0), country="Russia", operator=operator,
            region=region, updated_at=updated,
        )  # fmt: skip
        out.append((m, timeline))
    return out


def write_day(task: tuple[str, str, int, int, int], root: str) -> tuple[list[dict], int]:
    """Write one account-day as CHUNK-sized partitions (the newest CHUNK in the last chunk,
    so today's open messages fill exactly one); returns their manifest docs and bytes."""
    account, provider, d, count, first_id = task
    messages = day_messages(account, Provider(provider), d, count, first_id)
    if not messages:
        return [], 0
    day = day_of(messages[0][0].sent_at)
    n_chunks = math.ceil(len(messages) / CHUNK)
    docs, size = [], 0
    for j in range(n_chunks):
        hi = len(messages) - (n_chunks - 1 - j) * CHUNK
        part = messages[max(0, hi - CHUNK) : hi]
        sent = [m.sent_at for m, _ in part]
        info = PartInfo(account, day, j, len(part), dict(Counter(m.state.value for m, _ in part)),
                        min(sent), max(sent))  # fmt: skip
        write_partition(Path(root), info, [message_to_doc(m, t) for m, t in part])
        size += partition_path(Path(root), info.name).stat().st_size
        docs.append(info.to_doc())
    return docs, size


def _write_day_star(args: tuple) -> tuple[list[dict], int]:
    return write_day(*args)


def build_fixture(n: int, base: Path, jobs: int) -> dict[str, Any]:
    """The pristine cache for N messages (reused when a complete one is there)."""
    marker, pristine = base / "fixture.json", base / "pristine"
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("version") == FIXTURE_VERSION and info.get("messages") == n:
            info["reused"] = True
            print(f"fixture: reusing {pristine} ({info['partitions']} partitions, "
                  f"{info['bytes'] / 1e6:,.0f} MB, built in {info['build_s']:.0f} s)")  # fmt: skip
            return info
    shutil.rmtree(base, ignore_errors=True)
    pristine.mkdir(parents=True)
    tasks = [(t, str(pristine)) for t in plan(n)]
    t0 = time.perf_counter()
    parts: list[dict] = []
    size = 0
    with mp.get_context("fork").Pool(jobs) as pool:
        for i, (docs, b) in enumerate(pool.imap_unordered(_write_day_star, tasks), 1):
            parts += docs
            size += b
            if i % 20 == 0:
                print(f"fixture: {i}/{len(tasks)} account-days written, {size / 1e6:,.0f} MB, "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
    balances = [side_to_doc(_balance(a, T_NOW - k * 600)) for a, *_ in ACCOUNTS
                for k in range(3)]  # fmt: skip
    side = {"balances": balances, "incoming": [], "events": [], "cursor": [], "pending": []}
    parts.sort(key=lambda p: (p["account"], p["day"], p["chunk"]))
    write_manifest(pristine, 0, parts, side, T_NOW)
    size += (pristine / MANIFEST_NAME).stat().st_size
    info = {"version": FIXTURE_VERSION, "messages": n, "partitions": len(parts), "bytes": size,
            "build_s": round(time.perf_counter() - t0, 1), "reused": False}  # fmt: skip
    marker.write_text(json.dumps(info))
    print(f"fixture: built {n:,} messages in {info['build_s']:.0f} s: {len(parts)} partitions, "
          f"{size / 1e6:,.0f} MB in {pristine}")  # fmt: skip
    return info


def _balance(account: str, at: float):
    from smstui.model import Balance

    return Balance(account=account, amount=Decimal("1234.50"), currency="RUB", at=at)


def work_copy(base: Path, name: str) -> Path:
    """A hard-linked copy of the pristine fixture (cheap; the store only replaces files)."""
    work = base / name
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(["cp", "-al", str(base / "pristine"), str(work)], check=True)
    return work


# ---- child processes (fresh interpreters: their memory is the store's alone) --------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_open(root: Path, profile: bool) -> None:
    """Open as the writer to a usable newest page; print one JSON line of figures."""
    prof = cProfile.Profile(time.thread_time) if profile else None
    c, t = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    store = Store.open(root, clock=FakeClock(T_NOW + 60))
    page = store.messages_sorted()[:50]
    if prof:
        prof.disable()
    open_s, cpu = time.perf_counter() - t, time.process_time() - c
    assert len(page) == 50 and page[0].sent_at >= page[-1].sent_at
    out = {"open_s": open_s, "open_cpu_s": cpu, "rss_mb": _rss_mb(),
           "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "loaded": len(store), "total": store.total(),
           "unloaded_partitions": len(store.unloaded_partitions())}  # fmt: skip
    if prof:
        out["profile"] = _profile_text(prof)
    store.close()
    print(json.dumps(out))


def child_follow(root: Path) -> None:
    """A readonly Store following the journal; records when each inserted key arrived."""

    async def main() -> None:
        t = time.perf_counter()
        store = Store.open(root, clock=FakeClock(T_NOW + 60), readonly=True)
        open_s = time.perf_counter() - t
        seen: dict[str, float] = {}

        def listener(changes) -> None:
            now = time.monotonic()
            for ch in changes:
                if ch.kind == "inserted":
                    seen.setdefault("|".join(ch.key), now)

        store.add_listener(listener)
        follower = asyncio.create_task(store.follow(0.25))
        print(json.dumps({"ready": True, "open_s": open_s}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the writer says when it is done
        await asyncio.sleep(1.5)  # a last tail turn for the final batch
        follower.cancel()
        print(json.dumps({"seen": seen, "open_s": open_s, "rss_mb": _rss_mb()}), flush=True)

    asyncio.run(main())


def child_baseline(path: Path) -> None:
    """Open the old whole-file cache: parse it and build every message (what v2 did)."""
    from smstui.store.index import MessageIndex

    c, t = time.process_time(), time.perf_counter()
    data = json.loads(path.read_bytes().decode("utf-8"))
    index = MessageIndex()
    index.add_many(doc_to_message(d)[0] for d in data["messages"].values())
    page = index.view()[:50]
    out = {"open_s": time.perf_counter() - t, "open_cpu_s": time.process_time() - c,
           "rss_mb": _rss_mb(), "messages": len(index)}  # fmt: skip
    assert len(page) == 50
    print(json.dumps(out))


def run_child(args: list[str], timeout: float = 1800) -> dict[str, Any]:
    """Run this script in a child mode; its last stdout line is JSON."""
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          timeout=timeout)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _profile_text(prof: cProfile.Profile, top: int = 18) -> str:
    """Top functions by own and by cumulative CPU time of the profiled thread (a wall-clock
    profile on a shared machine would charge other processes' time to whatever ran)."""
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


# ---- the writer's phases ------------------------------------------------------------------


def target_changes(store: Store) -> tuple[list[StatusChange], str]:
    """10k status changes for the open messages of today's last main-account chunk."""
    state = store.state
    open_keys = list(store.index.non_final.get("smsc-main", {}))
    by_part = Counter(state.part_of[k] for k in open_keys)
    part, _ = by_part.most_common(1)[0]
    keys = [k for k in open_keys if state.part_of[k] == part][:10_000]
    at = T_NOW + 30
    return [StatusChange(k[0], k[1], DeliveryState.DELIVERED, "1", at, source=Source.POLL,
                         phone=k[2]) for k in keys], part  # fmt: skip


def writer_run(root: Path, profile: bool) -> dict[str, Any]:
    """One open → apply 10k → checkpoint pass on a fresh copy."""
    fig: dict[str, Any] = {}
    c, t = time.process_time(), time.perf_counter()
    store = Store.open(root, clock=FakeClock(T_NOW + 60))
    store.messages_sorted()[:50]
    fig["open_inproc_s"] = time.perf_counter() - t
    fig["open_inproc_cpu_s"] = time.process_time() - c
    changes, part = target_changes(store)
    fig["changes"] = len(changes)
    prof = cProfile.Profile(time.thread_time) if profile else None
    c, t = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    applied = store.apply(changes, source=Source.POLL)
    if prof:
        prof.disable()
    fig["apply_s"], fig["apply_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    assert len(applied) == len(changes), (len(applied), len(changes))
    fig["dirty_partitions"] = len(store.state.dirty)
    fig["journal_bytes_after_apply"] = store.health().journal_bytes
    size = partition_path(root, part).stat().st_size
    prof_c = cProfile.Profile(time.thread_time) if profile else None
    c, t = time.process_time(), time.perf_counter()
    if prof_c:
        prof_c.enable()
    ok = store.checkpoint()
    if prof_c:
        prof_c.disable()
    fig["checkpoint_s"], fig["checkpoint_cpu_s"] = time.perf_counter() - t, time.process_time() - c
    assert ok, store.checkpoint_error
    fig["partition_bytes"] = partition_path(root, part).stat().st_size
    assert fig["partition_bytes"] > size  # the changed chunk was rewritten with its timelines
    # Steady state: the daemon applies batch after batch in one long-lived process. The first
    # apply after an open also pays the garbage collector's first passes over the freshly
    # loaded heap; both are reported (apply_10k_first_s is that first one).
    steady = []
    for r in range(3):
        later = [dataclasses.replace(ch, raw_status=f"1.{r}", at=ch.at + 10 + r) for ch in changes]
        c, t = time.process_time(), time.perf_counter()
        store.apply(later, source=Source.POLL)
        steady.append((time.perf_counter() - t, time.process_time() - c))
    fig["apply_first_s"], fig["apply_first_cpu_s"] = fig["apply_s"], fig["apply_cpu_s"]
    fig["apply_s"] = statistics.median(w for w, _ in steady)
    fig["apply_cpu_s"] = statistics.median(c for _, c in steady)
    if prof:
        fig["profile_apply"] = _profile_text(prof)
        fig["profile_checkpoint"] = _profile_text(prof_c)
    store.close()
    return fig


async def ack_phase(
    store: Store, batches: int, per_batch: int, tasks: int, checkpoint_every: float
) -> dict[str, Any]:
    """Concurrent apply_async calls as the webhook path makes them; per-call latency."""
    rng = random.Random(5)
    keys = rng.sample(list(store.index.by_key), min(len(store.index.by_key), batches * per_batch))
    work = []
    for b in range(batches):
        picked = [keys[(b * per_batch + i) % len(keys)] for i in range(per_batch)]
        work.append([StatusChange(k[0], k[1], DeliveryState.DELIVERED, "1",
                                  T_NOW + 100 + b * 0.001, source=Source.WEBHOOK, phone=k[2])
                     for k in picked])  # fmt: skip
    work.reverse()
    lat: list[float] = []
    checkpoints = 0

    async def worker() -> None:
        while work:
            batch = work.pop()
            t = time.perf_counter()
            await store.apply_async(batch, source=Source.WEBHOOK)
            lat.append((time.perf_counter() - t) * 1000)

    done = asyncio.Event()

    async def checkpointer() -> None:
        # The first starts at once, on what the previous phase left dirty (a daemon's cadence
        # finds ~10 s of webhooks to write): acknowledgements wait while it encodes.
        nonlocal checkpoints
        while not done.is_set():
            checkpoints += await store.checkpoint_async(force=True)
            with suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), checkpoint_every)

    ck = asyncio.create_task(checkpointer()) if checkpoint_every > 0 else None
    c, t = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    done.set()
    if ck:
        await ck  # never abandon a checkpoint's thread halfway
    lat.sort()
    return {"p50_ms": _pct(lat, 50), "p95_ms": _pct(lat, 95), "max_ms": lat[-1],
            "statuses_per_s": batches * per_batch / elapsed, "elapsed_s": elapsed,
            "cpu_s": cpu, "checkpoints": checkpoints}  # fmt: skip


def follower_phase(root: Path, store: Store, batches: int, checkpoint_every: float) -> dict:
    """A readonly follower process; the writer applies batches of new messages (and
    checkpoints on the poll daemon's cadence); lag = follower saw it − apply returned."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", "follow", "--dir", str(root)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdin and proc.stdout
    ready = json.loads(proc.stdout.readline())
    returned: dict[str, float] = {}
    rng = random.Random(9)

    async def writer() -> int:
        checkpoints = 0
        next_ck = time.monotonic() + checkpoint_every
        for b in range(batches):
            sent = T_NOW + 200 + b
            msgs = [Message(account="smsc-main", provider=Provider.SMSC,
                            message_id=str(90_000_000 + b * 20 + i), phone=f"7900{b:03d}{i:04d}",
                            state=DeliveryState.QUEUED, raw_status="-1", text="Код 1234",
                            sent_at=sent, updated_at=sent) for i in range(20)]  # fmt: skip
            await store.apply_async(msgs, source=Source.SEND)
            returned["|".join(msgs[0].key)] = time.monotonic()
            await asyncio.sleep(rng.uniform(0.05, 0.45))
            if checkpoint_every > 0 and time.monotonic() >= next_ck:
                checkpoints += await store.checkpoint_async(force=True)
                next_ck = time.monotonic() + checkpoint_every
        return checkpoints

    checkpoints = asyncio.run(writer())
    proc.stdin.write("stop\n")
    proc.stdin.flush()
    report = json.loads(proc.stdout.readline())
    proc.wait(30)
    lags = sorted(report["seen"][k] - t for k, t in returned.items() if k in report["seen"])
    missing = len(returned) - len(lags)
    return {"p50_s": _pct(lags, 50), "p95_s": _pct(lags, 95), "max_s": lags[-1] if lags else None,
            "missing": missing, "batches": batches, "checkpoints": checkpoints,
            "follower_open_s": ready["open_s"], "follower_rss_mb": report["rss_mb"]}  # fmt: skip


def _pct(values: list[float], p: int) -> float:
    if not values:
        return float("nan")
    if len(values) < 20:
        return values[min(len(values) - 1, int(len(values) * p / 100))]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


# ---- the baseline: the same cache as one whole-file TinyDB JSON ----------------------------


def baseline(base: Path, n: int, open_limit: int) -> dict[str, Any]:
    """Rewrite the whole cache as one TinyDB JSON (timed: encode + write + fsync, not the
    reading of the partitions it is made from); open it in a fresh process when it fits."""
    pristine = base / "pristine"
    from smstui.store.manifest import read_manifest

    manifest = read_manifest(pristine)
    assert manifest is not None
    path = base / "baseline-cache.json"
    prefix = base / "baseline-prefix.json"
    encode_s = 0.0
    written = 0
    next_id = 1
    scaled = n > open_limit
    with ExitStack() as files:
        f = files.enter_context(open(path, "wb"))
        pf = files.enter_context(open(prefix, "wb")) if scaled else None
        f.write(b'{"messages":{')
        if pf is not None:
            pf.write(b'{"messages":{')
        for info in manifest.parts:
            docs = read_partition(pristine, info)  # not timed: the old store had these in memory
            t = time.perf_counter()
            table = {str(next_id + i): d for i, d in enumerate(docs)}
            chunk = json.dumps(table, separators=(",", ":"), ensure_ascii=False)[1:-1]
            raw = (b"," if next_id > 1 else b"") + chunk.encode("utf-8")
            f.write(raw)
            encode_s += time.perf_counter() - t
            if pf is not None and next_id <= open_limit:
                pf.write(raw)
            next_id += len(docs)
            written += len(docs)
        t = time.perf_counter()
        f.write(b"}}")
        f.flush()
        os.fsync(f.fileno())
        encode_s += time.perf_counter() - t
        if pf is not None:
            pf.write(b"}}")
    fsync_dir(base)
    prefix_n = min(written, open_limit) if scaled else written
    out: dict[str, Any] = {"rewrite_s": encode_s, "bytes": path.stat().st_size, "messages": written}
    target = prefix if scaled else path
    opened = [run_child(["--child", "baseline", "--dir", str(target)]) for _ in range(2)]
    best = min(opened, key=lambda r: r["open_s"])
    scale = written / prefix_n
    out["open_s"] = best["open_s"] * scale
    out["open_cpu_s"] = best["open_cpu_s"] * scale
    out["rss_mb"] = best["rss_mb"] * scale
    out["open_measured_messages"] = prefix_n
    out["open_extrapolated"] = scaled
    path.unlink()
    prefix.unlink(missing_ok=True)
    return out


# ---- main ---------------------------------------------------------------------------------


def store_commit() -> str:
    """The commit measured, marked '+dirty' when src/smstui/store has uncommitted edits."""
    src = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(src)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src/smstui/store"],
                           capture_output=True, text=True)  # fmt: skip
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def check_disk(base: Path, n: int) -> None:
    """Refuse early when /tmp cannot hold the fixture (≈ 420 bytes a message, twice over
    for the baseline's whole file)."""
    need = n * 420 * 2.2
    free = shutil.disk_usage(base.parent).free
    if not (base / "fixture.json").exists() and free < need:
        raise SystemExit(f"{base.parent} has {free / 1e9:.1f} GB free; {n:,} messages need "
                         f"about {need / 1e9:.1f} GB: use a smaller --messages")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="processes writing the fixture")
    ap.add_argument("--base", type=Path, default=None, help="fixture dir (/tmp/smstui-bench-N)")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile open, apply, checkpoint")
    ap.add_argument("--ack-batches", type=int, default=2000)
    ap.add_argument("--ack-size", type=int, default=10)
    ap.add_argument("--ack-tasks", type=int, default=50)
    ap.add_argument("--follow-batches", type=int, default=60)
    ap.add_argument(
        "--baseline-open-limit",
        type=int,
        default=2_000_000,
        help="above this, the baseline open is measured on a prefix and scaled",
    )
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--child", choices=["open", "follow", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "open":
        child_open(args.dir, args.profile)
        return 0
    if args.child == "follow":
        child_follow(args.dir)
        return 0
    if args.child == "baseline":
        child_baseline(args.dir)
        return 0

    n = args.messages
    measured = store_commit()  # at the start: the store module loaded is this one
    base = args.base or Path(f"/tmp/smstui-bench-{n}")
    check_disk(base, n)
    fixture = build_fixture(n, base, args.jobs)
    if args.build_only:
        return 0
    fig: dict[str, Any] = {"messages": n, "partitions": fixture["partitions"],
                           "fixture_mb": round(fixture["bytes"] / 1e6, 1),
                           "fixture_reused": fixture["reused"]}  # fmt: skip

    # Open in fresh processes; one unmeasured open first so the page cache is warm.
    run_child(["--child", "open", "--dir", str(work_copy(base, "work-open"))])
    opens = []
    for i in range(args.runs):
        r = run_child(["--child", "open", "--dir", str(work_copy(base, "work-open"))])
        opens.append(r)
        print(f"open {i + 1}: {r['open_s']:.3f} s (CPU {r['open_cpu_s']:.3f} s), RSS "
              f"{r['rss_mb']:.0f} MB, {r['loaded']:,} loaded of {r['total']:,}, "
              f"{r['unloaded_partitions']} partitions not loaded")  # fmt: skip
    assert opens[0]["total"] == n, (opens[0]["total"], n)

    runs = []
    for i in range(args.runs):
        r = writer_run(work_copy(base, f"work-{i}"), profile=False)
        runs.append(r)
        print(f"writer run {i + 1}: open {r['open_inproc_s']:.3f} s, apply {r['changes']:,} "
              f"{r['apply_s']:.3f} s (CPU {r['apply_cpu_s']:.3f}), {r['dirty_partitions']} dirty "
              f"partition(s), journal {r['journal_bytes_after_apply']:,} B; checkpoint "
              f"{r['checkpoint_s']:.3f} s (CPU {r['checkpoint_cpu_s']:.3f}), partition "
              f"{r['partition_bytes']:,} B")  # fmt: skip
        shutil.rmtree(base / f"work-{i}")

    # Acknowledgements and the follower on one more fresh copy, as the poll daemon runs.
    root = work_copy(base, "work-live")
    store = Store.open(root, clock=FakeClock(T_NOW + 60))
    ack = asyncio.run(ack_phase(store, args.ack_batches, args.ack_size, args.ack_tasks, 0))
    print(f"durable ack ({args.ack_tasks} tasks × {args.ack_size} changes, {args.ack_batches} "
          f"calls): p50 {ack['p50_ms']:.1f} ms, p95 {ack['p95_ms']:.1f} ms, max "
          f"{ack['max_ms']:.1f} ms, {ack['statuses_per_s']:,.0f} statuses/s "
          f"(CPU {ack['cpu_s']:.2f} s of {ack['elapsed_s']:.2f} s)")  # fmt: skip
    dirty = len(store.state.dirty)
    ack_ck = asyncio.run(ack_phase(store, args.ack_batches, args.ack_size, args.ack_tasks, 0.5))
    print(f"durable ack while checkpointing ({dirty} dirty partitions first, then every 0.5 s; "
          f"{ack_ck['checkpoints']} ran): p50 "
          f"{ack_ck['p50_ms']:.1f} ms, p95 {ack_ck['p95_ms']:.1f} ms, max "
          f"{ack_ck['max_ms']:.1f} ms")  # fmt: skip
    journal_bytes = store.health().journal_bytes
    store.checkpoint()
    flush_every = PollSettings().flush_interval_s
    fol = follower_phase(root, store, args.follow_batches, flush_every)
    print(f"follower lag ({fol['batches']} batches, writer checkpointing every {flush_every:.0f} s"
          f", {fol['checkpoints']} ran): p50 {fol['p50_s']:.3f} s, p95 {fol['p95_s']:.3f} s, max "
          f"{fol['max_s']:.3f} s, {fol['missing']} never seen; follower opened in "
          f"{fol['follower_open_s']:.3f} s")  # fmt: skip
    fig["partitions_after"] = len(store.state.parts)
    store.close()
    shutil.rmtree(root)
    shutil.rmtree(base / "work-open", ignore_errors=True)

    med = {k: statistics.median(r[k] for r in opens) for k in ("open_s", "open_cpu_s", "rss_mb")}
    wmed = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "changes"}
    fig.update({
        "open_s": round(med["open_s"], 4),
        "open_cpu_s": round(med["open_cpu_s"], 4),
        "open_mode": "fresh process, page cache warm",
        "rss_mb": round(med["rss_mb"], 1),
        "loaded_at_open": opens[0]["loaded"],
        "apply_10k_s": round(wmed["apply_s"], 4),
        "apply_10k_cpu_s": round(wmed["apply_cpu_s"], 4),
        "apply_10k_first_s": round(wmed["apply_first_s"], 4),
        "apply_10k_first_cpu_s": round(wmed["apply_first_cpu_s"], 4),
        "checkpoint_s": round(wmed["checkpoint_s"], 4),
        "checkpoint_cpu_s": round(wmed["checkpoint_cpu_s"], 4),
        "checkpoint_partition_bytes": int(wmed["partition_bytes"]),
        "dirty_partitions": int(wmed["dirty_partitions"]),
        "journal_bytes_10k": int(wmed["journal_bytes_after_apply"]),
        "durable_ack_p50_ms": round(ack["p50_ms"], 2),
        "durable_ack_p95_ms": round(ack["p95_ms"], 2),
        "durable_ack_statuses_per_s": round(ack["statuses_per_s"], 1),
        "durable_ack_ckpt_p95_ms": round(ack_ck["p95_ms"], 2),
        "durable_ack_ckpt_max_ms": round(ack_ck["max_ms"], 2),
        "journal_bytes_after_acks": journal_bytes,
        "follower_lag_p50_s": round(fol["p50_s"], 4),
        "follower_lag_p95_s": round(fol["p95_s"], 4),
        "follower_missing": fol["missing"],
        "follower_open_s": round(fol["follower_open_s"], 4),
    })  # fmt: skip
    if not args.no_baseline:
        b = baseline(base, n, args.baseline_open_limit)
        print(f"baseline (whole-file TinyDB, {b['bytes'] / 1e6:,.0f} MB): rewrite "
              f"{b['rewrite_s']:.2f} s, open {b['open_s']:.2f} s"
              + (f" (scaled from {b['open_measured_messages']:,})" if b["open_extrapolated"]
                 else "") + f", RSS {b['rss_mb']:,.0f} MB")  # fmt: skip
        fig.update({
            "baseline_open_s": round(b["open_s"], 3),
            "baseline_open_extrapolated": b["open_extrapolated"],
            "baseline_rewrite_s": round(b["rewrite_s"], 3),
            "baseline_rss_mb": round(b["rss_mb"], 1),
            "baseline_bytes": b["bytes"],
            "open_speedup": round(b["open_s"] / fig["open_s"], 1),
            "checkpoint_vs_rewrite": round(b["rewrite_s"] / fig["checkpoint_s"], 1),
        })  # fmt: skip
    if args.profile:
        p = run_child(["--child", "open", "--dir", str(work_copy(base, "work-open")),
                       "--profile"])  # fmt: skip
        print("---- profile: open ----\n" + p["profile"])
        r = writer_run(work_copy(base, "work-prof"), profile=True)
        print("---- profile: apply ----\n" + r["profile_apply"])
        print("---- profile: checkpoint ----\n" + r["profile_checkpoint"])
        shutil.rmtree(base / "work-prof")
        shutil.rmtree(base / "work-open")
    fig["loadavg_1m"] = round(os.getloadavg()[0], 2)
    fig["store_commit"] = measured
    verdict = {}
    for key, limit in TARGETS.items():
        ok = fig[key] <= limit
        verdict[key] = "PASS" if ok else "MISS"
        print(f"{'PASS' if ok else 'MISS'} {key} = {fig[key]} (target ≤ {limit})")
    fig["verdict"] = verdict
    print(json.dumps(fig, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
