"""The poller against the real emulator: complete, correct, and inside every documented limit."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from smstui.config import parse_config
from smstui.model import Provider, Source
from smstui.poller import Engine
from smstui.secrets import Secret
from smstui.store import Store
from smstui.webhook.options import ReceiverOptions
from smstui.webhook.server import WebhookReceiver


def smsc_config(emu, tmp_path, *, webcom: bool = False, **poll):
    accounts = [{"name": "main", "provider": "smsc", "base_url": emu.base_url,
                 "login": "demo", "password": "demo", "timeout": 5}]  # fmt: skip
    if webcom:
        accounts.append({"name": "wc", "provider": "webcom", "base_url": emu.base_url,
                         "login": "demo", "password": "demo", "timeout": 5})  # fmt: skip
    return parse_config({"accounts": accounts, "cache": {"dir": str(tmp_path)}, "poll": poll})


async def drive(
    engine: Engine, emu, *, until, max_cycles: int = 3000, step: float | None = None
) -> int:
    """Run poll cycles, jumping the shared FakeClock to each next wake-up, until `until()`.

    With `step`, time moves at most that far per cycle and the emulator's pusher gets a moment
    of real time to deliver what became due.
    """
    cycles = 0
    while not until() and cycles < max_cycles:
        await engine.run_once()
        cycles += 1
        wake = max(min(p.next_poll_at for p in engine.pollers.values()), emu.clock.now() + 1)
        if step is not None:
            await asyncio.sleep(0.01)
            wake = min(wake, emu.clock.now() + step)
        emu.clock.set(wake)
    return cycles


def all_final(emu, provider: str = "smsc") -> bool:
    rows = [r for r in emu.truth() if r["provider"] == provider]
    return bool(rows) and all(r["final"] for r in rows)


def store_matches_truth(store: Store, emu) -> list[str]:
    """Differences between the store and the emulator's ground truth (empty when equal)."""
    problems = []
    for row in emu.truth():
        if row["provider"] != "smsc" or row["deleted"]:
            continue
        found = store.find("main", str(row["id"]))
        match = [m for m in found if m.phone == row["phone"]]
        if not match:
            problems.append(f"missing {row['id']}/{row['phone']}")
            continue
        m = match[0]
        if m.raw_status != str(row["status"]) or (m.error_code or 0) != row["err"]:
            problems.append(f"{row['id']}: store {m.raw_status}/{m.error_code} truth "
                            f"{row['status']}/{row['err']}")  # fmt: skip
    return problems


# The last messages expire only after their 24 h validity; slow cadences keep that tail cheap.
SLOW = {"status_interval_s": 900, "balance_interval_s": 900, "history_interval_s": 900}


@pytest.mark.slow
async def test_campaign_polled_to_completion_matches_truth_with_zero_limit_errors(
    make_emulator, tmp_path
):
    async with make_emulator(seed=3, messages=1500, rate=60, live_messages=500) as emu:
        store = Store.open(tmp_path / "cache", clock=emu.clock)
        engine = Engine(smsc_config(emu, tmp_path, **SLOW), store, clock=emu.clock)
        try:
            await drive(engine, emu, until=lambda: emu.clock.now() > emu.campaign.start + 3600)
            await drive(engine, emu, until=lambda: all_final(emu) and not store.non_final("main"))
            assert all_final(emu)
            assert store_matches_truth(store, emu) == []
            stats = emu.stats()
            assert sum(stats["limit_errors"].values()) == 0, stats["limit_errors"]
            assert stats["requests"].get("smsc.status_mass", 0) > 0
            assert len(store) >= 2000
            assert store.latest_balance("main").amount < Decimal("50000")
        finally:
            await engine.aclose()
            store.close()


async def test_restart_loses_nothing_and_never_repolls_final(make_emulator, tmp_path):
    async with make_emulator(seed=5, messages=200, rate=20, live_messages=100) as emu:
        config = smsc_config(emu, tmp_path, **SLOW)
        store = Store.open(tmp_path / "cache", clock=emu.clock)
        engine = Engine(config, store, clock=emu.clock)
        await drive(engine, emu, until=lambda: emu.clock.now() > emu.campaign.start + 900)
        await engine.aclose()
        store.close()  # the daemon stops mid-campaign (close flushes)
        before = {m.key: m for m in Store.open(tmp_path / "cache", readonly=True)
                  .messages_sorted()}  # fmt: skip
        final_before = {k for k, m in before.items() if m.state.is_final}
        assert final_before and len(final_before) < len(before)  # some still in flight

        store = Store.open(tmp_path / "cache", clock=emu.clock)
        asked: list[tuple[str, str]] = []
        engine = Engine(config, store, clock=emu.clock)
        gateway = engine.pollers["main"].gateway
        original = gateway.statuses

        async def spy(refs):
            asked.extend(refs)
            return await original(refs)

        gateway.statuses = spy
        try:
            assert set(before) <= {m.key for m in store.messages_sorted()}
            await drive(engine, emu, until=lambda: all_final(emu) and not store.non_final("main"))
            assert {(k[1], k[2]) for k in final_before}.isdisjoint(asked)
            assert store_matches_truth(store, emu) == []
            assert sum(emu.stats()["limit_errors"].values()) == 0
        finally:
            await engine.aclose()
            store.close()


async def test_pushes_keep_the_store_true_and_polling_drops(make_emulator, tmp_path):
    """Webhooks: the emulator pushes to the receiver, the store matches truth with few polls."""
    secret = "e2e-secret"
    options = ReceiverOptions(
        smsc_secret=Secret(secret), accounts={"main": Provider.SMSC, "wc": Provider.WEBCOM}
    )
    receiver = WebhookReceiver(options, sink=None)  # the engine is its sink once it exists
    await receiver.start()
    hooks = {
        "smsc_webhook": f"{receiver.endpoint('smsc', 'main')}?md5={secret}",
        "webcom_webhook": receiver.endpoint("webcom", "wc"),
        "push_tick": 0.002,
    }
    counts = {}
    try:
        for pushed in (False, True):
            async with make_emulator(
                seed=9, messages=0, webcom_messages=0, rate=120, live_messages=200,
                **(hooks if pushed else {}),
            ) as emu:  # fmt: skip
                cache = tmp_path / ("pushed" if pushed else "polled")
                store = Store.open(cache, clock=emu.clock)
                engine = Engine(smsc_config(emu, cache, webcom=pushed), store, clock=emu.clock)
                receiver.sink, receiver.clock = engine.ingest, emu.clock
                busy_until = emu.campaign.start + 900  # small steps while pushes flow

                def done(store=store, emu=emu, pushed=pushed):
                    finished = all_final(emu) and (not pushed or all_final(emu, "webcom"))
                    return finished and not any(store.non_final(a) for a in ("main", "wc"))

                try:
                    busy = lambda emu=emu, t=busy_until: emu.clock.now() > t  # noqa: E731
                    await drive(engine, emu, step=2.0 if pushed else None, until=busy)
                    # While pushes flow (the busy quarter hour) polling is a safety net. In the
                    # tail an open message is asked every other mass interval with or without a
                    # webhook (issue 19), so the counts compare the busy part.
                    asked = emu.stats()["requests"]
                    counts[pushed] = asked.get("smsc.status_mass", 0) + asked.get("smsc.status", 0)
                    await drive(engine, emu, until=done)
                    for _ in range(750):  # the last pushes travel in real time: let them land
                        wc_ids = {str(r["id"]) for r in emu.truth() if r["provider"] == "webcom"}
                        if not pushed or all(store.find("wc", i) for i in wc_ids):
                            break
                        await asyncio.sleep(0.02)
                    assert store_matches_truth(store, emu) == []
                    stats = emu.stats()
                    assert sum(stats["limit_errors"].values()) == 0
                    if pushed:
                        assert stats["pushes"]["acked"] > 0 and stats["pushes"]["failed"] == 0
                        webhook_sourced = [
                            c for m in store.messages_sorted()
                            for c in store.timeline(m.key) if c.source is Source.WEBHOOK
                        ]  # fmt: skip
                        assert webhook_sourced
                        # Webcom has no history: its messages come from pushes alone.
                        wc_truth = {str(r["id"]): r["status"] for r in emu.truth()
                                    if r["provider"] == "webcom"}  # fmt: skip
                        wc_store = {m.message_id: m.raw_status for m in store.messages_sorted()
                                    if m.account == "wc"}  # fmt: skip
                        assert wc_truth and wc_store == wc_truth
                finally:
                    await engine.aclose()
                    store.close()
    finally:
        await receiver.stop()
    assert counts[True] * 2 <= counts[False], counts  # polling is only a safety net meanwhile
