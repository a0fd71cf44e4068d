"""Injected failures on gateway paths: timeouts, 500s, HTML pages, truncation, resets, slowness."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

from aiohttp import web

from smstui.emulator.stats import Stats
from smstui.errors import ConfigError

KINDS = ("timeout", "http500", "html", "truncated", "reset", "slow")
ERROR_PAGE = (
    "<html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>"
)
PROXY_PAGE = (
    "<!DOCTYPE html><html><head><title>Login required</title></head><body>"
    '<form action="/login" method="post"><p>Please log in to continue:</p>'
    '<input name="user"><input name="password" type="password"></form></body></html>'
)
FAULT: web.RequestKey[str | None] = web.RequestKey("fault", str)  # the kind drawn for a request
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_faults(spec: str) -> dict[str, float]:
    """'timeout=0.02,slow=0.05' → {kind: probability}; ConfigError on anything else."""
    out: dict[str, float] = {}
    for item in filter(None, (x.strip() for x in spec.split(","))):
        kind, sep, value = item.partition("=")
        try:
            prob = float(value)
        except ValueError:
            prob = -1.0
        if not sep or kind not in KINDS or not 0.0 <= prob <= 1.0:
            raise ConfigError(f"bad fault {item!r}: use KIND=P with KIND in {', '.join(KINDS)}")
        out[kind] = prob
    if sum(out.values()) > 1.0:
        raise ConfigError("fault probabilities add up to more than 1")
    return out


def is_gateway_request(request: web.Request) -> bool:
    """A routed path outside /_emulator/*: unknown paths (404) and inspection are not traffic."""
    if request.path.startswith("/_emulator"):
        return False
    return request.match_info.http_exception is None


class Faults:
    """Draws one fault (or none) per gateway request from its own seeded RNG."""

    def __init__(self, spec: str, seed: int, stats: Stats, hold_s: float) -> None:
        self.probabilities = parse_faults(spec)
        self.rng = random.Random(f"faults:{seed}")  # apart from the campaign RNG
        self.stats, self.hold_s = stats, hold_s
        self.stopping = asyncio.Event()

    def draw(self) -> str | None:
        """The fault for this request, or None."""
        if not self.probabilities:
            return None
        roll, acc = self.rng.random(), 0.0
        for kind in KINDS:
            acc += self.probabilities.get(kind, 0.0)
            if roll < acc:
                self.stats.faults[kind] += 1
                return kind
        return None

    async def slow(self, request: web.Request) -> None:
        """Apply a drawn 'slow' fault (inside the handler, so it holds a concurrency slot)."""
        if request.get(FAULT) == "slow":
            await self._hold(0.5 + 1.5 * self.rng.random())

    async def _hold(self, seconds: float) -> None:
        """Wait, but let shutdown cut the wait short."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Apply the drawn fault around the real handler."""
        kind = self.draw() if is_gateway_request(request) else None
        request[FAULT] = kind
        if kind == "timeout":
            await self._hold(self.hold_s)
            kind = "reset"  # the client gave up long ago: just hang up
        if kind == "reset":
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if kind == "http500":
            return web.Response(status=500, text=ERROR_PAGE, content_type="text/html")
        if kind == "html":
            return web.Response(status=200, text=PROXY_PAGE, content_type="text/html")
        response = await handler(request)
        if kind == "truncated" and isinstance(response, web.Response) and response.body:
            body = bytes(response.body)  # type: ignore[arg-type]
            response.body = body[: len(body) // 2]
        return response


FAULTS: web.AppKey[Faults] = web.AppKey("faults", Faults)
