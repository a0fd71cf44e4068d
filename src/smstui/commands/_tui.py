"""Running the dashboard app in a real terminal: hang-ups end it like `q`, logs go to a file."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Protocol

from smstui.logfile import LogCapture, after_run_line

# SIGHUP: the terminal (or the SSH connection) closed; SIGTERM: asked to stop. Either used to
# kill the process on the spot: no flush, no cleanup, the demo's temporary cache left behind.
ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


class Exitable(Protocol):
    """What ends_on_hangup needs of the app."""

    def exit(self) -> None:
        """Leave the app the way `q` does."""


@contextmanager
def ends_on_hangup(app: Exitable) -> Iterator[None]:
    """While the block runs, SIGHUP and SIGTERM make the app exit cleanly (services flush,
    `finally` blocks run) instead of killing the process."""

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # the app is not running (yet or any more): unwind from here
            raise SystemExit(128 + signum) from None
        loop.call_soon_threadsafe(app.exit)

    previous = {sig: signal.signal(sig, on_signal) for sig in ENDING_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def report_log(capture: LogCapture, what: str) -> None:
    """After the TUI: one stderr line when warnings were logged, naming the file."""
    line = after_run_line(capture, what)
    if line:
        print(line, file=sys.stderr)


def add_low_bandwidth_arg(parser: argparse.ArgumentParser) -> None:
    """--low-bandwidth: for a slow SSH link (also [ui] low_bandwidth = true in the config)."""
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help="a slow link: live news every 2 s, coarse times on the health line",
    )
