"""A kept-alive connection idle between pushes is not a slow sender: it waits quietly, and the
header deadline starts with the next request's first byte."""

from __future__ import annotations

import asyncio

import pytest

from smstui.model import Provider
from smstui.webhook import deadline
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.sink import MemorySink

SEND = b'[{"id_sms":1,"time":"","state":"send"}]'
PUSH = b"POST /webcom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(SEND), SEND)


@pytest.fixture
async def receiver(monkeypatch):
    monkeypatch.setattr(deadline, "IDLE_S", 1.5)
    opts = ReceiverOptions(accounts={"wc": Provider.WEBCOM}, header_timeout_s=0.3)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        yield rec


async def _open(receiver: WebhookReceiver):
    host, port = receiver.url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def _push(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    writer.write(PUSH)
    await writer.drain()
    return await asyncio.wait_for(reader.readuntil(b'[{"id_sms": 1}]'), timeout=5)


async def test_idle_past_the_header_deadline_then_another_push_is_accepted(receiver):
    reader, writer = await _open(receiver)
    assert (await _push(reader, writer)).startswith(b"HTTP/1.1 200 ")
    await asyncio.sleep(0.8)  # idle well past the 0.3 s header deadline, inside IDLE_S
    assert (await _push(reader, writer)).startswith(b"HTTP/1.1 200 ")
    writer.close()
    assert receiver.counters["accepted"] == 2 and receiver.counters["timeouts"] == 0


async def test_an_idle_connection_is_closed_quietly_after_idle_s(receiver):
    reader, writer = await _open(receiver)
    await _push(reader, writer)
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed, nothing said
    writer.close()
    assert receiver.counters["timeouts"] == 0 and receiver.counters["accepted"] == 1


async def test_after_idling_a_slow_next_request_is_still_cut_and_counted(receiver):
    reader, writer = await _open(receiver)
    await _push(reader, writer)
    await asyncio.sleep(0.5)
    writer.write(b"POST /webcom HTTP/1.1\r\nHo")  # the first bytes start its 0.3 s
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), timeout=1.2) == b""  # well before IDLE_S
    writer.close()
    assert receiver.counters["timeouts"] == 1
