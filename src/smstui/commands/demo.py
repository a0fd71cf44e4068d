"""`smstui demo`: the dashboard on the built-in emulator — no account, no network."""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from smstui.clock import ScaledClock, SystemClock
from smstui.commands._tui import add_low_bandwidth_arg, ends_on_hangup, report_log
from smstui.config import Config, parse_config
from smstui.logfile import demo_log_candidates, logs_to_file
from smstui.runtime import free_port, receiver_for
from smstui.store import Store

if TYPE_CHECKING:  # the app module imports Textual: only needed once the demo runs
    from smstui.ui.app import SmstuiApp

DEMO_SECRET_BYTES = 12


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser("demo", help="open the dashboard on the built-in gateway emulator")
    parser.add_argument("--seed", type=int, default=7, help="campaign seed (default 7)")
    parser.add_argument("--messages", type=int, default=2000, help="history already sent")
    parser.add_argument("--rate", type=float, default=60.0, help="live messages per minute")
    parser.add_argument("--speed", type=float, default=1.0, help="emulated time × this")
    parser.add_argument("--faults", default="", help="emulator faults, e.g. http500=0.05")
    parser.add_argument("--listen", metavar="HOST:PORT", help="webhook receiver address")
    parser.add_argument("--cache-dir", type=Path, help="keep the demo cache here (default: temp)")
    parser.add_argument(
        "--export-dir",
        type=Path,
        help="where e/E exports go; kept after the demo (default: the user data dir's "
        "demo-exports, or CACHE_DIR/exports with --cache-dir)",
    )
    add_low_bandwidth_arg(parser)
    parser.set_defaults(func=run)


def demo_config(emulator_url: str, cache_dir: Path, listen: str, hook_secret: str) -> Config:
    """Two accounts on the emulator (one per gateway) and a signed webhook receiver."""
    return parse_config(
        {
            "accounts": [
                {"name": "demo-smsc", "provider": "smsc", "base_url": emulator_url,
                 "login": "demo", "password": "demo", "low_balance": 1000},
                {"name": "demo-webcom", "provider": "webcom", "base_url": emulator_url,
                 "login": "demo", "password": "demo", "low_balance": 500},
            ],
            "cache": {"dir": str(cache_dir)},
            "webhook": {"listen": listen, "smsc_secret": hook_secret},
        }
    )  # fmt: skip


def demo_export_dir(args: argparse.Namespace) -> Path:
    """Where the demo's exports go: never inside a temporary cache that is deleted on quit."""
    if getattr(args, "export_dir", None):
        return Path(args.export_dir)
    if args.cache_dir is not None:
        return Path(args.cache_dir) / "exports"
    return platformdirs.user_data_path("smstui") / "demo-exports"


def build_demo(
    args: argparse.Namespace, *, log_file: Path | None = None
) -> tuple[SmstuiApp, Store, Path]:
    """The demo app, its store and cache dir: emulator, receiver and poller run as the app's
    service; `log_file` is where log lines go meanwhile (named on the health screen)."""
    from smstui.commands._demo_ledger import DemoLedger
    from smstui.emulator.options import EmulatorOptions
    from smstui.emulator.server import run_emulator
    from smstui.poller import Engine
    from smstui.ui.app import make_app

    cache_dir = args.cache_dir or Path(tempfile.mkdtemp(prefix="smstui-demo-"))
    clock = SystemClock() if args.speed == 1 else ScaledClock(time.time(), args.speed)
    emu_port = free_port()
    listen = args.listen or f"127.0.0.1:{free_port()}"
    hook_secret = secrets.token_urlsafe(DEMO_SECRET_BYTES).replace("-", "_")
    config = demo_config(f"http://127.0.0.1:{emu_port}", cache_dir, listen, hook_secret)
    receiver_url = f"http://{listen}"
    options = EmulatorOptions(
        seed=args.seed, messages=args.messages, rate=args.rate, speed=args.speed,
        port=emu_port, faults=args.faults, clock=clock,
        smsc_webhook=f"{receiver_url}/smsc/demo-smsc?md5={hook_secret}",
        webcom_webhook=f"{receiver_url}/webcom/demo-webcom",
    )  # fmt: skip
    store = Store.open(cache_dir, clock=clock)
    engine = Engine(config, store, clock=clock)

    async def serve() -> None:
        # Order matters: the emulator listens before the poller asks; the ledger records the
        # Webcom sends before the receiver can take a push about them; shutdown in reverse.
        async with run_emulator(options) as emu:
            DemoLedger(store, "demo-webcom").attach(emu, clock.now())
            async with receiver_for(engine, config, listen, clock):
                try:
                    await engine.run()
                finally:
                    await engine.aclose()

    app = make_app(store=store, controller=engine, clock=clock, config=config,
                   title="smstui demo", services=[serve],
                   export_dir=demo_export_dir(args), log_file=log_file,
                   low_bandwidth=getattr(args, "low_bandwidth", False))  # fmt: skip
    return app, store, cache_dir


def run(args: argparse.Namespace) -> int:
    """Show the demo dashboard; the temporary cache goes away afterwards (also when the
    terminal closes under it), exports and the log stay."""
    # Masked in the log: the receiver's random secret. The gateways' demo/demo are public, and
    # masking "demo" would turn every account name in the log into "***-smsc".
    with logs_to_file(demo_log_candidates(args.cache_dir)) as logged:
        app, store, cache_dir = build_demo(args, log_file=logged.path)
        logged.mask_also([app.config.webhook.smsc_secret] if app.config else [])
        try:
            with ends_on_hangup(app):
                app.run()
        finally:
            store.close()
            if args.cache_dir is None:
                shutil.rmtree(cache_dir, ignore_errors=True)
    report_log(logged, "demo")
    exported = app.main_screen.last_export
    if exported is not None:
        print(f"smstui demo: exports kept in {exported.parent}", file=sys.stderr)
    return 0
