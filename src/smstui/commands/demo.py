"""`smstui demo`: the dashboard on the built-in emulator — no account, no network."""

from __future__ import annotations

import argparse
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from smstui.clock import ScaledClock, SystemClock
from smstui.config import parse_config
from smstui.runtime import free_port, receiver_for
from smstui.store import Store

DEMO_SECRET_BYTES = 12


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser("demo", help="open the dashboard on the built-in gateway emulator")
    parser.add_argument("--seed", type=int, default=7, help="campaign seed (default 7)")
    parser.add_argument("--messages", type=int, default=2000, help="history already sent")
    parser.add_argument("--rate", type=float, default=60.0, help="live messages per minute")
    parser.add_argument("--speed", type=float, default=1.0, help="emulated time × this")
    parser.add_argument("--faults", default="", help="emulator faults, e.g. http500=0.05")
    parser.add_argument("--listen", metavar="HOST:PORT", help="webhook receiver address")
    parser.add_argument("--cache-dir", type=Path, help="keep the demo cache here (default: temp)")
    parser.set_defaults(func=run)


def demo_config(emulator_url: str, cache_dir: Path, listen: str, hook_secret: str):
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


def build_demo(args: argparse.Namespace):
    """The demo app and its store: emulator, receiver and poller run as the app's service."""
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
        # Order matters: the emulator listens before the poller asks; shutdown in reverse.
        async with run_emulator(options), receiver_for(engine, config, listen, clock):
            try:
                await engine.run()
            finally:
                await engine.aclose()

    app = make_app(store=store, controller=engine, clock=clock, config=config,
                   title="smstui demo", services=[serve])  # fmt: skip
    return app, store, cache_dir


def run(args: argparse.Namespace) -> int:
    """Show the demo dashboard; the temporary cache goes away afterwards."""
    app, store, cache_dir = build_demo(args)
    try:
        app.run()
    finally:
        store.close()
        if args.cache_dir is None:
            shutil.rmtree(cache_dir, ignore_errors=True)
    return 0
