"""Hostile webhook input, measured: a huge Webcom batch, a header dripper, hostile charsets.

A real WebhookReceiver on loopback with an in-memory sink (the store has its own bench), the
client in another thread so its work does not count against the receiver's event loop:

- webcom: one unauthenticated Webcom JSON push of N distinct ids (~950 KB at 18,000, under the
  default 1 MB limit, like the 936 KB push issue 11 measured), best and median of --repeat runs;
  `loop_block_max_s` is the longest the receiver's event loop went without running a 1 ms
  ticker (what other pushes would have waited). Issue 11 measured 4.6 s before the fix; the
  target is < 0.2 s. The 2,000-entry figure beside it shows the growth is linear.
- drip: a client sending its headers a byte every 50 ms, with header_timeout_s at its default
  (10 s): seconds until the receiver hung up (it stayed > 90 s before).
- charsets: hostile `charset=` pushes answered per second (all 400, none 500).

    python bench/webhook_hostile.py [--repeat 5] [--skip-drip]

Last printed line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import time

import httpx

from smstui.model import Provider
from smstui.secrets import Secret
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.sink import MemorySink

TARGET_18000_S = 0.2
HOSTILE = ["%00", "undefined", "punycode", "rot13", "base64", "utf-16"]


def webcom_batch(entries: int) -> bytes:
    """`entries` distinct ids; half `send` (no time), half `deliver` (~950 KB for 18,000)."""
    items = []
    for i in range(entries):
        mid = 10_000 + i
        time_text, state = ("", "send") if mid % 2 else ("2025-03-01 12:57:46", "deliver")
        items.append({"id_sms": mid, "time": time_text, "state": state})
    return json.dumps(items, separators=(",", ":")).encode()


class Ticker:
    """Measures the longest gap between 1 ms sleeps on the receiver's loop (its blocking)."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def reset(self) -> None:
        self.max_gap = 0.0


def timed(handler, spans: list[float]):
    """The receiver's Webcom handler (body in hand: decode, dedupe, sink, ack), timed."""

    async def wrapper(*args):
        start = time.perf_counter()
        try:
            return await handler(*args)
        finally:
            spans.append(time.perf_counter() - start)

    return wrapper


async def in_thread(call, *args):
    """Run a blocking client call in a thread, leaving the receiver's loop free."""
    return await asyncio.to_thread(call, *args)


def post(url: str, body: bytes) -> tuple[float, int, int]:
    """(seconds, status, acked ids) for one POST from a fresh client."""
    with httpx.Client(timeout=60) as http:
        start = time.perf_counter()
        response = http.post(url, content=body, headers={"Content-Type": "application/json"})
        elapsed = time.perf_counter() - start
    acked = len(response.json()) if response.status_code == 200 else 0
    return elapsed, response.status_code, acked


async def webcom_figures(entries: int, repeat: int) -> dict[str, float]:
    """Best/median request time and worst loop block for an `entries`-entry Webcom push."""
    body = webcom_batch(entries)
    times, blocks, handling = [], [], []
    for _ in range(repeat):
        opts = ReceiverOptions(accounts={"wc": Provider.WEBCOM})
        async with WebhookReceiver(opts, sink=MemorySink()) as receiver:
            receiver._webcom = timed(receiver._webcom, handling)  # type: ignore[method-assign]
            ticker = Ticker()
            ticker.start()
            await asyncio.sleep(0.01)
            ticker.reset()
            elapsed, status, acked = await in_thread(post, f"{receiver.url}/webcom", body)
            assert status == 200 and acked == entries, (status, acked)
            assert len(receiver.sink.changes) == entries
            times.append(elapsed)
            blocks.append(ticker.max_gap)
    return {
        "entries": entries,
        "body_bytes": len(body),
        "handling_best_s": round(min(handling), 4),
        "handling_median_s": round(statistics.median(handling), 4),
        "request_best_s": round(min(times), 4),
        "request_median_s": round(statistics.median(times), 4),
        "loop_block_max_s": round(max(blocks), 4),
        "loop_block_median_s": round(statistics.median(blocks), 4),
    }


def drip_until_cut(host: str, port: int, limit_s: float) -> float:
    """Seconds a header dripper stays connected (a byte every 50 ms), up to limit_s."""
    start = time.perf_counter()
    with socket.create_connection((host, port)) as sock:
        sock.settimeout(0.05)
        for byte in b"POST /webcom HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 10_000:
            if time.perf_counter() - start > limit_s:
                break
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1) == b"":
                    break  # the server hung up
            except TimeoutError:
                continue
            except OSError:
                break
    return time.perf_counter() - start


async def drip_figure() -> float:
    """Seconds until a header dripper is cut off with the default header_timeout_s."""
    async with WebhookReceiver(ReceiverOptions(), sink=MemorySink()) as receiver:
        host, port = receiver.url.removeprefix("http://").split(":")
        return round(await in_thread(drip_until_cut, host, int(port), 60.0), 2)


def hostile_charsets(url: str, count: int) -> tuple[float, dict[int, int]]:
    """(requests per second, status counts) for `count` hostile-charset pushes."""
    statuses: dict[int, int] = {}
    with httpx.Client(timeout=10) as http:
        start = time.perf_counter()
        for n in range(count):
            charset = HOSTILE[n % len(HOSTILE)]
            response = http.post(f"{url}/smsc?charset={charset}", content=b"id=1&phone=7&status=1")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        elapsed = time.perf_counter() - start
    return count / elapsed, statuses


async def charset_figure(count: int) -> dict[str, object]:
    """Hostile-charset pushes per second and how they were answered."""
    opts = ReceiverOptions(smsc_secret=Secret("k"), accounts={"main": Provider.SMSC})
    async with WebhookReceiver(opts, sink=MemorySink()) as receiver:
        per_s, statuses = await in_thread(hostile_charsets, receiver.url, count)
    return {"per_s": round(per_s), "statuses": {str(k): v for k, v in sorted(statuses.items())}}


async def main(args: argparse.Namespace) -> dict[str, object]:
    small = await webcom_figures(2_000, args.repeat)
    large = await webcom_figures(18_000, args.repeat)
    for name, figures in (("webcom_2000", small), ("webcom_18000", large)):
        print(f"{name}: {figures}", flush=True)
    ratio = large["handling_best_s"] / max(small["handling_best_s"], 1e-9)
    print(f"18,000 vs 2,000 entries: x{ratio:.1f} time for x9 entries (quadratic would be x81)")
    charsets = await charset_figure(600)
    print(f"hostile charsets: {charsets}", flush=True)
    drip_s = None if args.skip_drip else await drip_figure()
    if drip_s is not None:
        print(f"header dripper cut after {drip_s} s (header_timeout_s = 10)", flush=True)
    return {
        "webcom_18000_handling_best_s": large["handling_best_s"],
        "webcom_18000_handling_median_s": large["handling_median_s"],
        "webcom_18000_request_best_s": large["request_best_s"],
        "webcom_18000_request_median_s": large["request_median_s"],
        "webcom_18000_loop_block_max_s": large["loop_block_max_s"],
        "webcom_18000_body_bytes": large["body_bytes"],
        "webcom_2000_handling_best_s": small["handling_best_s"],
        "scaling_18000_vs_2000": round(ratio, 1),
        "target_18000_s": TARGET_18000_S,
        "meets_target": large["handling_median_s"] < TARGET_18000_S,
        "load_average_1m": round(os.getloadavg()[0], 2),  # a shared machine inflates times
        "hostile_charset_per_s": charsets["per_s"],
        "hostile_charset_statuses": charsets["statuses"],
        "header_drip_cut_s": drip_s,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-drip", action="store_true", help="skip the 10 s dripper run")
    result = asyncio.run(main(parser.parse_args()))
    print(json.dumps(result), flush=True)
