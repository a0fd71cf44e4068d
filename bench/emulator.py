"""Emulator benchmark: start time and status.php requests/s against a bare aiohttp baseline.

Each server runs in its own process (the load generator must not share its event loop).
Last printed line: one JSON object with start_s, status_rps, baseline_rps and details.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import subprocess
import sys
import time

import aiohttp
from aiohttp import web

DURATION_S, WORKERS = 3.0, 8


def _serve_emulator(queue: mp.Queue) -> None:
    from smstui.emulator.options import EmulatorOptions
    from smstui.emulator.server import run_emulator

    async def main() -> None:
        # Raise the per-login concurrency caps: we measure throughput, not the 5-in-flight rule.
        opts = EmulatorOptions(seed=1, messages=2000, status_concurrency=64, concurrency=64)
        async with run_emulator(opts) as emu:
            queue.put(emu.base_url)
            await asyncio.Event().wait()

    asyncio.run(main())


def _serve_baseline(queue: mp.Queue) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"status": 1, "err": 0})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/sys/status.php", hello)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        queue.put(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")
        await asyncio.Event().wait()

    asyncio.run(main())


async def load(base: str, targets: list[tuple[object, str]]) -> dict:
    """WORKERS connections hammering status.php for DURATION_S; distinct messages in turn."""
    done = {"ok": 0, "limited": 0, "other": 0}
    deadline = time.monotonic() + DURATION_S
    counter = iter(range(10**9))

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            msg_id, phone = targets[next(counter) % len(targets)]
            params = {
                "login": "demo",
                "psw": "demo",
                "fmt": "3",
                "charset": "utf-8",
                "id": str(msg_id),
                "phone": phone,
            }
            async with session.get(f"{base}/sys/status.php", params=params) as r:
                body = await r.json(content_type=None)
            key = (
                "limited" if body.get("error_code") == 9 else "ok" if "status" in body else "other"
            )
            done[key] += 1

    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(WORKERS)))
        done["rps"] = round(done["ok"] / (time.monotonic() - started), 1)
    return done


def start_process(target) -> tuple[mp.Process, str]:
    queue: mp.Queue = mp.Queue()
    proc = mp.Process(target=target, args=(queue,), daemon=True)
    proc.start()
    return proc, queue.get(timeout=30)


def cli_start_time() -> float:
    """Seconds from launching `smstui emulate` (2000 messages) to its first stdout line."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "smstui", "emulate", "--messages", "2000"],
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.stdout.readline()
    elapsed = time.monotonic() - started
    proc.terminate()
    proc.wait(timeout=10)
    return elapsed


async def in_process_start() -> float:
    from smstui.emulator.options import EmulatorOptions
    from smstui.emulator.server import run_emulator

    started = time.monotonic()
    async with run_emulator(EmulatorOptions(seed=1, messages=2000)):
        return time.monotonic() - started


def main() -> None:
    start_s = cli_start_time()
    inproc_s = asyncio.run(in_process_start())
    print(f"smstui emulate start: {start_s:.3f} s (in-process run_emulator: {inproc_s:.3f} s)")
    emu_proc, base = start_process(_serve_emulator)
    try:
        import httpx

        truth = httpx.get(f"{base}/_emulator/truth", timeout=30).json()
        targets = [(r["id"], r["phone"]) for r in truth if r["provider"] == "smsc"]
        emu = asyncio.run(load(base, targets))
    finally:
        emu_proc.terminate()
    print(f"emulator status.php: {emu}")
    base_proc, base = start_process(_serve_baseline)
    try:
        baseline = asyncio.run(load(base, [(1, "79161234567")]))
    finally:
        base_proc.terminate()
    print(f"bare aiohttp baseline: {baseline}")
    print(
        json.dumps(
            {
                "start_s": round(start_s, 3),
                "start_in_process_s": round(inproc_s, 3),
                "status_rps": emu["rps"],
                "baseline_rps": baseline["rps"],
                "status_limited": emu["limited"],
                "status_other": emu["other"],
                "workers": WORKERS,
                "duration_s": DURATION_S,
            }
        )
    )


if __name__ == "__main__":
    main()
