"""`smstui serve`: the dashboard in a web browser (textual-serve), one follower per browser tab."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import shlex
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.server import Server, to_int

from smstui.commands._common import add_config_args, load
from smstui.commands._tui import add_low_bandwidth_arg
from smstui.config import default_config_path
from smstui.errors import UsageError
from smstui.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from smstui.runtime import cache_path, only_account, writer_pid

DEFAULT_PORT = 8000
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `serve` subcommand."""
    parser = sub.add_parser(
        "serve", help="serve the dashboard to web browsers (it follows the cache, never polls)"
    )
    add_config_args(parser)
    parser.add_argument("--host", default="127.0.0.1",
                        help="bind address (default 127.0.0.1: this machine only)")  # fmt: skip
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 = pick a free one)")  # fmt: skip
    parser.add_argument("--public", action="store_true",
                        help="allow a non-loopback --host (no password guards it)")  # fmt: skip
    parser.add_argument("--url", metavar="URL",
                        help="the address browsers use, behind a reverse proxy "
                             "(e.g. https://ops.example.com)")  # fmt: skip
    add_low_bandwidth_arg(parser)
    parser.set_defaults(func=run)


def port_number(text: str) -> int:
    """A TCP port, 0-65535 (0: the system picks a free one)."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0-65535): {text!r}")
    return port


def is_loopback(host: str) -> bool:
    """True for a name or address only this machine reaches (a hostname could be anything)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_address(host: str) -> bool:
    """True for an IP address literal (DNS rebinding always arrives under a name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def dashboard_command(args: argparse.Namespace) -> str:
    """The shell command each browser session runs: a dashboard following this cache."""
    config = (args.config or default_config_path()).expanduser().resolve()
    words = [sys.executable, "-m", "smstui", "dashboard", "--follow", "--config", str(config)]
    if args.account:
        words += ["--account", args.account]
    if args.low_bandwidth:
        words.append("--low-bandwidth")
    return shlex.join(words)


class DashboardServer(Server):
    """textual-serve's server with the page addressing the host the browser asked for (a
    wildcard bind has no one name) and a guard against other sites driving the dashboard."""

    def __init__(self, command: str, *, url: str | None, public: bool) -> None:
        super().__init__(command, title="smstui")
        self.url = url.rstrip("/") if url else None
        # The names a browser may use for this server: an address, loopback, --url's and, on a
        # public bind, this machine's own. Any other name is a page whose DNS was pointed here.
        names = set(LOOPBACK_NAMES)
        if public:  # getfqdn asks DNS: only where the names can matter
            names |= {socket.gethostname(), socket.getfqdn()}
        if self.url:
            names.add(urlsplit(self.url).hostname or "")
        self.names = {name.lower() for name in names if name}
        self.sessions: set[asyncio.Task[object]] = set()

    async def on_startup(self, app: web.Application) -> None:
        """No banner: `run` prints smstui's own lines."""

    async def on_shutdown(self, app: web.Application) -> None:
        """End every open session now: its dashboard is asked to quit and awaited (an open
        WebSocket would otherwise hold the shutdown for aiohttp's whole grace period)."""
        for task in self.sessions:
            task.cancel()
        await asyncio.gather(*self.sessions, return_exceptions=True)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.guard)
        return app

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse a name this server does not answer to (DNS rebinding: a site's name pointed
        at this machine) and a page of another origin opening a session (a WebSocket has no
        CORS): either would let a site in the operator's browser press keys; `r` spends money."""
        host = request.host.lower()
        named = urlsplit(f"//{host}").hostname or ""
        if not (is_address(named) or named in self.names):
            raise web.HTTPForbidden(
                text=f"smstui serve: not served under the name {named!r} "
                "(smstui serve --url names the address browsers use)\n"
            )
        proxied = urlsplit(self.url).netloc.lower() if self.url else None
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() not in {host, proxied}:
            raise web.HTTPForbidden(text=f"smstui serve: not served to pages of {origin!r}\n")
        if request.path != "/ws":
            return await handler(request)
        session = asyncio.current_task()
        assert session is not None  # aiohttp runs every handler in a task
        self.sessions.add(session)
        try:
            return await handler(request)
        finally:
            self.sessions.discard(session)

    async def handle_index(self, request: web.Request) -> web.Response:
        """textual-serve's page, its URLs on the address this browser used (or --url)."""
        base = self.url or f"{request.scheme}://{request.host}"
        scheme, _, rest = base.partition(":")
        websocket = request.app.router["websocket"].url_for()
        context: dict[str, Any] = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{'wss' if scheme == 'https' else 'ws'}:{rest}{websocket}",
            "config": {"static": {"url": base + "/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)


def page_url(host: str, port: int) -> str:
    """http://HOST:PORT/ with an IPv6 address in brackets."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def run(args: argparse.Namespace) -> int:
    """Check the config and the bind, then serve until SIGINT (130) or SIGTERM (0)."""
    config = only_account(load(args), args.account)
    if not config.accounts:
        raise UsageError("no [[accounts]] configured: the dashboard has nothing to show")
    public = not is_loopback(args.host)
    if public and not args.public:
        raise UsageError(
            f"--host {args.host} is not a loopback address: add --public to serve the dashboard "
            "beyond this machine (no password protects it)"
        )
    server = DashboardServer(dashboard_command(args), url=args.url, public=public)
    return asyncio.run(_serve(server, args, writer_pid(cache_path(config)), public))


async def _serve(server: DashboardServer, args: argparse.Namespace, pid: str, public: bool) -> int:
    app = await server._make_app()
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        try:
            await site.start()
        except OSError as err:  # the port is taken, the address is not this machine's
            print(f"smstui: cannot serve on {args.host}:{args.port}: {err.strerror or err}",
                  file=sys.stderr)  # fmt: skip
            return EXIT_USAGE
        port = runner.addresses[0][1]
        _announce(args, port, pid, public)
        stopped_by: list[signal.Signals] = []
        stop = asyncio.Event()

        def on_signal(sig: signal.Signals) -> None:
            stopped_by.append(sig)
            stop.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        await stop.wait()
    finally:
        await runner.cleanup()  # each open session's dashboard is asked to quit and awaited
    return EXIT_INTERRUPTED if stopped_by[:1] == [signal.SIGINT] else EXIT_OK


def _announce(args: argparse.Namespace, port: int, pid: str, public: bool) -> None:
    """Where it serves and to whom (stdout); a public bind's warning (stderr)."""
    url = page_url(args.host, port)
    if public:
        print(f"smstui serve: the dashboard on {url} (public: reachable beyond this machine)",
              flush=True)  # fmt: skip
        print(
            f"smstui: warning: {url} serves the dashboard without a password: "
            "whoever reaches it can resend and spend the account's money. Prefer an SSH tunnel "
            f"(ssh -L {port}:127.0.0.1:{port} HOST) or a reverse proxy with "
            "authentication (--url names its address).",
            file=sys.stderr,
            flush=True,
        )
    else:
        print(f"smstui serve: the dashboard on {url} (loopback: browsers on this machine only;"
              " --host ADDR --public shares it)", flush=True)  # fmt: skip
    if args.url:
        print(f"smstui serve: browsers reach it at {args.url}", flush=True)
    writer = f"smstui poll (pid {pid}) writes it" if pid else (
        "no smstui poll writes it now: the page shows it as it stands until one does")  # fmt: skip
    print(f"smstui serve: each browser tab runs its own dashboard following the cache; {writer}."
          " Ctrl-C stops serving.", flush=True)  # fmt: skip
