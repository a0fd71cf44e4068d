"""Benchmark: the poller against the emulator's campaign — requests, limit errors, status lag.

Runs on virtual time by default: a FakeClock shared by the emulator and the poller jumps to the
poller's next wake-up, so the 24 h validity tail of a campaign costs seconds, and the figures
(requests per emulated hour, lag in emulated seconds) do not depend on how loaded the machine
is. `--speed N` runs on a ScaledClock instead (real time × N) for a live-feel check.

In the same run, a naive baseline poller (every non-final message's status asked one by one,
every cycle) runs over the same campaign for `--baseline-minutes` of emulated time; the request
ratio compares both pollers over that same window. Last line: one JSON object.

Beside p50/p95 it reports the floor the run itself implies (the mass-status interval actually
used: a final status waits at most one interval even when every open message rides in every
request, so p95 ≈ 0.95 × interval) and where each message's lag went: waiting for discovery
(history had not shown the message before it was final), waiting for the next status request,
and left out of a request that went out (and why). A polling-only Webcom run (its messages
registered as our own sends: Webcom has no history) measures the same for Webcom.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from smstui.clock import FakeClock, ScaledClock
from smstui.config import parse_config
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.paths import WebcomMessage
from smstui.emulator.server import run_emulator
from smstui.errors import GatewayError
from smstui.gateways.base import make_gateway
from smstui.gateways.webcom_parse import phone_digits
from smstui.model import DeliveryState, Message, Provider, Source
from smstui.poller import Engine
from smstui.secrets import Secret
from smstui.store import Store
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.server import WebhookReceiver

START = 1_763_715_600.0  # 2025-11-21 12:00 MSK
HOOK_SECRET = "bench-secret"
PUSH_STEP_S, PUSH_STEP_HOURS = 2.0, 2.0


def config_for(base_url: str, cache: Path, *, webcom: bool, smsc: bool = True) -> object:
    accounts = [{"name": "smsc", "provider": "smsc", "base_url": base_url,
                 "login": "demo", "password": "demo", "timeout": 30}] if smsc else []  # fmt: skip
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


Key = tuple[str, str, str]
BUSY_S = 3600.0  # the mass interval is read from the first emulated hour (the campaign's)


def account_of(row: dict) -> str:
    return "smsc" if row["provider"] == "smsc" else "webcom"


def stored_finals(store: Store, truth: list[dict]) -> list[tuple[Key, float, float]]:
    """(key, when the final status appeared at the gateway, when smstui stored it)."""
    out = []
    for row in truth:
        if not row["final"] or row.get("deleted"):
            continue
        account, message_id = account_of(row), str(row["id"])
        items = [(m, store.timeline(m.key)) for m in store.find(account, message_id)]
        if not items:  # beyond the newest messages memory holds: read it from disk
            items = store.lookup(account, message_id).items
        for m, timeline in items:
            if row["provider"] == "smsc" and m.phone != row["phone"]:
                continue
            final = [c for c in timeline if c.state.is_final]
            if final and final[-1].observed_at is not None:
                out.append((m.key, row["changed_at"], final[-1].observed_at))
    return out


class Probe:
    """Records, per poller, when each message was first known and what each status request
    carried (wrapping the gateway's history and statuses calls; nothing else changes)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.known: dict[Key, float] = {}
        self.requests: dict[str, list[tuple[float, frozenset[Key]]]] = {}

    def attach(self, engine: Engine) -> None:
        for name, poller in engine.pollers.items():
            gateway, log = poller.gateway, self.requests.setdefault(name, [])
            statuses, history = gateway.statuses, gateway.history

            async def spy_statuses(refs, _orig=statuses, _log=log, _name=name):
                keys = frozenset((_name, str(i), str(p)) for i, p in refs)
                _log.append((self.clock.now(), keys))
                return await _orig(refs)

            async def spy_history(_orig=history, **kw):
                page = await _orig(**kw)
                for m in page.messages:
                    self.known.setdefault(m.key, self.clock.now())
                return page

            gateway.statuses = spy_statuses  # type: ignore[method-assign]
            gateway.history = spy_history  # type: ignore[method-assign]

    def mass_interval(self, start: float) -> float | None:
        """Median gap between consecutive status requests in the campaign's first hour."""
        gaps = []
        for log in self.requests.values():
            times = [t for t, _ in log if t < start + BUSY_S]
            gaps += [b - a for a, b in itertools.pairwise(times)]
        return round(statistics.median(gaps), 1) if gaps else None


def left_out_reason(poller, key: Key, at: float, carried: frozenset[Key], store: Store) -> str:
    """Why a request at `at` did not carry an open message smstui knew (the poller's rules)."""
    message = store.get(key)
    sent = message.sent_at if message is not None and message.sent_at is not None else at
    if at - sent > poller.schedule.max_age_s:
        return "older than max_age (not asked at all)"
    if key in getattr(poller, "_gone", ()):
        return "archived at the gateway"
    cap = getattr(poller.schedule, "max_ids", None)
    if cap is not None and len(carried) >= cap:
        return "request full (id cap)"
    return "not due (per-message back-off)"


def breakdown(store: Store, truth: list[dict], probe: Probe, engine: Engine) -> dict:
    """Each final message's lag split into discovery / next request / left out (and why)."""
    parts: dict[str, list[float]] = {"discovery": [], "next_request": [], "left_out": []}
    why: dict[str, int] = {}
    dominant: list[tuple[float, str]] = []
    for key, final_at, stored_at in stored_finals(store, truth):
        lag = max(0.0, stored_at - final_at)
        known = probe.known.get(key, stored_at)
        split = {"discovery": 0.0, "next_request": 0.0, "left_out": 0.0}
        if known >= final_at:  # history first showed it already final: found late, not asked late
            split["discovery"] = lag
        else:
            log = probe.requests.get(key[0], [])
            nxt = next(((t, c) for t, c in log if t >= final_at), None)
            first = min(nxt[0], stored_at) if nxt else stored_at
            split["next_request"] = max(0.0, first - final_at)
            split["left_out"] = max(0.0, stored_at - first)
            if split["left_out"] > 0 and nxt is not None and key not in nxt[1]:
                reason = left_out_reason(engine.pollers[key[0]], key, nxt[0], nxt[1], store)
                why[reason] = why.get(reason, 0) + 1
        for name, value in split.items():
            parts[name].append(value)
        dominant.append((lag, max(split, key=lambda n: split[n])))
    total = sum(sum(v) for v in parts.values()) or 1.0
    out: dict = {}
    for name, values in parts.items():
        out[name] = {
            "messages": sum(1 for v in values if v > 0),
            "share": round(sum(values) / total, 3),
            "p95_s": round(percentile(values, 0.95), 1) if values else None,
        }
    out["left_out"]["why"] = why
    lags_all = [lag for lag, _ in dominant]
    p95 = percentile(lags_all, 0.95) if lags_all else 0.0
    above: dict[str, int] = {}
    for lag, name in dominant:
        if lag >= p95:
            above[name] = above.get(name, 0) + 1
    out["at_or_above_p95_by_cause"] = above
    return out


def lags(store: Store, truth: list[dict]) -> list[float]:
    """Emulated seconds from each final status change to the moment smstui stored it."""
    return [max(0.0, stored - final) for _, final, stored in stored_finals(store, truth)]


async def run_smart(args, *, webhooks: bool, webcom_only: bool = False) -> dict:
    """The real poller (and receiver) until every message is final and stored.

    `webcom_only`: one Webcom account, polling only; each Webcom message of the campaign is
    recorded as our own send the moment the emulator sends it (Webcom has no history call).
    """
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
    providers = {"webcom"} if webcom_only else ({"smsc", "webcom"} if webhooks else {"smsc"})
    t0 = time.perf_counter()
    async with run_emulator(opts) as emu:
        store = Store.open(cache / "cache.json", clock=clock)
        config = config_for(
            emu.base_url, cache, webcom=webhooks or webcom_only, smsc=not webcom_only
        )
        engine = Engine(config, store, clock=clock)
        probe = Probe(clock)
        probe.attach(engine)
        sends: list[Message] = []
        if webcom_only:

            def on_send(m: object) -> None:
                if isinstance(m, WebcomMessage):
                    sends.append(own_send(m))

            emu.campaign.listeners.append(on_send)
        if receiver is not None:  # pushes enter through the engine's ingest door
            receiver.sink = getattr(engine, "ingest", engine)
        window_requests = None
        cycles = 0
        try:
            while True:
                emu.campaign.advance(clock.now())
                if sends:
                    batch, sends[:] = list(sends), []
                    for m in batch:
                        probe.known.setdefault(m.key, m.sent_at or clock.now())
                    await store.apply_async(batch, source=Source.SEND)
                await engine.run_once() if args.speed == 0 else await asyncio.sleep(0.2)
                if args.speed != 0 and cycles == 0:
                    task = asyncio.create_task(engine.run())
                cycles += 1
                now = clock.now()
                if window_requests is None and now >= START + args.baseline_minutes * 60:
                    window_requests = sum(emu.stats()["requests"].values())
                truth = [r for r in emu.truth() if r["provider"] in providers]
                expected = args.messages // 5 if webcom_only else args.messages
                done = len(truth) >= expected and all(r["final"] for r in truth)
                # Messages smstui can know of without a push: SMSC's (history) or our own sends.
                findable = sum(1 for r in truth if r["provider"] == ("webcom" if webcom_only
                                                                     else "smsc"))  # fmt: skip
                stored_all = findable <= store.total()  # len(store): only what is loaded
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
            truth = [r for r in emu.truth() if r["provider"] in providers]
            lag = lags(store, truth)
            interval = probe.mass_interval(START)
            parts = breakdown(store, truth, probe, engine)
        finally:
            await engine.aclose()
            store.close()
            if receiver is not None:
                await receiver.stop()
    hours = (clock.now() - START) / 3600
    requests = sum(stats["requests"].values())
    return {
        "requests": requests,
        "requests_per_h": round(requests / hours, 1) if hours else None,
        "requests_by_endpoint": stats["requests"],
        "window_requests": window_requests,
        "limit_errors": limit_errors(stats),
        "pushes": stats.get("pushes", {}),
        "lag_p50_s": round(statistics.median(lag), 1) if lag else None,
        "lag_p95_s": round(percentile(lag, 0.95), 1) if lag else None,
        "lag_p99_s": round(percentile(lag, 0.99), 1) if lag else None,
        "lag_max_s": round(max(lag), 1) if lag else None,
        "mass_interval_s": interval,
        "floor_p95_s": round(0.95 * interval, 1) if interval else None,
        "lag_breakdown": parts,
        "stored_final": len(lag),
        "emulated_h": round(hours, 2),
        "wall_s": round(time.perf_counter() - t0, 1),
    }


def own_send(w: WebcomMessage) -> Message:
    """A Webcom message of the campaign as smstui records a send it made (queued, at `sent`)."""
    return Message(
        account="webcom", provider=Provider.WEBCOM, message_id=str(w.id_sms),
        phone=phone_digits(w.phone), state=DeliveryState.QUEUED, text=w.text, sender=w.sender,
        sent_at=w.sent, updated_at=w.sent, parts=w.parts,
    )  # fmt: skip


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
    parser.add_argument("--no-webcom", action="store_true", help="skip the Webcom polling run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    args = parser.parse_args()
    pace = "virtual time" if args.speed == 0 else f"speed {args.speed:g}"
    print(f"campaign: {args.messages} SMSC messages (+ a fifth as many on Webcom with webhooks) "
          f"at {args.rate:g}/min; {pace}")  # fmt: skip
    polling = await run_smart(args, webhooks=False)
    print("polling only:", json.dumps(polling, ensure_ascii=False))
    webcom = None if args.no_webcom else await run_smart(args, webhooks=False, webcom_only=True)
    if webcom:
        print("webcom polling only:", json.dumps(webcom, ensure_ascii=False))
    hooked = None if args.no_webhooks else await run_smart(args, webhooks=True)
    if hooked:
        print("with webhooks:", json.dumps(hooked, ensure_ascii=False))
    baseline = None if args.no_baseline else await run_baseline(args)
    if baseline:
        print(f"baseline (first {args.baseline_minutes:g} emulated min):", json.dumps(baseline))
    window = polling["window_requests"] or polling["requests"]
    result = {
        "requests": polling["requests"],
        "limit_errors": sum(r["limit_errors"] for r in (polling, webcom, hooked) if r),
        "requests_per_h": polling["requests_per_h"],
        "lag_p50_s": polling["lag_p50_s"],
        "lag_p95_s": polling["lag_p95_s"],
        "lag_p99_s": polling["lag_p99_s"],
        "mass_interval_s": polling["mass_interval_s"],
        "floor_p95_s": polling["floor_p95_s"],
        "lag_breakdown": polling["lag_breakdown"],
        "webcom_requests_per_h": webcom["requests_per_h"] if webcom else None,
        "webcom_lag_p50_s": webcom["lag_p50_s"] if webcom else None,
        "webcom_lag_p95_s": webcom["lag_p95_s"] if webcom else None,
        "webcom_limit_errors": webcom["limit_errors"] if webcom else None,
        "webhook_requests": hooked["requests"] if hooked else None,
        "webhook_lag_p50_s": hooked["lag_p50_s"] if hooked else None,
        "webhook_lag_p95_s": hooked["lag_p95_s"] if hooked else None,
        "window_minutes": args.baseline_minutes,
        "window_requests": window,
        "baseline_requests": baseline["requests"] if baseline else None,
        "baseline_limit_errors": baseline["limit_errors"] if baseline else None,
        "request_ratio": round(baseline["requests"] / max(1, window), 1) if baseline else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
