"""`smstui` / `smstui dashboard`: the live dashboard over the configured accounts."""

from __future__ import annotations

import argparse
import sys
from contextlib import AsyncExitStack

from smstui.commands._common import add_config_args
from smstui.config import default_config_path, load_config
from smstui.controller import Controller
from smstui.errors import ConfigError
from smstui.poller import Engine
from smstui.runtime import (
    FollowerController,
    follow,
    only_account,
    open_store,
    receiver_for,
    writer_pid,
)
from smstui.store import Store
from smstui.webhook.errors import ReceiverError

NO_CONFIG = """smstui: no configuration at {path}

Create it with your gateway account, for example:

  [[accounts]]
  name = "main"
  provider = "smsc"            # or "webcom"
  login = "mylogin"
  password_env = "SMSC_PASSWORD"

(or point SMSTUI_CONFIG / --config at another file). To look around first, run: smstui demo
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `dashboard` subcommand (also what bare `smstui` runs)."""
    parser = sub.add_parser("dashboard", help="open the live dashboard (the default command)")
    add_config_args(parser)
    parser.add_argument("--listen", metavar="HOST:PORT", help="receive webhook pushes here")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the cache (as its writer, or following a running `smstui poll`) and the app."""
    path = args.config or default_config_path()
    if args.config is None and not path.exists():
        print(NO_CONFIG.format(path=path), file=sys.stderr)
        return 2
    config = only_account(load_config(path), args.account)
    if not config.accounts:
        raise ConfigError("no [[accounts]] configured", path=str(path), key="accounts")
    store = open_store(config, readonly="auto")
    try:
        for notice in store.notices:
            print(f"smstui: {notice}", file=sys.stderr)
        build_dashboard(config, store, args.listen).run()
    finally:
        store.close()
    return 0


def build_dashboard(config, store: Store, listen: str | None = None):
    """The app over this cache: polling in-process as its writer, or following the daemon
    (acting through the shared budget and journal, never polling itself)."""
    from smstui.ui.app import make_app

    engine = Engine(config, store)
    controller: Controller
    if store.readonly:
        controller = FollowerController(engine, writer_pid(store.path))

        async def tail() -> None:
            try:
                await follow(store)
            finally:
                await engine.aclose()

        services = [tail]
    else:
        controller = engine

        async def serve() -> None:
            async with AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(
                        receiver_for(engine, config, listen, engine.clock)
                    )
                except ReceiverError as err:  # polling goes on; the health line says why
                    engine.webhook_problem = str(err)
                try:
                    await engine.run()
                finally:
                    await engine.aclose()

        services = [serve]
    return make_app(store=store, controller=controller, clock=engine.clock, config=config,
                    services=services)  # fmt: skip
