"""`smstui poll --metrics HOST:PORT`: /metrics served by aiohttp on the poller's own loop.

Why aiohttp on the loop rather than prometheus_client's thread server: the engine and the store
belong to the event loop (nothing in them is safe to read from another thread while the
poller writes), and a thread server would run the collector in its own thread. Here each scrape
takes its snapshot on the loop (cheap: counts, health, immutable views), then the costly part
(the spend rollup, the recent-window walks, the text) runs in a worker thread, so a scrape never
holds the loop for long and a slow scraper's socket never holds it at all.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from smstui.errors import UsageError
from smstui.metrics import Events, render, take
from smstui.poller import Engine

log = logging.getLogger("smstui.metrics")
LOOPBACK = "127.0.0.1"


def parse_address(value: str) -> tuple[str, int]:
    """`HOST:PORT`, `[::1]:PORT`, `:PORT` or `PORT` (the last two bind loopback only)."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]") if sep else ""
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--metrics must be HOST:PORT or PORT, got {value!r}")
    return host or LOOPBACK, int(port)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MetricsServer:
    """Serves /metrics for one engine until stopped."""

    def __init__(self, engine: Engine, host: str, port: int) -> None:
        self.engine = engine
        self.host, self.port = host, port
        self.events = Events()
        self.url = ""
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/", self._index)
        self._app = app

    async def start(self) -> None:
        """Bind and serve; UsageError (one line) when the address cannot be bound."""
        self.events.watch(self.engine)
        runner = web.AppRunner(self._app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as err:
            await runner.cleanup()
            self.events.unwatch()
            # asyncio's text repeats the address; the errno's own words say it once.
            reason = os.strerror(err.errno).lower() if err.errno else str(err)
            raise UsageError(f"cannot serve metrics on {self.host}:{self.port}: {reason}") from err
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        if not is_loopback(self.host):
            log.warning("metrics served on %s: anyone who reaches it can read the figures",
                        self.host)  # fmt: skip

    async def stop(self) -> None:
        """Stop serving; a scrape in flight is finished first."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.events.unwatch()

    async def _metrics(self, request: web.Request) -> web.Response:
        snapshot = take(self.engine)  # on the loop: the engine and store are the loop's
        body = await asyncio.to_thread(render, snapshot, self.events)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text="smstui metrics: /metrics\n")


@asynccontextmanager
async def serve_metrics(engine: Engine, address: str | None) -> AsyncIterator[MetricsServer | None]:
    """A running metrics server for the engine, or None when no address was given."""
    if not address:
        yield None
        return
    server = MetricsServer(engine, *parse_address(address))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
