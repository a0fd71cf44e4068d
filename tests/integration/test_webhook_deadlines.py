"""Slow clients and taken ports: header and body deadlines, and one clear line when bind fails."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from smstui.model import Provider
from smstui.webhook.errors import ReceiverError
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.sink import MemorySink

ACCOUNTS = {"wc": Provider.WEBCOM}
SEND = b'[{"id_sms":1,"time":"","state":"send"}]'


@pytest.fixture
async def receiver():
    opts = ReceiverOptions(accounts=ACCOUNTS, header_timeout_s=0.5, body_timeout_s=1.5)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        yield rec


async def connect(receiver: WebhookReceiver):
    host, port = receiver.url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes (b"" for a silent close)."""
    got = b""
    try:
        while chunk := await reader.read(65536):
            got += chunk
    except ConnectionError:
        pass
    return got


async def drip(writer: asyncio.StreamWriter, reader: asyncio.StreamReader, data: bytes):
    """Send `data` a byte every 50 ms until the server answers or hangs up.

    Returns (bytes sent by then, what the server sent before closing).
    """
    reply = asyncio.create_task(answer(reader))  # read all along: nothing is lost to a reset
    sent = 0
    for sent, byte in enumerate(data):  # noqa: B007 - `sent` is the result
        if reply.done():
            break
        try:
            writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            break
        await asyncio.sleep(0.05)
    else:
        sent = len(data)
    return sent, await asyncio.wait_for(reply, timeout=10)


async def test_dripping_headers_are_cut_off(receiver) -> None:
    reader, writer = await connect(receiver)
    request = b"POST /webcom HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
    sent, reply = await drip(writer, reader, request)  # 200+ bytes at 20/s take over 10 s
    assert sent < len(request) and reply == b""
    assert receiver.counters["timeouts"] == 1 and receiver.sink.changes == []


async def test_a_silent_connection_is_closed(receiver) -> None:
    reader, writer = await connect(receiver)
    assert await asyncio.wait_for(answer(reader), timeout=10) == b""
    writer.close()
    assert receiver.counters["timeouts"] == 1


async def test_kept_alive_connection_must_send_the_next_headers_in_time(receiver) -> None:
    reader, writer = await connect(receiver)
    writer.write(b"POST /webcom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                 % (len(SEND), SEND))  # fmt: skip
    await writer.drain()
    first = await asyncio.wait_for(reader.readuntil(b'[{"id_sms": 1}]'), timeout=5)
    assert first.startswith(b"HTTP/1.1 200 ")
    second = b"POST /webcom HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
    sent, reply = await drip(writer, reader, second)
    assert sent < len(second) and reply == b""
    assert receiver.counters["timeouts"] == 1 and receiver.counters["accepted"] == 1


async def test_a_slow_body_inside_its_own_deadline_is_not_cut_by_the_header_one(receiver) -> None:
    reader, writer = await connect(receiver)
    writer.write(b"POST /webcom HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(SEND))
    await writer.drain()
    for start in range(0, len(SEND), 4):  # ~0.8 s of body: past the 0.5 s header deadline
        writer.write(SEND[start : start + 4])
        await asyncio.sleep(0.08)
    assert b" 200 " in await asyncio.wait_for(reader.readline(), timeout=5)
    writer.close()
    assert receiver.counters["timeouts"] == 0 and len(receiver.sink.changes) == 1


async def test_dripping_body_gets_408_within_the_body_deadline(receiver) -> None:
    reader, writer = await connect(receiver)
    writer.write(b"POST /webcom HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n")
    await writer.drain()
    sent, reply = await drip(writer, reader, b" " * 400)  # 400 bytes at 20/s take 20 s
    assert sent < 400 and reply.startswith(b"HTTP/1.1 408 ")
    assert receiver.counters["timeouts"] == 1


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


async def test_taken_port_is_one_clear_receiver_error(taken_port: int) -> None:
    receiver = WebhookReceiver(ReceiverOptions(port=taken_port), sink=MemorySink())
    with pytest.raises(ReceiverError) as caught:
        await receiver.start()
    assert str(caught.value) == f"cannot listen on 127.0.0.1:{taken_port}: address already in use"
    with pytest.raises(RuntimeError, match="not running"):
        _ = receiver.url
    await receiver.stop()  # harmless after a failed start


def test_poll_with_a_taken_port_exits_2_with_one_line(taken_port: int, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[cache]\ndir = "{tmp_path / "cache"}"\n'
        '[[accounts]]\nname = "main"\nprovider = "smsc"\nlogin = "l"\npassword_env = "PW"\n'
        'base_url = "http://127.0.0.1:9"\n'
    )
    env = {**os.environ, "PW": "x", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "smstui", "poll", "--config", str(config),
         "--listen", f"127.0.0.1:{taken_port}"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    errors = [line for line in done.stderr.splitlines() if not line.startswith("smstui poll:")]
    assert done.returncode == 2, done.stderr
    assert errors == [f"smstui: cannot listen on 127.0.0.1:{taken_port}: address already in use"]
