"""Webhook receiver throughput on the production path, against a bare aiohttp baseline.

The receiver runs in a child process wired exactly as `smstui poll --listen` wires it:
load_config(config.toml) → runtime.open_engine (the cache's writer) → runtime.receiver_for
(options_from_config, WebhookReceiver feeding Ingest.push_changes → Store.apply_async, the
journal fsync'd before each answer), plus the tasks Engine.run starts beside the pollers
(the checkpointer on [poll] flush_interval_s, store.follow). The pollers themselves do not
run: the accounts point at a closed loopback port. A concurrent aiohttp client posts signed
SMSC form pushes and Webcom JSON batches; an answer means the statuses are durable, so the
client's per-request latency is the acknowledgement latency.

After the run the receiver is SIGKILLed (no checkpoint, no close) and the cache reopened:
every acknowledged status must be there, which proves the acknowledgements were durable.

    python bench/webhook.py [--pushes 10000] [--concurrency 16] [--flush-interval 2]

Last printed line: one JSON object (statuses_per_s, ack_p95_ms, baseline_statuses_per_s, …).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import multiprocessing as mp
import os
import pstats
import random
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from smstui.webhook.signature import smsc_hash

SECRET = "bench-secret"
SMSC_STATUSES = ["-1", "0", "1", "1", "1", "20", "3"]
WEBCOM_STATES = ["send", "deliver", "deliver", "not_deliver", "expired"]
TARGET_STATUSES_PER_S, TARGET_ACK_P95_MS = 5_000.0, 50.0


def closed_port() -> int:
    """A loopback port nothing listens on (the gateways' URLs: the pollers never run)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(tmp: Path, flush_interval: float) -> Path:
    """The configuration `smstui poll --listen` would read: one SMSC, one Webcom account."""
    dead = f"http://127.0.0.1:{closed_port()}"
    path = tmp / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{dead}"\n'
        'login = "bench"\npassword_env = "SMSTUI_BENCH_PW"\n'
        f'[[accounts]]\nname = "wc"\nprovider = "webcom"\nbase_url = "{dead}"\n'
        'login = "bench"\npassword_env = "SMSTUI_BENCH_PW"\n'
        f'[cache]\ndir = "{tmp / "cache"}"\n[poll]\nflush_interval_s = {flush_interval}\n'
        '[webhook]\nsmsc_secret_env = "SMSTUI_BENCH_HOOK"\n',
        encoding="utf-8",
    )
    return path


def build_pushes(n: int, webcom_share: float, batch: int, seed: int) -> list[tuple]:
    """(path, body, content type, ids) per push; ids are the message ids it carries.

    Times are two minutes ago (Moscow, as both gateways write them): today's partition,
    nothing the retention would prune or the future clamp would touch.
    """
    rng = random.Random(seed)
    when = time.time() - 120
    msk = time.gmtime(when + 3 * 3600)
    smsc_time, webcom_time = time.strftime("%d.%m.%Y %H:%M:%S", msk), time.strftime("%F %T", msk)
    pushes = []
    for i in range(n):
        if rng.random() < webcom_share:
            ids = [str(50_000_000 + i * batch + j) for j in range(batch)]
            items = [{"id_sms": int(x), "time": webcom_time,
                      "state": rng.choice(WEBCOM_STATES[1:])} for x in ids]  # fmt: skip
            pushes.append(("/webcom", json.dumps(items).encode(), "text/json; charset=utf-8", ids))
        else:
            mid, phone, status = str(1_000_000 + i), f"7999{i:07d}", rng.choice(SMSC_STATUSES)
            fields = {"id": mid, "phone": phone, "status": status, "err": "0",
                      "time": smsc_time, "ts": str(int(when)), "cnt": "1", "type": "0",
                      "cost": "1.90", "sender": "MyShop", "charset": "utf-8"}  # fmt: skip
            fields["md5"] = smsc_hash("md5", [mid, phone, status], SECRET)
            body = urlencode(fields).encode()
            pushes.append(("/smsc", body, "application/x-www-form-urlencoded", [mid]))
    return pushes


# ---- the servers (child processes) ---------------------------------------------------------


async def _serve_production(conn, config_path: str, profile: bool) -> None:
    """`smstui poll --listen 127.0.0.1:0` minus the pollers (see the module docstring)."""
    from smstui.config import load_config
    from smstui.runtime import open_engine, receiver_for

    config = load_config(config_path)
    async with (
        open_engine(config) as engine,
        receiver_for(engine, config, "127.0.0.1:0", engine.clock) as receiver,
    ):
        # What Engine.run starts beside the pollers: the checkpointer and the journal tail.
        tasks = [asyncio.create_task(engine._checkpointer()),
                 asyncio.create_task(engine.store.follow())]  # fmt: skip
        prof = cProfile.Profile(time.thread_time) if profile else None
        conn.send(receiver.url)
        c = time.process_time()
        if prof:
            prof.enable()  # the loop's thread only: fsyncs and checkpoint writes run in others
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        if prof:
            prof.disable()
        store = engine.store
        conn.send({"counters": dict(receiver.counters), "checkpoints": store.checkpoints,
                   "checkpoint_error": store.checkpoint_error, "server_cpu_s":
                   time.process_time() - c, "journal_bytes": store.health().journal_bytes,
                   "profile": _profile_text(prof) if prof else ""})  # fmt: skip
        # The parent SIGKILLs this process now: no checkpoint, no close.
        await asyncio.sleep(3600)
        for task in tasks:
            task.cancel()


async def _serve_baseline(conn) -> None:
    async def bare(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", bare)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    conn.send(f"http://127.0.0.1:{runner.addresses[0][1]}")
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)
    conn.send({})
    await runner.cleanup()


def _profile_text(prof: cProfile.Profile, top: int = 25) -> str:
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def _child(kind: str, conn, config_path: str | None, profile: bool = False) -> None:
    if kind == "baseline":
        asyncio.run(_serve_baseline(conn))
    else:
        asyncio.run(_serve_production(conn, config_path or "", profile))


# ---- the client -----------------------------------------------------------------------------


async def _push_all(url: str, pushes: list[tuple], concurrency: int) -> tuple[float, list, float]:
    """Post every push with `concurrency` workers; (elapsed s, per-request ms, client CPU s)."""
    queue = list(reversed(pushes))
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                path, body, ctype, _ = queue.pop()
                t = time.perf_counter()
                async with client.post(url + path, data=body,
                                       headers={"Content-Type": ctype}) as response:  # fmt: skip
                    await response.read()
                    failures += response.status != 200
                latencies.append((time.perf_counter() - t) * 1000)

        c, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c
    if failures:
        raise SystemExit(f"{failures} pushes were not answered 200")
    return elapsed, latencies, cpu


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[p - 1]


def run(
    kind: str, pushes: list[tuple], concurrency: int, config: Path | None, profile: bool = False
) -> dict:
    """One measured run against a server of `kind` in a child process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(kind, child, str(config) if config else None,
                                            profile), daemon=True)  # fmt: skip
    proc.start()
    url = parent.recv()
    load_before = os.getloadavg()[0]
    elapsed, latencies, client_cpu = asyncio.run(_push_all(url, pushes, concurrency))
    parent.send("stop")
    report = parent.recv()
    if kind == "baseline":
        proc.join(10)
    else:
        os.kill(proc.pid, signal.SIGKILL)  # acknowledged means durable: no goodbye checkpoint
        proc.join(10)
    statuses = sum(len(p[3]) for p in pushes)
    return {
        "elapsed_s": elapsed,
        "statuses": statuses,
        "statuses_per_s": statuses / elapsed,
        "pushes_per_s": len(pushes) / elapsed,
        "ack_p50_ms": _pct(latencies, 50),
        "ack_p95_ms": _pct(latencies, 95),
        "ack_max_ms": max(latencies),
        "client_cpu_s": client_cpu,
        "loadavg_1m": max(load_before, os.getloadavg()[0]),
        **report,
    }


def verify(config: Path, pushes: list[tuple]) -> dict:
    """Reopen the killed receiver's cache: every acknowledged status must be there."""
    from smstui.config import load_config
    from smstui.runtime import open_store

    t = time.perf_counter()
    store = open_store(load_config(config), readonly=True)
    reopen_s = time.perf_counter() - t
    accounts = {"/smsc": "main", "/webcom": "wc"}
    missing = [mid for path, _, _, ids in pushes for mid in ids
               if not store.find(accounts[path], mid)]  # fmt: skip
    entries = sum(len(store.timeline(m.key)) for m in store.messages_sorted())
    return {"missing": len(missing), "messages": len(store), "timeline_entries": entries,
            "reopen_s": reopen_s}  # fmt: skip


def main() -> None:
    """Run baseline and production receiver; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--webcom-share", type=float, default=0.2)
    parser.add_argument("--batch", type=int, default=10, help="statuses per Webcom push")
    parser.add_argument(
        "--flush-interval",
        type=float,
        default=2.0,
        help="[poll] flush_interval_s (checkpoints run during the measurement)",
    )
    parser.add_argument("--runs", type=int, default=3, help="production runs (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="one extra run, cProfiled")
    args = parser.parse_args()
    os.environ["SMSTUI_BENCH_PW"] = "bench-password"
    os.environ["SMSTUI_BENCH_HOOK"] = SECRET
    pushes = build_pushes(args.pushes, args.webcom_share, args.batch, args.seed)
    baseline = run("baseline", pushes, args.concurrency, None)
    print(
        f"baseline (bare aiohttp): {baseline['statuses_per_s']:,.0f} statuses/s, "
        f"{baseline['pushes_per_s']:,.0f} pushes/s, p95 {baseline['ack_p95_ms']:.1f} ms"
    )
    runs = []
    for i in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="smstui-bench-webhook-") as tmp:
            config = write_config(Path(tmp), args.flush_interval)
            r = run("production", pushes, args.concurrency, config)
            r.update(verify(config, pushes))
        runs.append(r)
        print(f"run {i + 1}, poll --listen wiring, real Store: {r['statuses_per_s']:,.0f} "
              f"statuses/s, {r['pushes_per_s']:,.0f} pushes/s, ack p50 {r['ack_p50_ms']:.1f} ms, "
              f"p95 {r['ack_p95_ms']:.1f} ms, max {r['ack_max_ms']:.0f} ms; {r['checkpoints']} "
              f"checkpoints; after SIGKILL: {r['missing']} of {r['statuses']:,} acknowledged "
              f"missing, {r['timeline_entries']:,} timeline entries (reopen {r['reopen_s']:.2f} "
              f"s); CPU s: receiver {r['server_cpu_s']:.2f}, client {r['client_cpu_s']:.2f} of "
              f"{r['elapsed_s']:.2f} s; load {r['loadavg_1m']:.1f}")  # fmt: skip
        if r["missing"]:
            raise SystemExit("acknowledged statuses were lost: acknowledgements are not durable")
        if r["counters"].get("sink_errors"):
            raise SystemExit(f"the store refused pushes: {r['counters']}")
    if args.profile:
        with tempfile.TemporaryDirectory(prefix="smstui-bench-webhook-") as tmp:
            r = run("production", pushes, args.concurrency, write_config(Path(tmp),
                    args.flush_interval), profile=True)  # fmt: skip
        print(f"---- profile of the receiver's loop ({r['statuses_per_s']:,.0f} statuses/s "
              f"under cProfile) ----\n{r['profile']}")  # fmt: skip
    keys = ("statuses_per_s", "pushes_per_s", "ack_p50_ms", "ack_p95_ms", "ack_max_ms")
    med = {k: statistics.median(r[k] for r in runs) for k in keys}
    ok_rate = med["statuses_per_s"] >= TARGET_STATUSES_PER_S
    ok_p95 = med["ack_p95_ms"] <= TARGET_ACK_P95_MS
    print(
        f"{'PASS' if ok_rate else 'MISS'} statuses_per_s = {med['statuses_per_s']:,.0f} "
        f"(target ≥ {TARGET_STATUSES_PER_S:,.0f})"
    )
    print(
        f"{'PASS' if ok_p95 else 'MISS'} ack_p95_ms = {med['ack_p95_ms']:.1f} "
        f"(target ≤ {TARGET_ACK_P95_MS:.0f})"
    )
    print(json.dumps({
        "pushes": args.pushes,
        "statuses": runs[0]["statuses"],
        "path": "poll --listen wiring: open_engine + receiver_for + Ingest.push_changes",
        "concurrency": args.concurrency,
        "flush_interval_s": args.flush_interval,
        "runs": args.runs,
        "statuses_per_s": round(med["statuses_per_s"], 1),
        "pushes_per_s": round(med["pushes_per_s"], 1),
        "ack_p50_ms": round(med["ack_p50_ms"], 2),
        "ack_p95_ms": round(med["ack_p95_ms"], 2),
        "ack_max_ms": round(med["ack_max_ms"], 1),
        "lost_after_sigkill": sum(r["missing"] for r in runs),
        "checkpoints_per_run": [r["checkpoints"] for r in runs],
        "journal_bytes_at_end": [r["journal_bytes"] for r in runs],
        "baseline_statuses_per_s": round(baseline["statuses_per_s"], 1),
        "baseline_pushes_per_s": round(baseline["pushes_per_s"], 1),
        "baseline_p95_ms": round(baseline["ack_p95_ms"], 2),
        "client_cpu_s": round(statistics.median(r["client_cpu_s"] for r in runs), 2),
        "server_cpu_s": round(statistics.median(r["server_cpu_s"] for r in runs), 2),
        "elapsed_s": round(statistics.median(r["elapsed_s"] for r in runs), 2),
        "loadavg_1m": round(max(r["loadavg_1m"] for r in runs), 2),
        "verdict": {"statuses_per_s": "PASS" if ok_rate else "MISS",
                    "ack_p95_ms": "PASS" if ok_p95 else "MISS"},
    }))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
