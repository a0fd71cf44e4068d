"""Benchmark: the poller against the emulator's campaign — requests, limit errors, status lag.

Runs on virtual time by default: a FakeClock shared by the emulator and the poller jumps to the
poller's next wake-up, so the 24 h validity tail of a campaign costs seconds, and the figures
(requests per emulated hour, lag in emulated seconds) do not depend on how loaded the machine
is. `--speed N` runs on a ScaledClock instead (real time × N) for a live-feel check.

In the same run, a naive baseline poller (every non-final message's status asked one by one,
every cycle) runs over the same campaign for `--baseline-minutes` of emulated time; the request
ratio compares both pollers over that same window. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from smstui.clock import FakeClock, ScaledClock
from smstui.config import parse_config
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.server import run_emulator
from smstui.errors import GatewayError
from smstui.gateways.base import make_gateway
from smstui.model import DeliveryState, Provider
from smstui.poller import Engine
from smstui.secrets import Secret
from smstui.store import Store
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.server import WebhookReceiver

START = 1_763_715_600.0  # 2025-11-21 12:00 MSK
HOOK_SECRET = "bench-secret"
PUSH_STEP_S, PUSH_STEP_HOURS = 2.0, 2.0


def config_for(base_url: str, cache: Path, *, webcom: bool) -> object:
    accounts = [{"name": "smsc", "provider": "smsc", "base_url": base_url,
                 "login": "demo", "password": "demo", "timeout": 30}]  # fmt: skip
    if webcom:
        accounts.append({"name": "webcom", "provider": "webcom", "base_url": base_url,
                         "login": "demo", "password": "demo", "timeout": 30})  # fmt: skip
    return parse_config({"accounts": accounts, "cache": {"dir": str(cache)}})


def limit_errors(stats: dict) -> int:
    return sum(stats["limit_errors"].values())


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def lags(store: Store, truth: list[dict]) -> list[float]:
    """Emulated seconds from each final status change to the moment smstui stored it."""
    out = []
    for row in truth:
        if not row["final"] or row.get("deleted"):
            continue
        account = "smsc" if row["provider"] == "smsc" else "webcom"
        for m in store.find(account, str(row["id"])):
            if row["provider"] == "smsc" and m.phone != row["phone"]:
                continue
            final = [c for c in store.timeline(m.key) if c.state.is_final]
            if final and final[-1].observed_at is not None:
                out.append(max(0.0, final[-1].observed_at - row["changed_at"]))
    return out


async def run_smart(args, *, webhooks: bool) -> dict:
    """The real poller (and receiver) until every message is final and stored."""
    clock = FakeClock(START) if args.speed == 0 else ScaledClock(START, args.speed)
    cache = Path(tempfile.mkdtemp(prefix="smstui-bench-"))
    receiver = None
    hooks: dict[str, str | None] = {"smsc_webhook": None, "webcom_webhook": None}
    if webhooks:
        receiver = WebhookReceiver(
            ReceiverOptions(smsc_secret=Secret(HOOK_SECRET),
                            accounts={"smsc": Provider.SMSC, "webcom": Provider.WEBCOM}),
            sink=None, clock=clock,  # type: ignore[arg-type]
        )  # fmt: skip
        await receiver.start()
        hooks = {
            "smsc_webhook": f"{receiver.endpoint('smsc', 'smsc')}?md5={HOOK_SECRET}",
            "webcom_webhook": receiver.endpoint("webcom", "webcom"),
        }
    opts = EmulatorOptions(
        seed=args.seed, messages=0, webcom_messages=0, rate=args.rate,
        live_messages=args.messages, clock=clock, start=START, push_retry_interval=5.0,
        push_tick=0.005, **hooks,
    )  # fmt: skip
    t0 = time.perf_counter()
    async with run_emulator(opts) as emu:
        store = Store.open(cache / "cache.json", clock=clock)
        engine = Engine(config_for(emu.base_url, cache, webcom=webhooks), store, clock=clock)
        if receiver is not None:
            receiver.sink = engine
        window_requests = None
        cycles = 0
        try:
            while True:
                await engine.run_once() if args.speed == 0 else await asyncio.sleep(0.2)
                if args.speed != 0 and cycles == 0:
                    task = asyncio.create_task(engine.run())
                cycles += 1
                now = clock.now()
                if window_requests is None and now >= START + args.baseline_minutes * 60:
                    window_requests = sum(emu.stats()["requests"].values())
                truth = emu.truth()
                done = len(truth) >= args.messages and all(r["final"] for r in truth)
                stored_all = sum(1 for r in truth if r["provider"] == "smsc") <= len(store)
                if done and stored_all and not any(store.non_final(a) for a in store.accounts()):
                    break
                if now > START + 3 * 86400:
                    print("gave up after 3 emulated days", file=sys.stderr)
                    break
                if args.speed == 0:
                    wake = max(min(p.next_poll_at for p in engine.pollers.values()), now + 1)
                    if webhooks:
                        await asyncio.sleep(0.012)  # let the pusher deliver what is due
                        # Pushes are as fast as the clock's steps: keep steps small while the
                        # campaign is busy, or the jump itself would be measured as lag.
                        if now < START + PUSH_STEP_HOURS * 3600:
                            wake = min(wake, now + PUSH_STEP_S)
                    clock.set(wake)
            if args.speed != 0:
                engine.stop()
                await task
            stats = emu.stats()
            lag = lags(store, emu.truth())
        finally:
            await engine.aclose()
            store.close()
            if receiver is not None:
                await receiver.stop()
    return {
        "requests": sum(stats["requests"].values()),
        "requests_by_endpoint": stats["requests"],
        "window_requests": window_requests,
        "limit_errors": limit_errors(stats),
        "pushes": stats.get("pushes", {}),
        "lag_p50_s": round(statistics.median(lag), 1) if lag else None,
        "lag_p95_s": round(percentile(lag, 0.95), 1) if lag else None,
        "stored_final": len(lag),
        "emulated_h": round((clock.now() - START) / 3600, 2),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


async def run_baseline(args) -> dict:
    """Naive: every cycle, ask each non-final message's status one request at a time."""
    clock = FakeClock(START)
    opts = EmulatorOptions(seed=args.seed, messages=0, webcom_messages=0, rate=args.rate,
                           live_messages=args.messages, clock=clock, start=START)  # fmt: skip
    async with run_emulator(opts) as emu:
        account = config_for(emu.base_url, Path(tempfile.gettempdir()), webcom=False).accounts[0]
        gateway = make_gateway(account, clock=clock, retries=0)
        known: dict[tuple[str, str], DeliveryState] = {}
        try:
            while clock.now() < START + args.baseline_minutes * 60:
                try:
                    page = await gateway.history(limit=1000)
                    for m in page.messages:
                        known.setdefault((m.message_id, m.phone), m.state)
                except GatewayError:
                    pass
                pending = [k for k, s in known.items() if not s.is_final]
                for i in range(0, len(pending), 8):  # a little concurrency, as naive code has
                    batch = pending[i : i + 8]
                    results = await asyncio.gather(
                        *(gateway.status(mid, phone) for mid, phone in batch),
                        return_exceptions=True,
                    )
                    for key, result in zip(batch, results, strict=True):
                        if not isinstance(result, BaseException):
                            known[key] = result.state
                clock.advance(args.baseline_cycle_s)
            stats = emu.stats()
        finally:
            await gateway.aclose()
    return {"requests": sum(stats["requests"].values()), "limit_errors": limit_errors(stats)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000, help="SMSC live messages")
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per emulated minute")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--speed", type=float, default=0, help="0 = virtual time (default)")
    parser.add_argument("--baseline-minutes", type=float, default=20.0)
    parser.add_argument("--baseline-cycle-s", type=float, default=10.0)
    parser.add_argument("--no-webhooks", action="store_true", help="skip the webhook run")
    args = parser.parse_args()
    pace = "virtual time" if args.speed == 0 else f"speed {args.speed:g}"
    print(f"campaign: {args.messages} SMSC messages (+ a fifth as many on Webcom with webhooks) "
          f"at {args.rate:g}/min; {pace}")  # fmt: skip
    polling = await run_smart(args, webhooks=False)
    print("polling only:", json.dumps(polling, ensure_ascii=False))
    hooked = None if args.no_webhooks else await run_smart(args, webhooks=True)
    if hooked:
        print("with webhooks:", json.dumps(hooked, ensure_ascii=False))
    baseline = await run_baseline(args)
    print(f"baseline (first {args.baseline_minutes:g} emulated min):", json.dumps(baseline))
    window = polling["window_requests"] or polling["requests"]
    result = {
        "requests": polling["requests"],
        "limit_errors": polling["limit_errors"] + (hooked["limit_errors"] if hooked else 0),
        "lag_p50_s": polling["lag_p50_s"],
        "lag_p95_s": polling["lag_p95_s"],
        "webhook_requests": hooked["requests"] if hooked else None,
        "webhook_lag_p50_s": hooked["lag_p50_s"] if hooked else None,
        "webhook_lag_p95_s": hooked["lag_p95_s"] if hooked else None,
        "window_minutes": args.baseline_minutes,
        "window_requests": window,
        "baseline_requests": baseline["requests"],
        "baseline_limit_errors": baseline["limit_errors"],
        "request_ratio": round(baseline["requests"] / max(1, window), 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
