"""One aiohttp server for both gateways plus /_emulator/*; `run_emulator` is the entry point."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

from aiohttp import web

from smstui.emulator import (
    smsc,
    smsc_query,
    smsc_send,
    smsc_status,
    webcom,
    webcom_scheduled,
    webcom_send,
    webcom_xml,
)
from smstui.emulator.core import Emulator
from smstui.emulator.faults import FAULTS, Faults, parse_faults
from smstui.emulator.options import EmulatorOptions
from smstui.emulator.pushes import Pusher
from smstui.emulator.traffic import Traffic
from smstui.errors import ConfigError

WebcomHandler = Callable[[Emulator, web.Request], Awaitable[web.Response]]


def _smsc_get(call: smsc.Call) -> web.Response:
    """get.php: history, incoming or statistics, chosen by which flag key is present."""
    if call.endpoint == "smsc.history":
        return smsc_query.handle_history(call)
    if call.endpoint == "smsc.answers":
        return smsc_query.handle_answers(call)
    if call.endpoint == "smsc.stat":
        return smsc_query.handle_stat(call)
    return call.error(1)


def _smsc_info(call: smsc.Call) -> web.Response:
    """info.php: only get_operator is emulated."""
    return smsc_query.handle_operator(call) if call.endpoint == "smsc.operator" else call.error(1)


SMSC_ROUTES: dict[str, smsc.Handler] = {
    "send": smsc_send.handle_send,
    "status": smsc_status.handle_status,
    "balance": smsc_query.handle_balance,
    "get": _smsc_get,  # dispatched on the flag present
    "info": _smsc_info,
}


def build_app(emu: Emulator) -> web.Application:
    """The aiohttp application serving both gateways on one port."""
    faults = Faults(emu.opts.faults, emu.opts.seed, emu.stats_counters, emu.opts.fault_timeout_s)
    traffic = Traffic(emu.stats_counters)  # outermost: counts faulted requests too
    app = web.Application(
        middlewares=[traffic.middleware, faults.middleware], client_max_size=8 * 1024 * 1024
    )
    app[FAULTS] = faults
    for script, handler in SMSC_ROUTES.items():
        view = partial(_smsc_view, emu, script, handler)
        app.router.add_route("*", f"/sys/{script}.php", view)
    rest = partial(_smsc_view, emu, "rest", smsc_send.handle_send)
    app.router.add_post("/rest/send/", rest)
    app.router.add_post("/rest/send", rest)
    webcom_routes: dict[str, WebcomHandler] = {
        "/json": webcom_send.handle_send,
        "/json/state.php": webcom.handle_state,
        "/json/balance.php": webcom.handle_balance,
        "/xml": webcom_xml.handle_send,
        "/xml/state.php": webcom_xml.handle_state,
        "/xml/balance.php": webcom_xml.handle_balance,
        "/xml/def.php": webcom_xml.handle_def,
        "/xml/incoming.php": webcom_xml.handle_incoming,
        "/xml/list_scheduled.php": webcom_scheduled.handle_list,
        "/xml/scheduled.php": webcom_scheduled.handle_delete,
    }
    for path, webcom_handler in webcom_routes.items():
        for variant in (path, path + "/"):  # both spellings occur in docs and public code
            app.router.add_post(variant, partial(webcom_handler, emu))
    for variant in ("/sendsms.php", "/sendsms.php/"):
        app.router.add_get(variant, partial(webcom.handle_get, emu))
    app.router.add_get("/_emulator/stats", partial(_stats_view, emu))
    app.router.add_get("/_emulator/truth", partial(_truth_view, emu))
    app.router.add_post("/_emulator/advance", partial(_advance_view, emu))
    app.router.add_post("/_emulator/faults", partial(_faults_view, faults))
    return app


async def _smsc_view(
    emu: Emulator, script: str, handler: smsc.Handler, request: web.Request
) -> web.Response:
    return await smsc.serve(emu, request, script, handler)


async def _stats_view(emu: Emulator, request: web.Request) -> web.Response:
    return web.json_response(emu.stats(), dumps=partial(json.dumps, ensure_ascii=False))


async def _truth_view(emu: Emulator, request: web.Request) -> web.Response:
    return web.json_response(emu.truth(), dumps=partial(json.dumps, ensure_ascii=False))


async def _faults_view(faults: Faults, request: web.Request) -> web.Response:
    """Change the injected faults while running (`?spec=truncated=1.0`; empty: none)."""
    try:
        faults.probabilities = parse_faults(request.query.get("spec", ""))
    except ConfigError as err:
        return web.json_response({"error": str(err)}, status=400)
    return web.json_response({"faults": faults.probabilities})


async def _advance_view(emu: Emulator, request: web.Request) -> web.Response:
    """Move a FakeClock forward (tests driving a CLI-started emulator)."""
    advance = getattr(emu.clock, "advance", None)
    try:
        seconds = float(request.query.get("seconds", ""))
    except ValueError:
        return web.json_response({"error": "seconds must be a number"}, status=400)
    if advance is None:
        return web.json_response({"error": "the emulator clock is not a FakeClock"}, status=409)
    advance(seconds)
    return web.json_response({"now": emu.now()})


@asynccontextmanager
async def run_emulator(opts: EmulatorOptions) -> AsyncIterator[Emulator]:
    """Start the emulator on opts.host:opts.port; yields it running, stops it cleanly."""
    emu = Emulator(opts)
    app = build_app(emu)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, opts.host, opts.port)
    await site.start()
    addresses = runner.addresses  # (host, port, …) of each listening socket
    port = addresses[0][1] if addresses else opts.port
    emu.base_url = f"http://{opts.host}:{port}"
    tasks: list[asyncio.Task[None]] = []
    for url, provider in ((opts.smsc_webhook, "smsc"), (opts.webcom_webhook, "webcom")):
        if url:
            tasks.append(asyncio.create_task(Pusher(emu, url, provider).run()))
    try:
        yield emu
    finally:
        app[FAULTS].stopping.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runner.cleanup()
