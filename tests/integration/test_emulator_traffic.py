"""stats()["requests"] counts every gateway request once, whatever answered it (faults too)."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from smstui.emulator.faults import KINDS

SMSC_MASS = {"login": "demo", "psw": "demo", "fmt": 3, "id": "1,2", "phone": "79161234567,7916"}
WEBCOM_STATE = b'{"login": "demo", "password": "demo", "id_sms": [1, 2], "detail": 0}'


async def traffic(emu) -> None:
    """One SMSC mass status (POST form), one Webcom JSON state, one GET, two non-gateway calls."""
    async with httpx.AsyncClient(base_url=emu.base_url, timeout=2.0) as client:
        for method, path, kwargs in (
            ("POST", "/sys/status.php", {"data": SMSC_MASS}),
            ("POST", "/json/state.php", {"content": WEBCOM_STATE}),
            ("GET", "/sendsms.php", {"params": {"user": "demo", "pwd": "demo", "smsid": "1"}}),
            ("GET", "/sys/nothing.php", {}),  # no such route: 404, not gateway traffic
            ("GET", "/_emulator/stats", {}),  # inspection, never counted
        ):
            # reset and timeout faults hang up; the request still arrived
            with contextlib.suppress(httpx.TransportError):
                await client.request(method, path, **kwargs)


@pytest.mark.parametrize("kind", KINDS)
async def test_faulted_requests_are_counted_like_answered_ones(make_emulator, kind):
    async with make_emulator(
        seed=2, messages=5, rate=0, faults=f"{kind}=1", fault_timeout_s=0.05
    ) as emu:
        await traffic(emu)
        stats = emu.stats()
    assert stats["requests"] == {"smsc.status_mass": 1, "webcom.state": 1, "webcom.get": 1}
    assert stats["faults"] == {kind: 3}


async def test_requests_without_faults_and_api_errors_are_counted(make_emulator):
    async with make_emulator(seed=2, messages=5, rate=0) as emu:
        await traffic(emu)
        async with httpx.AsyncClient(base_url=emu.base_url) as client:
            await client.get("/sys/balance.php", params={"login": "demo", "psw": "bad"})  # error 2
            await client.post("/xml/", content=b"not xml")  # E1, trailing-slash spelling
            await client.post("/rest/send/", json={"login": "demo", "psw": "demo"})
        stats = emu.stats()
    assert stats["requests"] == {
        "smsc.status_mass": 1,
        "webcom.state": 1,
        "webcom.get": 1,
        "smsc.balance": 1,
        "webcom.send_xml": 1,
        "smsc.send": 1,
    }
    assert stats["faults"] == {} and stats["errors"]["smsc.2"] == 1
    assert stats["content_types"]["smsc.status_mass"] == {"application/x-www-form-urlencoded": 1}
