"""HLR queries (send.php?hlr=1 or mes=__HLR__) resolve as smsc.md §5.1 says, never as SMS do."""

from __future__ import annotations

from decimal import Decimal

import httpx

AUTH = {"login": "demo", "psw": "demo", "charset": "utf-8"}
HLR_KEYS = {"imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet"}
PHONES = [f"7916{i:07d}" for i in range(60)] + [f"7925{i:07d}" for i in range(60)]


async def send(client: httpx.AsyncClient, **params: object) -> dict:
    r = await client.get("/sys/send.php", params={**AUTH, "fmt": 3, **params})
    return r.json()


async def statuses(client: httpx.AsyncClient, msg_id: object, phones: list[str]) -> list[dict]:
    """One mass status request for these phones of one send id."""
    ids = ",".join(str(msg_id) for _ in phones)
    r = await client.get(
        "/sys/status.php", params={**AUTH, "fmt": 3, "id": ids, "phone": ",".join(phones)}
    )
    return r.json()


async def test_hlr_resolves_reachable_or_unreachable_with_fields(make_emulator):
    async with (
        make_emulator(seed=3, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        before = emu.campaign.balance["demo"]
        # an unregistered sender must not matter: HLR sends nothing to the handset
        sent = await send(client, phones=",".join(PHONES), hlr=1, sender="NoSuchName", id=500)
        assert sent == {"id": 500, "cnt": len(PHONES)}
        pending = await statuses(client, 500, PHONES)
        assert {row["status"] for row in pending} <= {-1, 0}
        emu.clock.advance(15)  # every HLR answer is in within seconds
        emu.clock.advance(61)  # and the mass-status window has slid
        rows = await statuses(client, 500, PHONES)
    assert emu.campaign.balance["demo"] == before - Decimal("0.35") * len(PHONES)
    reachable = [r for r in rows if r["status"] == 1]
    unreachable = [r for r in rows if r["status"] == 20]
    assert len(reachable) + len(unreachable) == len(PHONES)  # nothing else: no 23/254, no 25
    assert len(reachable) > len(PHONES) * 0.7 and unreachable
    for row in rows:
        assert row["flag"] == 4 and set(row) >= HLR_KEYS
        assert row["mcc"] == "250" and row["net"] in ("MTS", "MegaFon")
    assert all(r["err"] == 0 and r["imsi"].startswith("250") and r["msc"] for r in reachable)
    assert {r["err"] for r in unreachable} <= {1, 6, 11, 13}
    assert all(r["msc"] == "" for r in unreachable)


async def test_hlr_by_mes_marker_and_single_status_shape(make_emulator):
    async with (
        make_emulator(seed=4, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        sent = await send(client, phones="79161234567", mes="__HLR__", sender="Whatever")
        emu.clock.advance(20)
        r = await client.get(
            "/sys/status.php",
            params={**AUTH, "fmt": 3, "id": sent["id"], "phone": "79161234567"},
        )
    body = r.json()
    assert body["status"] in (1, 20) and body["flag"] == 4
    assert set(body) >= HLR_KEYS and isinstance(body["last_timestamp"], int)
    truth = next(t for t in emu.truth() if t["id"] == sent["id"])
    assert truth["sender"] == "HLR" and truth["final"]


async def test_hlr_to_a_landline_is_refused_at_send(make_emulator):
    async with (
        make_emulator(seed=4, messages=5, rate=0) as emu,
        httpx.AsyncClient(base_url=emu.base_url) as client,
    ):
        body = await send(client, phones="74951234567", hlr=1)
    assert body["error_code"] == 8
