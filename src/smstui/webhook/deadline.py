"""A deadline for request lines and headers, which aiohttp itself does not bound.

A client that drips its headers a byte at a time held a connection (and its buffers) for as long
as it liked. Each connection gets `timeout_s` from accept — and from the end of each answered
request on a kept-alive connection — to deliver a complete request line and headers; the body
has its own deadline in the receiver.
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


class HeaderDeadline:
    """Closes connections that have not delivered request headers within `timeout_s`."""

    def __init__(self, timeout_s: float, on_expire: Callable[[str], None]) -> None:
        self.timeout_s = timeout_s
        self._on_expire = on_expire
        self._timers: dict[Any, asyncio.TimerHandle] = {}  # protocol → its pending deadline

    def watch(self, protocol: Any) -> Any:
        """Start the clock for a new connection's protocol (called by the protocol factory)."""
        self._arm(protocol)
        return protocol

    def started(self, protocol: Any) -> None:
        """A request's headers arrived: the clock stops until it is answered."""
        timer = self._timers.pop(protocol, None)
        if timer is not None:
            timer.cancel()

    def finished(self, protocol: Any, *, closing: bool = False) -> None:
        """A request was answered: a kept-alive connection must start the next one in time.

        `closing`: the answer ends the connection, but aiohttp first reads the unwanted rest of
        the body for up to 10 s; the deadline cuts that short too, without counting it again.
        """
        if getattr(protocol, "transport", None) is not None:
            self._arm(protocol, quiet=closing)

    def close(self) -> None:
        """Forget every pending deadline (the server is stopping)."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _arm(self, protocol: Any, *, quiet: bool = False) -> None:
        self.started(protocol)
        loop = asyncio.get_running_loop()
        self._timers[protocol] = loop.call_later(self.timeout_s, self._expire, protocol, quiet)

    def _expire(self, protocol: Any, quiet: bool) -> None:
        self._timers.pop(protocol, None)
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
