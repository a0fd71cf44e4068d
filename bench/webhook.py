"""Webhook receiver throughput: 10,000 pushes (SMSC md5 form pushes + Webcom JSON batches).

The receiver runs in a child process (as it would beside a busy client) with a sink that stores
into a dict and, with --store, into smstui's real Store. A concurrent httpx client pushes; the
receiver answers only after the sink took the push, so the last answer marks the last store.
The same run measures a bare aiohttp handler (read body, answer OK) as the baseline.

    /work/venv/bin/python bench/webhook.py [--pushes 10000] [--concurrency 32] [--no-store]

Last printed line: one JSON object with statuses_per_s, lag_p95_ms, baseline_statuses_per_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import random
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp import web

from smstui.clock import SystemClock
from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.signature import smsc_hash
from smstui.webhook.sink import MemorySink, StoreSink

SECRET = "bench-secret"
SMSC_STATUSES = ["-1", "0", "1", "1", "1", "20", "3"]
WEBCOM_STATES = ["send", "deliver", "deliver", "not_deliver", "expired"]


class TimingSink:
    """Stores like the real thing and notes when each message id was stored (monotonic)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.stored_at: dict[str, float] = {}

    async def push_changes(self, changes) -> None:
        await self.inner.push_changes(changes)
        now = time.monotonic()
        for change in changes:
            self.stored_at[change.message_id] = now

    async def push_incoming(self, items) -> None:
        await self.inner.push_incoming(items)


def build_pushes(n: int, webcom_share: float, batch: int, seed: int) -> list[tuple]:
    """(path, body, content type, ids) per push; ids are what the sink will store."""
    rng = random.Random(seed)
    pushes = []
    for i in range(n):
        if rng.random() < webcom_share:
            ids = [str(50_000_000 + i * batch + j) for j in range(batch)]
            items = [{"id_sms": int(x), "time": "2025-03-01 12:57:46",
                      "state": rng.choice(WEBCOM_STATES[1:])} for x in ids]  # fmt: skip
            pushes.append(("/webcom", json.dumps(items).encode(), "text/json; charset=utf-8", ids))
        else:
            mid, phone, status = str(1_000_000 + i), f"7999{i:07d}", rng.choice(SMSC_STATUSES)
            fields = {"id": mid, "phone": phone, "status": status, "err": "0",
                      "time": "21.11.2025 14:03:11", "ts": "1763722991", "cnt": "1", "type": "0",
                      "cost": "1.90", "sender": "MyShop", "charset": "utf-8"}  # fmt: skip
            fields["md5"] = smsc_hash("md5", [mid, phone, status], SECRET)
            body = urlencode(fields).encode()
            pushes.append(("/smsc", body, "application/x-www-form-urlencoded", [mid]))
    return pushes


async def _serve(kind: str, conn, store_dir: str | None) -> None:
    runner = None
    if kind == "baseline":
        received: dict[str, float] = {}

        async def bare(request: web.Request) -> web.Response:
            await request.read()
            received[request.headers.get("X-Seq", "")] = time.monotonic()
            return web.Response(text="OK")

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", bare)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(f"http://127.0.0.1:{runner.addresses[0][1]}")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        conn.send({"stored_at": {}, "flush_s": 0.0})
        await runner.cleanup()
        return
    store = None
    if store_dir:
        from smstui.store import Store

        store = Store.open(Path(store_dir) / "cache.json", clock=SystemClock())
    sink = TimingSink(StoreSink(store) if store is not None else MemorySink())
    opts = ReceiverOptions(smsc_secret=Secret(SECRET), accounts={"main": Provider.SMSC,
                           "wc": Provider.WEBCOM}, dedup_capacity=100_000)  # fmt: skip
    async with WebhookReceiver(opts, sink=sink) as receiver:
        conn.send(receiver.url)
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)
        flush_s = 0.0
        if store is not None:
            t0 = time.perf_counter()
            await store.flush_async()
            flush_s = time.perf_counter() - t0
            store.close()
        conn.send({"stored_at": sink.stored_at, "flush_s": flush_s,
                   "counters": receiver.counters})  # fmt: skip


def _child(kind: str, conn, store_dir: str | None) -> None:
    asyncio.run(_serve(kind, conn, store_dir))


async def _push_all(
    url: str, pushes: list[tuple], concurrency: int, client_kind: str
) -> tuple[float, dict]:
    sent_at: dict[str, float] = {}
    queue = list(enumerate(pushes))
    queue.reverse()
    failures = 0
    if client_kind == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.AsyncClient(limits=limits, timeout=30)

        async def post(target: str, body: bytes, headers: dict[str, str]) -> int:
            return (await client.post(target, content=body, headers=headers)).status_code

    else:
        client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

        async def post(target: str, body: bytes, headers: dict[str, str]) -> int:
            async with client.post(target, data=body, headers=headers) as response:
                await response.read()
                return response.status

    async def worker() -> None:
        nonlocal failures
        while queue:
            seq, (path, body, ctype, ids) = queue.pop()
            t = time.monotonic()
            for mid in ids:
                sent_at[mid] = t
            status = await post(url + path, body, {"Content-Type": ctype, "X-Seq": str(seq)})
            failures += status != 200

    async with client:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{failures} pushes were not answered 200")
    return elapsed, sent_at


def run(kind: str, pushes: list[tuple], args: argparse.Namespace, store_dir: str | None) -> dict:
    """One measured run against a receiver of `kind` in a child process."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(kind, child, store_dir), daemon=True)
    proc.start()
    url = parent.recv()
    elapsed, sent_at = asyncio.run(_push_all(url, pushes, args.concurrency, args.client))
    parent.send("stop")
    report = parent.recv()
    proc.join(10)
    statuses = sum(len(p[3]) for p in pushes)
    lags = [(report["stored_at"][k] - sent_at[k]) * 1000 for k in report["stored_at"]]
    return {
        "elapsed_s": elapsed,
        "statuses": statuses,
        "statuses_per_s": statuses / elapsed,
        "pushes_per_s": len(pushes) / elapsed,
        "lag_p50_ms": statistics.median(lags) if lags else None,
        "lag_p95_ms": statistics.quantiles(lags, n=20)[18] if len(lags) > 20 else None,
        "stored": len(report["stored_at"]),
        "flush_s": report["flush_s"],
        "counters": report.get("counters"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    # httpx's pool caps a loopback client near 300-400 requests/s on this machine, which would
    # measure the client, not the receiver; aiohttp's client is the default, httpx stays available.
    parser.add_argument("--client", choices=["aiohttp", "httpx"], default="aiohttp")
    parser.add_argument("--webcom-share", type=float, default=0.2)
    parser.add_argument("--batch", type=int, default=10, help="statuses per Webcom push")
    parser.add_argument("--no-store", action="store_true", help="dict sink only")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pushes = build_pushes(args.pushes, args.webcom_share, args.batch, args.seed)
    baseline = run("baseline", pushes, args, None)
    print(f"baseline (bare aiohttp): {baseline['statuses_per_s']:,.0f} statuses/s, "
          f"{baseline['pushes_per_s']:,.0f} pushes/s")  # fmt: skip
    memory = run("receiver", pushes, args, None)
    print(f"receiver, dict sink:     {memory['statuses_per_s']:,.0f} statuses/s, "
          f"{memory['pushes_per_s']:,.0f} pushes/s, lag p50 {memory['lag_p50_ms']:.1f} ms, "
          f"p95 {memory['lag_p95_ms']:.1f} ms")  # fmt: skip
    result = memory
    if not args.no_store:
        with tempfile.TemporaryDirectory() as tmp:
            stored = run("receiver", pushes, args, tmp)
        print(f"receiver, real Store:    {stored['statuses_per_s']:,.0f} statuses/s, "
              f"{stored['pushes_per_s']:,.0f} pushes/s, lag p50 {stored['lag_p50_ms']:.1f} ms, "
              f"p95 {stored['lag_p95_ms']:.1f} ms, "
              f"final flush {stored['flush_s']:.2f} s")  # fmt: skip
        result = stored
    assert result["stored"] == result["statuses"], "every pushed status must be stored"
    print(json.dumps({
        "pushes": args.pushes,
        "statuses": result["statuses"],
        "sink": "dict" if args.no_store else "store",
        "client": args.client,
        "concurrency": args.concurrency,
        "statuses_per_s": round(result["statuses_per_s"], 1),
        "pushes_per_s": round(result["pushes_per_s"], 1),
        "lag_p50_ms": round(result["lag_p50_ms"], 2),
        "lag_p95_ms": round(result["lag_p95_ms"], 2),
        "dict_sink_statuses_per_s": round(memory["statuses_per_s"], 1),
        "baseline_statuses_per_s": round(baseline["statuses_per_s"], 1),
        "baseline_pushes_per_s": round(baseline["pushes_per_s"], 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
