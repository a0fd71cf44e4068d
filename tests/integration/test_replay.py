"""`smstui replay --at T --json` equals the live summary recorded at T during a campaign.

A real Engine polls the real emulator (SMSC and Webcom accounts, loopback HTTP) on one shared
FakeClock, so every emulated minute is an exact instant. At each minute mark T the test takes
the live summary — `smstui.replay.summarize` over the live store's whole-history query, the
function the replay applies to its moment — after every poll cycle due at or before T, and
before any cycle after T. After the campaign the real CLI replays every mark in one run.

The tolerance, precisely: the replay counts what smstui had *learnt* by T (each timeline entry's
`observed_at`), so against the screen it is exact — the test asserts equality at every mark.
Against the gateway's own truth it lags as the screen did: a status the gateway reached at T is
learnt by the first status cycle after T, at most one status interval later. The test asserts
that bound too: every message the emulator had settled by T that the cache held by then is
settled in the replay at T + one status interval (+ the 1 s a cycle may be pushed back), with
the gateway's raw status. (A message another program sent is discovered on the history
cadence, `history_interval_s`; Webcom keeps no history: until then neither has it.)
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from cli_run import Cli
from smstui.config import parse_config
from smstui.display import iso
from smstui.phones import digits
from smstui.poller import Engine
from smstui.queries import Query
from smstui.replay import Replay, currency_at, summarize
from smstui.store import Store

MINUTES = 20
STATUS_S = 60  # the status cadence: the replay lags the gateway by at most this


def write_config(path: Path, cache: Path, base_url: str) -> str:
    path.write_text(
        f'[cache]\ndir = "{cache}"\n\n[ui]\ntimezone = "UTC"\n\n'
        f'[[accounts]]\nname = "main"\nprovider = "smsc"\nbase_url = "{base_url}"\n'
        'login = "demo"\npassword = "demo"\n\n'
        f'[[accounts]]\nname = "wc"\nprovider = "webcom"\nbase_url = "{base_url}"\n'
        'login = "demo"\npassword = "demo"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return str(path)


def live_summary(store: Store, at: float) -> dict:
    """What the live dashboard's figures say now: the replay's summary of the live cache."""
    answer = store.query(Query())
    return summarize(answer, at, currency=currency_at(store, store.accounts(), at)).record()


def gateway_finals(truth: list[dict]) -> dict[tuple[str, str, str], str]:
    """(provider, id, phone) → raw status of every message the emulator has settled by now."""
    return {(r["provider"], str(r["id"]), digits(r["phone"])): str(r["status"]) for r in truth
            if r["final"] and not r.get("deleted")}  # fmt: skip


async def test_replay_of_every_minute_equals_the_live_summary(make_emulator, tmp_path):
    async with make_emulator(seed=11, messages=30, rate=12.0, live_messages=200) as emu:
        cache = tmp_path / "cache"
        config = parse_config(
            {"accounts": [{"name": "main", "provider": "smsc", "base_url": emu.base_url,
                           "login": "demo", "password": "demo", "timeout": 5},
                          {"name": "wc", "provider": "webcom", "base_url": emu.base_url,
                           "login": "demo", "password": "demo", "timeout": 5}],
             "cache": {"dir": str(cache)},
             "poll": {"status_interval_s": STATUS_S, "history_interval_s": 120,
                      "balance_interval_s": 300}}
        )  # fmt: skip
        clock = emu.clock
        store = Store.open(cache, clock=clock)
        engine = Engine(config, store, clock=clock)
        start = clock.now()
        marks = [start + 60.0 * k for k in range(1, MINUTES + 1)]
        live: list[dict] = []
        settled: list[dict[tuple[str, str, str], str]] = []  # the gateway's finals at each mark
        try:
            await engine.run_once()
            pending = list(marks)
            while pending:
                wake = max(min(p.next_poll_at for p in engine.pollers.values()), clock.now() + 1)
                while pending and pending[0] < wake:  # every cycle due by the mark has run
                    clock.set(pending.pop(0))
                    live.append(live_summary(store, clock.now()))
                    settled.append(gateway_finals(emu.truth()))
                clock.set(wake)
                await engine.run_once()
        finally:
            await engine.aclose()
            store.close()

    # The campaign moved: the summaries are not all alike, and failures were told apart.
    assert live[0] != live[-1]
    assert live[-1]["failures"] and live[-1]["states"].get("delivered")
    assert len({json.dumps(s["states"], sort_keys=True) for s in live}) > MINUTES // 2

    config_file = write_config(tmp_path / "config.toml", cache, "http://127.0.0.1:9")
    args = ["replay", "--config", config_file, "--json"]
    for t in marks:
        args += ["--at", iso(t, UTC)]
    done = Cli().run(*args)
    assert done.returncode == 0, done.stderr
    replayed = json.loads(done.stdout)
    for t, want, got in zip(marks, live, replayed, strict=True):
        assert got == want, f"at {iso(t, UTC)}"
    # The table says the same for a person: the moment, the states, the failures by error.
    table = Cli().run("replay", "--config", config_file, "--at", iso(marks[-1], UTC))
    assert table.returncode == 0, table.stderr
    last = live[-1]
    assert table.stdout.startswith(f"at {iso(marks[-1], UTC)[:10]} ")
    assert f"{last['messages']} messages" in table.stdout
    assert f"delivered {last['states']['delivered']}" in table.stdout
    assert "failures by error:" in table.stdout and last["failures"][0]["error"] in table.stdout

    # The bound against the gateway: what it had settled by T, the replay has by T + interval.
    with Store.open(cache, readonly=True) as reader:
        replay = Replay.load(reader, marks[-1] + STATUS_S + 1)
    for t, finals in zip(marks, settled, strict=True):
        held = replay.messages_at(t + STATUS_S + 1)
        later = {(m.provider.value, m.message_id, digits(m.phone)): m for m in held}
        late = [
            k
            for k, raw in finals.items()
            if k in later and (not later[k].state.is_final or later[k].raw_status != raw)
        ]
        assert not late, f"at {iso(t, UTC)}: not settled a status interval later: {late[:5]}"


def test_replay_moments_in_the_cli_time_forms(tmp_path):
    """`--at` takes since:'s forms, a time of day and now; a bad one is a usage error (2)."""
    cache = tmp_path / "cache"
    Store.open(cache).close()
    config_file = write_config(tmp_path / "config.toml", cache, "http://127.0.0.1:9")
    cli = Cli()
    for form in ("now", "10m", "1h30m", "2025-11-21", "2025-11-21 12:05", "12:05",
                 "2025-11-21T12:05:00+03:00"):  # fmt: skip
        done = cli.run("replay", "--config", config_file, "--at", form, "--json")
        assert done.returncode == 0, (form, done.stderr)
        record = json.loads(done.stdout)
        assert record["messages"] == 0 and record["states"] == {}, form
    bad = cli.run("replay", "--config", config_file, "--at", "yesterday-ish")
    assert bad.returncode == 2
    assert "not a moment" in bad.stderr and "Traceback" not in bad.stderr
