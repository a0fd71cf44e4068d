"""The shared HTTP plumbing: deadlines, read-only retries with backoff, failover, mapping."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import BadPayload, GatewayTimeout, TransportError
from smstui.gateways.http import HttpCore
from smstui.model import Provider
from smstui.secrets import Secret

ACCOUNT = Account(
    name="a",
    provider=Provider.SMSC,
    base_url="https://one.test",
    login="u",
    password=Secret("pw-secret"),
    backup_urls=("https://two.test",),
    timeout_s=0.2,
)


def core(handler, **kw) -> tuple[HttpCore, FakeClock]:
    clock = FakeClock()
    transport = kw.pop("transport", None) or httpx.MockTransport(handler)
    return HttpCore(ACCOUNT, clock=clock, transport=transport, **kw), clock


class Hang(httpx.AsyncBaseTransport):
    """A server that accepts the request and never answers."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")


async def test_a_hanging_server_becomes_gateway_timeout_within_the_deadline():
    http, _ = core(None, transport=Hang(), retries=0)
    started = time.monotonic()
    with pytest.raises(GatewayTimeout, match=r"no answer within 0.2 s \(x\)"):
        await http.request("x", "GET", "/p", read=True)
    assert time.monotonic() - started < 1.0


async def test_reads_retry_with_growing_jittered_backoff_then_fail_over():
    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        raise httpx.ReadError("reset by peer", request=request)

    http, clock = core(handler)
    before = clock.now()
    with pytest.raises(TransportError, match="reset by peer"):
        await http.request("x", "GET", "/p", read=True)
    assert hosts == ["one.test", "two.test", "two.test"]
    waited = clock.now() - before
    assert 0.25 + 0.5 <= waited <= 0.75 + 1.5  # 0.5 s then 1 s, each ×[0.5, 1.5)
    assert http.requests_made["x"] == 3


async def test_writes_are_sent_once_even_on_reset():
    calls = []

    def handler(request):
        calls.append(1)
        raise httpx.RemoteProtocolError("server disconnected", request=request)

    http, _ = core(handler)
    with pytest.raises(TransportError):
        await http.request("send", "POST", "/p", read=False)
    assert len(calls) == 1


async def test_writes_move_to_the_backup_only_when_the_connection_was_refused():
    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        if request.url.host == "one.test":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, content=b"{}")

    http, _ = core(handler)
    reply = await http.request("send", "POST", "/p", read=False)
    assert reply.status == 200 and hosts == ["one.test", "two.test"]


async def test_5xx_is_retried_for_reads_and_returned_last_for_the_parser():
    statuses = iter([503, 503, 200])

    def handler(request):
        return httpx.Response(next(statuses), content=b"{}")

    http, _ = core(handler)
    assert (await http.request("x", "GET", "/p", read=True)).status == 200


async def test_undecodable_content_encoding_is_bad_payload():
    def handler(request):
        return httpx.Response(200, content=b"not gzip", headers={"content-encoding": "gzip"})

    http, _ = core(handler, retries=0)
    with pytest.raises(BadPayload, match="undecodable"):
        await http.request("x", "GET", "/p", read=True)


async def test_budget_hook_can_refuse_before_anything_is_sent():
    sent = []

    def refuse(endpoint):
        raise TransportError(f"budget exhausted for {endpoint}")

    http, _ = core(lambda r: sent.append(r), on_request=refuse)
    with pytest.raises(TransportError, match="budget exhausted for x"):
        await http.request("x", "GET", "/p", read=True, retries=0)
    assert sent == [] and http.requests_made["x"] == 0


async def test_closed_port_is_transport_error():
    account = Account(
        name="a",
        provider=Provider.SMSC,
        base_url="http://127.0.0.1:9",
        login="u",
        password=Secret("pw"),
        timeout_s=1.0,
    )
    http = HttpCore(account, clock=FakeClock(), retries=0)
    with pytest.raises(TransportError):
        await http.request("x", "GET", "/sys/balance.php", read=True)
    await http.aclose()
