"""The inspection side: stats keys, ground truth, /_emulator/advance, same seed → same history."""

from __future__ import annotations

import httpx

HIST = {
    "login": "demo",
    "psw": "demo",
    "fmt": 3,
    "charset": "utf-8",
    "get_messages": 1,
    "cnt": 1000,
}


async def test_stats_keys_and_truth_shape(emulator):
    stats = emulator.stats()
    assert {
        "requests",
        "limit_errors",
        "errors",
        "messages_by_state",
        "pushes",
        "faults",
        "now",
    } <= set(stats)
    assert stats["pushes"] == {"sent": 0, "acked": 0, "failed": 0}
    assert set(stats["messages_by_state"]) == {"smsc", "webcom"}
    row = emulator.truth()[0]
    assert {"provider", "login", "id", "phone", "status", "err", "final", "changed_at"} <= set(row)


async def test_advance_endpoint_moves_the_fake_clock(emulator):
    before = emulator.clock.now()
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.post("/_emulator/advance", params={"seconds": "90"})
        bad = await client.post("/_emulator/advance", params={"seconds": "soon"})
        stats = (await client.get("/_emulator/stats")).json()
    assert r.json()["now"] == before + 90 and bad.status_code == 400
    assert stats["now"] == before + 90
    assert stats["requests"] == {}  # inspection requests are not gateway traffic


async def test_same_seed_same_history_over_http(make_emulator):
    pages = []
    for _ in range(2):
        async with make_emulator(seed=11, messages=120) as emu:
            emu.clock.advance(300)  # live messages join deterministically too
            async with httpx.AsyncClient(base_url=emu.base_url) as client:
                pages.append((await client.get("/sys/get.php", params=HIST)).json())
    assert pages[0] == pages[1] and len(pages[0]) >= 120
    async with make_emulator(seed=12, messages=120) as emu:
        client = httpx.AsyncClient(base_url=emu.base_url)
        other = (await client.get("/sys/get.php", params=HIST)).json()
        await client.aclose()
    assert other != pages[0]
