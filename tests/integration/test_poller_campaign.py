"""The poller against the real emulator: complete, correct, and inside every documented limit."""

from __future__ import annotations

from decimal import Decimal

from smstui.config import parse_config
from smstui.poller import Engine
from smstui.store import Store


def smsc_config(emu, tmp_path, **poll):
    return parse_config(
        {
            "accounts": [
                {"name": "main", "provider": "smsc", "base_url": emu.base_url,
                 "login": "demo", "password": "demo", "timeout": 5},
            ],
            "cache": {"dir": str(tmp_path)},
            "poll": poll,
        }
    )  # fmt: skip


async def drive(engine: Engine, emu, *, until, max_cycles: int = 3000) -> int:
    """Run poll cycles, jumping the shared FakeClock to each next wake-up, until `until()`."""
    cycles = 0
    while not until() and cycles < max_cycles:
        await engine.run_once()
        cycles += 1
        wake = min(p.next_poll_at for p in engine.pollers.values())
        emu.clock.set(max(wake, emu.clock.now() + 1))
    return cycles


def all_final(emu) -> bool:
    rows = [r for r in emu.truth() if r["provider"] == "smsc"]
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


async def test_campaign_polled_to_completion_matches_truth_with_zero_limit_errors(
    make_emulator, tmp_path
):
    async with make_emulator(seed=3, messages=300, rate=30, live_messages=200) as emu:
        store = Store.open(tmp_path / "cache.json", clock=emu.clock)
        engine = Engine(smsc_config(emu, tmp_path, **SLOW), store, clock=emu.clock)
        try:
            await drive(engine, emu, until=lambda: emu.clock.now() > emu.campaign.start + 3600)
            await drive(engine, emu, until=lambda: all_final(emu) and not store.non_final("main"))
            assert all_final(emu)
            assert store_matches_truth(store, emu) == []
            stats = emu.stats()
            assert sum(stats["limit_errors"].values()) == 0, stats["limit_errors"]
            assert stats["requests"].get("smsc.status_mass", 0) > 0
            assert len(store) >= 500
            assert store.latest_balance("main").amount < Decimal("50000")
        finally:
            await engine.aclose()
            store.close()


async def test_restart_loses_nothing_and_never_repolls_final(make_emulator, tmp_path):
    async with make_emulator(seed=5, messages=200, rate=20, live_messages=100) as emu:
        config = smsc_config(emu, tmp_path, **SLOW)
        store = Store.open(tmp_path / "cache.json", clock=emu.clock)
        engine = Engine(config, store, clock=emu.clock)
        await drive(engine, emu, until=lambda: emu.clock.now() > emu.campaign.start + 900)
        await engine.aclose()
        store.close()  # the daemon stops mid-campaign (close flushes)
        before = {m.key: m for m in Store.open(tmp_path / "cache.json", readonly=True)
                  .messages_sorted()}  # fmt: skip
        final_before = {k for k, m in before.items() if m.state.is_final}
        assert final_before and len(final_before) < len(before)  # some still in flight

        store = Store.open(tmp_path / "cache.json", clock=emu.clock)
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
