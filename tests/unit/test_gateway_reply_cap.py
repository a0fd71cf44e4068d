"""The reply size cap: a reply past max_reply_bytes is a BadPayload, stopped while streaming."""

from __future__ import annotations

import gzip

import httpx
import pytest

from smstui.config import Account
from smstui.errors import BadPayload
from smstui.gateways.http import MAX_REPLY_BYTES, HttpCore
from smstui.gateways.smsc import SmscGateway
from smstui.model import Provider
from smstui.secrets import Secret

CHUNK = 64 * 1024


def account() -> Account:
    return Account(
        name="main",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        login="user",
        password=Secret("Pa55-cap-SECRET"),
        timeout_s=5.0,
    )


class Endless:
    """A body that never ends; counts the chunks the client actually pulled."""

    def __init__(self) -> None:
        self.pulled = 0

    async def __aiter__(self):
        while True:
            self.pulled += 1
            yield b"[" + b"0," * (CHUNK // 2 - 1) + b"0"


async def test_endless_reply_is_refused_after_the_cap_without_reading_the_rest():
    body = Endless()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    core = HttpCore(account(), transport=transport, max_reply_bytes=1024 * 1024)
    with pytest.raises(BadPayload, match=r"reply too large .*limit 1048576 bytes"):
        await core.request("smsc.history", "GET", "/sys/get.php", read=True)
    # 1 MB of 64 KB chunks: the 17th passes the cap and reading stops there.
    assert body.pulled == 17
    assert core.requests_made["smsc.history"] == 1  # not retried: the same reply would come back
    await core.aclose()


async def test_announced_length_over_the_cap_is_refused_before_any_byte():
    body = Endless()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Length": str(10**10)})

    core = HttpCore(account(), transport=httpx.MockTransport(handler), max_reply_bytes=4096)
    with pytest.raises(BadPayload, match="10000000000 bytes announced"):
        await core.request("smsc.balance", "GET", "/sys/balance.php", read=True)
    assert body.pulled == 0
    await core.aclose()


async def test_the_cap_counts_decompressed_bytes():
    bomb = gzip.compress(b" " * (2 * 1024 * 1024))  # ~2 KB on the wire, 2 MB unpacked

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})

    core = HttpCore(account(), transport=httpx.MockTransport(handler), max_reply_bytes=1024 * 1024)
    with pytest.raises(BadPayload, match="reply too large"):
        await core.request("smsc.balance", "GET", "/sys/balance.php", read=True)
    await core.aclose()


async def test_a_reply_at_the_cap_is_read_whole():
    payload = b'{"balance": "1.00"}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=payload))
    core = HttpCore(account(), transport=transport, max_reply_bytes=len(payload))
    reply = await core.request("smsc.balance", "GET", "/sys/balance.php", read=True)
    assert reply.body == payload
    await core.aclose()


async def test_the_client_default_is_16_mb_and_configurable():
    assert MAX_REPLY_BYTES == 16 * 1024 * 1024
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"x" * 2048))
    gateway = SmscGateway(account(), transport=transport, max_reply_bytes=1024)
    with pytest.raises(BadPayload, match="smsc: reply too large"):
        await gateway.balance()
    await gateway.aclose()
