"""A deadline for request lines and headers, which aiohttp itself does not bound.

A client that drips its headers a byte at a time held a connection (and its buffers) for as long
as it liked. Each connection gets `timeout_s` from accept, and on a kept-alive connection from
the first byte of each next request, to deliver a complete request line and headers; the body
has its own deadline in the receiver.

Between requests a kept-alive connection is idle, not slow: it may wait up to IDLE_S (longer
than common clients keep an idle pooled connection, aiohttp's 15 s) and is then closed quietly.
Closing it after `timeout_s` and counting "sender too slow" rejected nothing real, and a push
sent on a connection as it was being closed failed (the demo lost ~7 of 470 that way).
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web
from yarl import URL

from smstui.webhook.errors import ReceiverError

IDLE_S = 30.0  # how long a kept-alive connection may wait, silent, for its next request


class HeaderDeadline:
    """Closes connections that have not delivered request headers within `timeout_s`."""

    def __init__(self, timeout_s: float, on_expire: Callable[[str], None]) -> None:
        self.timeout_s = timeout_s
        self._on_expire = on_expire
        self._timers: dict[Any, asyncio.TimerHandle] = {}  # protocol → its pending deadline
        self._idle: set[Any] = set()  # kept-alive protocols with no byte of a next request

    def watch(self, protocol: Any) -> asyncio.Protocol:
        """Start the clock for a new connection (called by the protocol factory); what the
        transport talks to is a thin proxy that reports each arriving chunk."""
        self._arm(protocol)
        return _Reporting(protocol, self)

    def started(self, protocol: Any) -> None:
        """A request's headers arrived: the clock stops until it is answered."""
        self._idle.discard(protocol)
        timer = self._timers.pop(protocol, None)
        if timer is not None:
            timer.cancel()

    def finished(self, protocol: Any, *, closing: bool = False) -> None:
        """A request was answered: a kept-alive connection may idle quietly up to IDLE_S, and
        its next request's headers are due `timeout_s` after that request's first byte.

        `closing`: the answer ends the connection, but aiohttp first reads the unwanted rest of
        the body for up to 10 s; the deadline cuts that short too, without counting it again.
        """
        if getattr(protocol, "transport", None) is None:
            return
        if closing:
            self._arm(protocol, quiet=True)
        else:
            self._arm(protocol, quiet=True, after_s=max(IDLE_S, self.timeout_s))
            self._idle.add(protocol)

    def arrived(self, protocol: Any) -> None:
        """Bytes came in: on an idle kept-alive connection the next request's clock starts."""
        if protocol in self._idle:
            self._idle.discard(protocol)
            self._arm(protocol)

    def lost(self, protocol: Any) -> None:
        """The connection is gone: nothing left to time."""
        self.started(protocol)

    def close(self) -> None:
        """Forget every pending deadline (the server is stopping)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._idle.clear()

    def _arm(self, protocol: Any, *, quiet: bool = False, after_s: float | None = None) -> None:
        self.started(protocol)
        loop = asyncio.get_running_loop()
        delay = self.timeout_s if after_s is None else after_s
        self._timers[protocol] = loop.call_later(delay, self._expire, protocol, quiet)

    def _expire(self, protocol: Any, quiet: bool) -> None:
        self._timers.pop(protocol, None)
        self._idle.discard(protocol)
        transport = getattr(protocol, "transport", None)
        if transport is None or transport.is_closing():
            return
        peer = transport.get_extra_info("peername")
        # Nothing is owed to a client that never finished asking; abort when our answer to an
        # earlier request is still unread, so a client that stops reading cannot pin us either.
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()
        if not quiet:
            self._on_expire(str(peer[0]) if peer else "?")


class _Reporting(asyncio.Protocol):
    """Passes every transport event to aiohttp's protocol, telling the deadline of arrivals
    (aiohttp's handler has __slots__: it cannot be patched to say so itself)."""

    __slots__ = ("_guard", "_inner")

    def __init__(self, inner: Any, guard: HeaderDeadline) -> None:
        self._inner, self._guard = inner, guard

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """aiohttp's handler takes the connection."""
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        """Report the arrival, then hand the bytes over."""
        self._guard.arrived(self._inner)
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        """aiohttp's answer to a half-close."""
        return self._inner.eof_received()  # type: ignore[no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection's deadline; aiohttp cleans up."""
        self._guard.lost(self._inner)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        """Flow control, aiohttp's."""
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        """Flow control, aiohttp's."""
        self._inner.resume_writing()


class GuardedSite(web.BaseSite):
    """aiohttp's TCP site, with every connection's protocol handed to a HeaderDeadline."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, guard: HeaderDeadline):
        super().__init__(runner)
        self._host, self._port, self._guard = host, port, guard

    @property
    def name(self) -> str:
        """The address asked for, for aiohttp's messages."""
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Bind and listen; ReceiverError (one line: where and why) when the OS refuses."""
        await super().start()
        server, guard = self._runner.server, self._guard
        assert server is not None
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: guard.watch(_tolerant(server())), self._host, self._port,
                backlog=self._backlog,
            )  # fmt: skip
        except OSError as err:
            raise ReceiverError(f"cannot listen on {self._where()}: {_reason(err)}") from None

    def _where(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self._port}"


def _tolerant(handler: Any) -> Any:
    """A connection whose request target aiohttp cannot build a URL from gets a plain 404.

    aiohttp's pure-Python parser (its fallback without C extensions) passes raw non-ASCII
    bytes through as surrogates; a target such as `//\x80/smsc` then fails inside aiohttp's
    own request factory (yarl's IDNA decoding of the "host"), before any handler runs, and the
    connection task dies with an ERROR log. The request is built again for "/", which no
    route serves (404).
    """
    make = handler._request_factory

    def build(message: Any, *args: Any) -> Any:
        try:
            return make(message, *args)
        except (UnicodeError, ValueError):
            if not hasattr(message, "_replace"):
                raise
            return make(message._replace(path="/", url=URL("/")), *args)

    handler._request_factory = build
    return handler


def _reason(err: OSError) -> str:
    """The OS's words for a bind failure, lower-case ("address already in use")."""
    if err.errno and not isinstance(err, socket.gaierror):
        text = os.strerror(err.errno)  # asyncio's own text repeats the address in a tuple
    else:
        text = err.strerror or str(err) or type(err).__name__
    return text[:1].lower() + text[1:]
