"""A JSON webhook on loopback (aiohttp, on the test's own loop) that keeps every body it gets:
what apprise's `json://` notifier posts to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def json_hook(path: str = "/hook") -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """(the json:// URL to notify, the bodies received so far) while inside."""
    got: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        got.append(await request.json())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"json://127.0.0.1:{port}{path}", got
    finally:
        await runner.cleanup()
