"""Injected emulator faults: each one becomes the right typed error; nothing else escapes."""

from __future__ import annotations

import time

import pytest

from smstui.config import Account
from smstui.errors import BadPayload, GatewayError, GatewayTimeout, TransportError
from smstui.gateways.base import make_gateway
from smstui.model import Provider
from smstui.secrets import Secret

TIMEOUT_S = 0.3
OPERATIONS = {
    "balance": lambda g: g.balance(),
    "history": lambda g: g.history(limit=5),
    "statuses": lambda g: g.statuses([("10000", "79522902582"), ("10001", "79169951971")]),
    "status": lambda g: g.status("10000", "79522902582"),
    "send": lambda g: g.send("79161234567", "fault test"),
    "lookup": lambda g: g.lookup("79161234567"),
    "incoming": lambda g: g.incoming(),
}
# What each fault must become. "truncated" may cut the body (bad JSON) or the connection.
EXPECTED: dict[str, tuple[type[GatewayError], ...]] = {
    "timeout": (GatewayTimeout,),
    "reset": (TransportError,),
    "http500": (BadPayload,),
    "html": (BadPayload,),
    "truncated": (BadPayload, TransportError),
}


def account(emu) -> Account:
    return Account(
        name="f",
        provider=Provider.SMSC,
        base_url=emu.base_url,
        login="demo",
        password=Secret("demo"),
        timeout_s=TIMEOUT_S,
    )


@pytest.mark.parametrize("kind", sorted(EXPECTED))
async def test_each_fault_becomes_its_typed_error(make_emulator, kind):
    async with make_emulator(seed=2, messages=20, faults=f"{kind}=1.0", fault_timeout_s=5.0) as emu:
        gateway = make_gateway(account(emu), clock=emu.clock, retries=0)
        try:
            for name, op in OPERATIONS.items():
                started = time.monotonic()
                with pytest.raises(EXPECTED[kind]) as info:
                    await op(gateway)
                if kind == "timeout":
                    assert not isinstance(info.value, BadPayload)
                    assert time.monotonic() - started < TIMEOUT_S * 2 + 0.5, name
        finally:
            await gateway.aclose()
        assert emu.stats()["faults"][kind] == len(OPERATIONS)


async def test_mixed_faults_with_retries_only_typed_errors(make_emulator):
    spec = "timeout=0.1,http500=0.15,html=0.15,truncated=0.15,reset=0.15"
    async with make_emulator(seed=5, messages=30, faults=spec, fault_timeout_s=5.0) as emu:
        gateway = make_gateway(account(emu), clock=emu.clock)
        outcomes: dict[str, int] = {}
        try:
            for _ in range(4):
                for op in OPERATIONS.values():
                    try:
                        await op(gateway)
                        outcomes["ok"] = outcomes.get("ok", 0) + 1
                    except GatewayError as err:  # ApiError 9 is possible: limits are real
                        outcomes[type(err).__name__] = outcomes.get(type(err).__name__, 0) + 1
        finally:
            await gateway.aclose()
        stats = emu.stats()
    assert outcomes.get("ok", 0) > 0 and len(outcomes) > 1
    made = gateway.requests_made
    # Sends are never retried: one HTTP request per send attempt, faults or not.
    assert made["smsc.send"] == 4
    # Reads were retried, so more reads went out than the 6 × 4 asked for.
    assert sum(made.values()) - 4 > 24
    assert sum(stats["faults"].values()) > 0
