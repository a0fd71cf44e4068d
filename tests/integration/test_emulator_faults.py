"""Injected faults: each kind looks like what a client would meet; /_emulator/* is never hit."""

from __future__ import annotations

import time

import httpx
import pytest

from smstui.emulator.faults import parse_faults
from smstui.errors import ConfigError

Q = {"login": "demo", "psw": "demo", "fmt": 3}


async def one(emu) -> httpx.Response | Exception:
    """One balance request, or the transport error it caused."""
    try:
        async with httpx.AsyncClient(base_url=emu.base_url, timeout=1.0) as client:
            return await client.get("/sys/balance.php", params=Q)
    except httpx.TransportError as err:
        return err


def test_fault_spec_parsing():
    assert parse_faults("timeout=0.02, slow=0.05") == {"timeout": 0.02, "slow": 0.05}
    for bad in ("meteor=0.1", "slow", "slow=2", "html=0.6,reset=0.6"):
        with pytest.raises(ConfigError):
            parse_faults(bad)


async def test_http500_and_html_pages(make_emulator):
    async with make_emulator(seed=1, messages=5, faults="http500=1") as emu:
        r = await one(emu)
        assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
        async with httpx.AsyncClient(base_url=emu.base_url) as client:
            stats = await client.get("/_emulator/stats")  # never faulted
        assert stats.status_code == 200 and stats.json()["faults"] == {"http500": 1}
    async with make_emulator(seed=1, messages=5, faults="html=1") as emu:
        r = await one(emu)
        assert r.status_code == 200 and "<form" in r.text
        assert emu.stats()["faults"] == {"html": 1}


async def test_truncated_reset_and_timeout(make_emulator):
    async with make_emulator(seed=1, messages=5, faults="truncated=1") as emu:
        r = await one(emu)
        assert r.status_code == 200 and r.text.startswith('{"balance"') and not r.text.endswith("}")
    async with make_emulator(seed=1, messages=5, faults="reset=1") as emu:
        assert isinstance(await one(emu), httpx.TransportError)
    started = time.monotonic()
    async with make_emulator(seed=1, messages=5, faults="timeout=1") as emu:
        assert isinstance(await one(emu), httpx.TimeoutException)
    assert time.monotonic() - started < 5  # shutdown cut the 30 s hold short


async def test_slow_then_normal_and_fault_rng_keeps_campaign_deterministic(make_emulator):
    async with make_emulator(seed=8, messages=30, faults="slow=1") as emu:
        started = time.monotonic()
        r = await one(emu)
        assert time.monotonic() - started >= 0.5 and "balance" in r.json()
        faulty = emu.truth()
    async with make_emulator(seed=8, messages=30) as emu:
        assert emu.truth() == faulty
