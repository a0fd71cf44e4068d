"""`smstui` / `smstui dashboard`: the live dashboard over the configured accounts."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from smstui.commands._common import add_config_args
from smstui.commands._tui import add_low_bandwidth_arg, ends_on_hangup, report_log
from smstui.config import Config, default_config_path, load_config
from smstui.controller import Controller
from smstui.errors import ConfigError
from smstui.logfile import log_candidates, logs_to_file
from smstui.poller import Engine
from smstui.runtime import (
    FollowerController,
    alerts_for,
    check_alerts,
    follow,
    only_account,
    open_store,
    receiver_for,
    writer_pid,
)
from smstui.store import Store
from smstui.webhook.errors import ReceiverError

if TYPE_CHECKING:  # the app module imports Textual: only the dashboard needs it at run time
    from smstui.ui.app import SmstuiApp

NO_CONFIG = """smstui: no configuration at {path}

Create it with your gateway account, for example:

  [[accounts]]
  name = "main"
  provider = "smsc"            # or "webcom"
  login = "mylogin"
  password_env = "SMSC_PASSWORD"

(or point SMSTUI_CONFIG / --config at another file). To look around first, run: smstui demo
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `dashboard` subcommand (also what bare `smstui` runs)."""
    parser = sub.add_parser("dashboard", help="open the live dashboard (the default command)")
    add_config_args(parser)
    parser.add_argument("--listen", metavar="HOST:PORT", help="receive webhook pushes here")
    add_low_bandwidth_arg(parser)
    # `smstui serve`'s sessions: follow the cache, never poll or checkpoint, even with no writer
    parser.add_argument("--follow", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open the cache (as its writer, or following a running `smstui poll`) and the app."""
    path = args.config or default_config_path()
    if args.config is None and not path.exists():
        print(NO_CONFIG.format(path=path), file=sys.stderr)
        return 2
    config = only_account(load_config(path), args.account)
    if args.low_bandwidth:  # the flag turns it on for this run; the config may already have
        config = dataclasses.replace(config, low_bandwidth=True)
    if not config.accounts:
        raise ConfigError("no [[accounts]] configured", path=str(path), key="accounts")
    store = open_store(config, readonly=True if args.follow else "auto")
    try:
        for notice in store.notices:
            print(f"smstui: {notice}", file=sys.stderr)
        with logs_to_file(log_candidates(config.cache_dir), config.secrets()) as logged:
            app = build_dashboard(config, store, args.listen, log_file=logged.path)
            with ends_on_hangup(app):
                app.run()
    finally:
        store.close()
    report_log(logged, "dashboard")
    return 0


def build_dashboard(
    config: Config, store: Store, listen: str | None = None, *, log_file: Path | None = None
) -> SmstuiApp:
    """The app over this cache: polling in-process as its writer, or following the daemon
    (acting through the shared budget and journal, never polling itself). `log_file`: where
    log lines go while it runs (named on the health screen)."""
    from smstui.ui.app import make_app

    engine = Engine(config, store)
    controller: Controller
    if store.readonly:
        controller = FollowerController(engine, writer_pid(store.path), store.path)

        async def tail() -> None:
            try:
                await follow(store)
            finally:
                await engine.aclose()

        services = [tail]
    else:
        controller = engine
        check_alerts(config)  # a bad notify URL is a config error before the screen opens

        async def serve() -> None:
            async with AsyncExitStack() as stack:
                try:
                    await stack.enter_async_context(
                        receiver_for(engine, config, listen, engine.clock)
                    )
                except ReceiverError as err:  # polling goes on; the health line says why
                    engine.webhook_problem = str(err)
                # The cache's writer sends alerts out ([alerts] notify); a follower never does.
                await stack.enter_async_context(alerts_for(engine, config))
                try:
                    await engine.run()
                finally:
                    await engine.aclose()

        services = [serve]
    return make_app(store=store, controller=controller, clock=engine.clock, config=config,
                    services=services, log_file=log_file)  # fmt: skip
