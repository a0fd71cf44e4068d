"""`smstui poll`: the headless poller, the cache's single writer; one log line per cycle."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

from smstui.commands._common import add_config_args, load
from smstui.display import stamp
from smstui.errors import UsageError
from smstui.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from smstui.poller import CycleReport
from smstui.runtime import alerts_for, cache_path, only_account, open_engine, receiver_for
from smstui.webhook.errors import ReceiverError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `poll` subcommand."""
    parser = sub.add_parser("poll", help="poll the gateways headless and keep the cache current")
    add_config_args(parser)
    parser.add_argument("--once", action="store_true", help="run one cycle, flush, and exit")
    parser.add_argument("--listen", metavar="HOST:PORT", help="also receive webhook pushes here")
    parser.add_argument("--metrics", metavar="HOST:PORT",
                        help="serve Prometheus /metrics here (PORT alone: loopback)")  # fmt: skip
    parser.set_defaults(func=run)


def _print_cycle(report: CycleReport, budget_left: str) -> None:
    print(f"{stamp(time.time())} {report.line(budget_left)}", flush=True)


async def run(args: argparse.Namespace) -> int:
    """Poll until SIGINT/SIGTERM (or one cycle with --once); the cache is flushed either way.

    SIGTERM is the service manager's normal stop (exit 0); Ctrl-C exits 130, as documented.
    """
    if args.once and args.metrics:  # one cycle ends before a scrape could come
        raise UsageError("--metrics needs a running poller, not --once")
    from smstui.metrics_server import serve_metrics  # aiohttp, prometheus_client: poll's only

    config = only_account(load(args), args.account)
    print(f"smstui poll: cache {cache_path(config)}", file=sys.stderr, flush=True)
    stopped_by: list[signal.Signals] = []
    async with open_engine(config) as engine:
        engine.on_cycle = _print_cycle
        if args.once:
            await engine.run_once()
            return EXIT_OK

        def on_signal(sig: signal.Signals) -> None:
            stopped_by.append(sig)
            engine.stop()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal, sig)
        try:
            async with (
                receiver_for(engine, config, args.listen, engine.clock) as receiver,
                alerts_for(engine, config) as alerts,
            ):
                if receiver is not None:
                    print(f"smstui poll: webhook receiver on {receiver.url}", file=sys.stderr,
                          flush=True)  # fmt: skip
                for notifier in alerts.notifiers if alerts else ():
                    print(f"smstui poll: alerts go to {notifier.label}", file=sys.stderr,
                          flush=True)  # fmt: skip
                async with serve_metrics(engine, args.metrics) as metrics:
                    if metrics is not None:
                        print(f"smstui poll: metrics on {metrics.url}/metrics", file=sys.stderr,
                              flush=True)  # fmt: skip
                    await engine.run()
        except ReceiverError as err:  # e.g. the port is taken: one line, not a traceback
            print(f"smstui: {err}", file=sys.stderr, flush=True)
            return EXIT_USAGE
    return EXIT_INTERRUPTED if signal.SIGINT in stopped_by[:1] else EXIT_OK
