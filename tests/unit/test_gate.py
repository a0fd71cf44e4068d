"""The gate: what reached the gateway is spent, a refused connection is not (real sockets)."""

from __future__ import annotations

import socket

import pytest

from smstui.budget import Budget, default_limits
from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import GatewayTimeout, NotSent, TransportError
from smstui.gateways.base import make_gateway
from smstui.model import Provider
from smstui.poller.gate import NOT_NOW, Gate
from smstui.secrets import Secret

NOW = 1_763_700_000.0


def _account(url: str) -> Account:
    return Account(name="main", provider=Provider.SMSC, base_url=url, login="demo",
                   password=Secret("demo"), timeout_s=0.3)  # fmt: skip


def _gate(url: str, tmp_path) -> Gate:
    clock = FakeClock(NOW)
    budget = Budget(clock, default_limits(Provider.SMSC), path=tmp_path / "b.json", name="main")
    return Gate(make_gateway(_account(url), clock=clock, retries=0), budget, clock, quiet=True)


async def test_a_refused_connection_costs_nothing_so_a_retry_is_not_refused(tmp_path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gate = _gate(url, tmp_path)
    try:
        for _ in range(3):  # the balance margin is 1 per 10 s: a spent try would refuse the next
            with pytest.raises(NotSent):
                await gate.ask("balance", None, gate.gateway.balance)
        assert gate.budget.remaining("balance") == 1 and gate.requests == 0
        assert await gate.try_ask("balance", None, gate.gateway.balance) is NOT_NOW
    finally:
        await gate.gateway.aclose()


async def test_a_timeout_after_sending_is_spent(tmp_path) -> None:
    with socket.socket() as server:  # accepts, reads, never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        gate = _gate(f"http://127.0.0.1:{server.getsockname()[1]}", tmp_path)
        try:
            with pytest.raises(GatewayTimeout) as caught:
                await gate.ask("balance", None, gate.gateway.balance)
            assert isinstance(caught.value, TransportError)
            assert not isinstance(caught.value, NotSent)
            assert gate.budget.remaining("balance") == 0 and gate.requests == 1
            assert "balance" in str(gate.budget.refusal("balance"))
        finally:
            await gate.gateway.aclose()
