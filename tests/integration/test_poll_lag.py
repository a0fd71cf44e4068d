"""Issue 19 over the real emulator: a final status is stored within two mass-request intervals
whatever else is open, viewed messages ride first when a request must choose, and the health
estimate says so."""

from __future__ import annotations

from test_poller_campaign import drive, smsc_config

from smstui.budget import SMSC_MARGINS
from smstui.lag_estimate import lag_words
from smstui.poller import Engine
from smstui.store import Store

MASS_S = next(r.window_s / r.max for r in SMSC_MARGINS if r.endpoint == "status_mass")


def final_lags(store: Store, emu, since: float) -> list[tuple[str, float]]:
    """(id, seconds from the gateway's final status to the stored one) for finals after since."""
    out = []
    for row in emu.truth():
        if row["provider"] != "smsc" or not row["final"] or row["changed_at"] < since:
            continue
        for m in store.find("main", str(row["id"])):
            if m.phone != row["phone"]:
                continue
            final = [c for c in store.timeline(m.key) if c.state.is_final]
            assert final, f"{row['id']} final at the gateway, not in the cache"
            out.append((str(row["id"]), final[-1].observed_at - row["changed_at"]))
    return out


async def test_a_final_status_is_stored_within_two_mass_intervals_whatever_is_open(
    make_emulator, tmp_path
):
    # 3,000 live sends in ten minutes over a history with messages still open; run for 75 min,
    # so open messages are young and old (past the hour where they are asked half as often),
    # stragglers resolve late and 1 h validities run out.
    async with make_emulator(seed=19, messages=400, rate=300, live_messages=3000) as emu:
        start = emu.campaign.start
        store = Store.open(tmp_path / "cache", clock=emu.clock)
        engine = Engine(smsc_config(emu, tmp_path), store, clock=emu.clock)
        most_open = 0

        def until() -> bool:
            nonlocal most_open
            most_open = max(most_open, len(store.non_final("main")))
            return emu.clock.now() > start + 75 * 60

        try:
            await drive(engine, emu, until=until)
            end = emu.clock.now()
            lags = final_lags(store, emu, since=start)
            late = [(i, round(lag)) for i, lag in lags if lag > 2 * MASS_S]
            assert late == [], late
            assert len(lags) > 2500 and most_open > 300  # many finals, with much else open
            assert max(lag for _, lag in lags) > MASS_S / 2  # a measured wait, not a tautology

            # Finals from the last two intervals may still be on their way: nothing older is.
            def stored_final(row: dict) -> bool:
                return any(m.state.is_final for m in store.find("main", str(row["id"])))

            stuck = [r for r in emu.truth() if r["provider"] == "smsc" and r["final"]
                     and r["changed_at"] < end - 2 * MASS_S and not stored_final(r)]  # fmt: skip
            assert stuck == []
            assert sum(emu.stats()["limit_errors"].values()) == 0
            lag = engine.health().accounts[0].lag
            assert lag is not None and lag.interval_s in (MASS_S, 2 * 60.0)
            assert lag_words(lag, end).startswith("statuses arrive within ~")
        finally:
            await engine.aclose()
            store.close()


async def test_viewed_messages_are_carried_first_when_a_request_must_choose(
    make_emulator, tmp_path
):
    async with make_emulator(seed=7, messages=0, rate=600, live_messages=400) as emu:
        store = Store.open(tmp_path / "cache", clock=emu.clock)
        engine = Engine(smsc_config(emu, tmp_path), store, clock=emu.clock)
        poller = engine.pollers["main"]
        poller.schedule.max_ids = 20  # as if the gateway took no more ids per request
        carried: list[tuple[list[tuple[str, str]], set[tuple[str, str]]]] = []
        original = poller.gateway.statuses

        async def spy(refs):
            still_open = {(m.message_id, m.phone) for m in store.non_final("main")}
            carried.append((list(refs), still_open))
            return await original(refs)

        poller.gateway.statuses = spy  # type: ignore[method-assign]
        try:
            await drive(engine, emu, until=lambda: len(store.non_final("main")) > 100)
            pending = store.non_final("main")
            viewed = [m.key for m in sorted(pending, key=lambda m: m.sent_at or 0.0)[:3]]
            engine.prioritise([("other", "1", "7900"), *viewed])  # unknown accounts: ignored
            assert poller.schedule.priority == tuple(viewed)
            carried.clear()
            await drive(engine, emu, until=lambda: len(carried) >= 1)
            refs, still_open = carried[0]
            # The viewed ones still open when the request left lead it, in the order given.
            viewed_open = [(k[1], k[2]) for k in viewed if (k[1], k[2]) in still_open]
            assert viewed_open and refs[: len(viewed_open)] == viewed_open
            assert len(refs) == 20 and len(still_open) > 20
            assert poller.left_out > 0  # the cap really chose
            engine.prioritise([])
            assert poller.schedule.priority == ()
        finally:
            await engine.aclose()
            store.close()
