"""Request accounting: every request that reaches a gateway path is counted once, by endpoint.

Counting happens in a middleware outside the fault injector, so a request answered by an injected
fault (timeout, reset, 500, HTML page) is counted exactly like one the gateway answered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from smstui.emulator.faults import is_gateway_request
from smstui.emulator.smsc import endpoint_of
from smstui.emulator.smsc_wire import smsc_params
from smstui.emulator.stats import Stats

WEBCOM_ENDPOINTS = {
    "/json": "webcom.send",
    "/json/state.php": "webcom.state",
    "/json/balance.php": "webcom.balance",
    "/xml": "webcom.send_xml",
    "/xml/state.php": "webcom.state_xml",
    "/xml/balance.php": "webcom.balance_xml",
    "/xml/def.php": "webcom.def_xml",
    "/xml/incoming.php": "webcom.incoming_xml",
    "/xml/list_scheduled.php": "webcom.list_scheduled_xml",
    "/xml/scheduled.php": "webcom.scheduled_xml",
    "/sendsms.php": "webcom.get",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def endpoint_name(request: web.Request) -> str:
    """The stats name of a gateway request, e.g. smsc.status_mass or webcom.state."""
    path = request.path.rstrip("/") or "/"
    if path.startswith("/sys/") or path.startswith("/rest/"):
        script = "rest" if path.startswith("/rest/") else path[5:].removesuffix(".php")
        params, _ = await smsc_params(request)
        return endpoint_of(script, params)
    return WEBCOM_ENDPOINTS.get(path, "webcom.other")


class Traffic:
    """The counting middleware; it feeds `Stats.request`."""

    def __init__(self, stats: Stats) -> None:
        self.stats = stats

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request (name, method, path, Content-Type), then let it through."""
        if is_gateway_request(request):
            ctype = request.headers.get("Content-Type", "")
            endpoint = await endpoint_name(request)
            self.stats.request(endpoint, request.method, request.path, ctype)
        return await handler(request)
