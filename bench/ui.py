"""Dashboard benchmark: 100k-message cache headless — first paint, key latency, live changes, RSS,
idle CPU, and Textual's DataTable with the same rows as the baseline.

Run: /work/venv/bin/python bench/ui.py [--rows 100000] [--idle-seconds 30] [--baseline-rows N]
apply_1000_ms is the dashboard's share: from the store's signal to the frame that shows the
1,000 changes; store_apply_1000_ms (the store's own apply) and their sum apply_1000_total_ms are
printed beside it.

Bytes on the wire (`--wire`): the real `smstui demo` in a pseudo-terminal of 120×36 with
TERM=xterm-256color, as over SSH; every byte the dashboard writes is read from the pty's master
side and counted. Medians of KB/s over several windows while watching, with the feed paused
(space), and in low-bandwidth mode; `--baseline-src DIR` runs another tree's `src` (e.g. a
`git worktree` of the commit before) the same way in the same run, for before/after figures:
  python bench/ui.py --wire --baseline-src /tmp/base/src
The last printed line is one JSON object of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from datetime import UTC
from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Source, StatusChange
from smstui.sample_data import START, SampleController, fill_balances, make_messages, sample_config
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.widgets.history import HistoryTable
from smstui.ui.widgets.live_feed import LiveFeed

SIZE = (120, 36)


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def next_frame(app: App) -> None:
    """Wait until the app has refreshed the screen once more."""
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


def build_cache(folder: Path, rows: int, clock: FakeClock) -> tuple[Path, float]:
    """Write a `rows`-message cache to disk; returns its path and the reopen time."""
    path = folder / "cache.json"
    with Store.open(path, clock=clock) as store:
        store.apply(make_messages(rows, span_s=rows * 2.0))
        fill_balances(store, clock.now())
    t0 = time.perf_counter()
    Store.open(path, clock=clock).close()
    return path, time.perf_counter() - t0


async def measure_smstui(path: Path, clock: FakeClock, idle_s: float, folder: Path) -> dict:
    """First paint, key latency, 1,000 live changes and idle CPU on the real app."""
    store = Store.open(path, clock=clock)
    controller = SampleController(store, clock)
    t0 = time.perf_counter()
    app = make_app(
        store=store,
        controller=controller,
        clock=clock,
        config=sample_config(folder),
        tz=UTC,
        settings_dir=folder,
    )
    out: dict = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await next_frame(app)
        out["first_paint_s"] = time.perf_counter() - t0
        table = app.screen.query_one(HistoryTable)
        assert len(table.rows) == len(store), "the history must hold every message"
        latencies = []
        for i in range(100):
            key = "pagedown" if i % 10 == 0 else "down"
            t = time.perf_counter()
            app.post_message(events.Key(key, None))  # key in → next frame out (not Pilot's waits)
            await next_frame(app)
            latencies.append((time.perf_counter() - t) * 1000)
        out["key_p95_ms"] = statistics.quantiles(latencies, n=20)[-1]
        out["key_max_ms"] = max(latencies)
        targets = store.messages_sorted()[:1000]
        changes = [
            StatusChange(
                m.account,
                m.message_id,
                DeliveryState.DELIVERED,
                "1",
                START + 5,
                Source.WEBHOOK,
                phone=m.phone,
            )
            for m in targets
        ]
        t = time.perf_counter()
        store.apply(changes)  # the store's share (bench/store.py measures it on its own)
        t_signal = time.perf_counter()
        feed = app.screen.query_one(LiveFeed)
        # The first frame painted after the UI took the batch (call_after_refresh runs once all
        # queued messages are handled and the screen refreshed): that frame shows the changes.
        await next_frame(app)
        while not feed.entries:
            await next_frame(app)
        done = time.perf_counter()
        out["apply_1000_ms"] = (done - t_signal) * 1000
        out["store_apply_1000_ms"] = (t_signal - t) * 1000
        out["apply_1000_total_ms"] = (done - t) * 1000
        assert feed.entries[0].state is DeliveryState.DELIVERED
        out["rss_mb"] = rss_mb()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(idle_s)
        cpu = time.process_time() - cpu0
        out["idle_cpu_pct"] = 100.0 * cpu / (time.perf_counter() - wall0)
    store.close()
    return out


class BaselineApp(App):
    """Textual's DataTable holding every row: what the virtual history replaces."""

    def __init__(self, rows: list[tuple[str, ...]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        """One DataTable."""
        yield DataTable()

    def on_mount(self) -> None:
        """Load all rows at once (the naive way)."""
        table = self.query_one(DataTable)
        table.add_columns("time", "account", "phone", "state", "err", "operator", "cost", "text")
        table.add_rows(self.rows)


async def measure_baseline(rows: int) -> float:
    """Seconds from start to the DataTable's first paint with `rows` rows."""
    data = [
        (
            str(m.sent_at),
            m.account,
            m.phone,
            m.state.value,
            str(m.error_code or ""),
            m.operator,
            str(m.cost),
            m.text,
        )
        for m in make_messages(rows, span_s=rows * 2.0)
    ]
    t0 = time.perf_counter()
    app = BaselineApp(data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await next_frame(app)
        return time.perf_counter() - t0


# ----- bytes on the wire -------------------------------------------------------------------
WIRE_ROWS, WIRE_COLS = 36, 120


class PtyRun:
    """`smstui demo` in a pseudo-terminal; a thread counts every byte it writes."""

    def __init__(self, src: str | None, extra: list[str], cache_dir: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", WIRE_ROWS, WIRE_COLS, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in {"COLORTERM", "NO_COLOR"}}
        env["TERM"] = "xterm-256color"  # what an SSH session usually says (256 colours)
        if src is not None:
            env["PYTHONPATH"] = src  # another tree's package first (the before figures)
        argv = [sys.executable, "-m", "smstui", "demo", "--seed", "7",
                "--cache-dir", str(cache_dir), *extra]  # fmt: skip
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)  # fmt: skip
        os.close(slave)
        self.master = master
        self.total = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # the child closed the terminal
                return
            if not data:
                return
            with self._lock:
                self.total += len(data)

    def count(self) -> int:
        """Bytes written so far."""
        with self._lock:
            return self.total

    def press(self, key: bytes) -> None:
        """Type into the dashboard."""
        os.write(self.master, key)

    def rates(self, windows: int, window_s: float) -> list[float]:
        """KB/s in each of `windows` consecutive windows."""
        out = []
        for _ in range(windows):
            n0, t0 = self.count(), time.monotonic()
            time.sleep(window_s)
            out.append((self.count() - n0) / 1024 / (time.monotonic() - t0))
        return out

    def close(self) -> None:
        """Quit with q; a dashboard that does not go within 15 s is killed."""
        self.press(b"q")
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(2)
        os.close(self.master)


def wire_run(src: str | None, extra: list[str], args: argparse.Namespace) -> dict[str, float]:
    """One dashboard: warm up, then watching, paused, and the catch-up right after resuming."""
    with tempfile.TemporaryDirectory() as tmp:
        run = PtyRun(src, extra, Path(tmp))
        try:
            time.sleep(args.warmup_s)  # first paint and the first history pages
            watching = run.rates(args.windows, args.window_s)
            run.press(b" ")
            time.sleep(1.0)  # the pause itself repaints the feed's title once
            paused = run.rates(args.windows, args.window_s)
            n0 = run.count()
            run.press(b" ")
            time.sleep(1.0)
            resume_kb = (run.count() - n0) / 1024
        finally:
            run.close()
    print(f"  watching KB/s {[round(x, 1) for x in watching]}", flush=True)
    print(f"  paused   KB/s {[round(x, 1) for x in paused]}", flush=True)
    return {
        "watching_kbps": statistics.median(watching),
        "paused_kbps": statistics.median(paused),
        "resume_1s_kb": resume_kb,
    }


def measure_wire(args: argparse.Namespace) -> dict[str, float]:
    """Before (another tree, if given) and after, watching and paused; low bandwidth after."""
    figures: dict[str, float] = {}
    runs: list[tuple[str, str | None, list[str]]] = []
    if args.baseline_src:
        runs.append(("before", args.baseline_src, []))
    runs += [("after", None, []), ("low_bw", None, ["--low-bandwidth"])]
    for label, src, extra in runs:
        print(f"{label}: smstui demo {' '.join(extra)} at {WIRE_COLS}x{WIRE_ROWS}", flush=True)
        for name, value in wire_run(src, extra, args).items():
            figures[f"{label}_{name}"] = value
    figures["after_paused_ratio"] = figures["after_paused_kbps"] / figures["after_watching_kbps"]
    if args.baseline_src:
        before = figures["before_watching_kbps"]
        figures["before_paused_ratio"] = figures["before_paused_kbps"] / before
        figures["low_bw_vs_before_watching"] = figures["low_bw_watching_kbps"] / before
    figures["window_s"] = args.window_s
    figures["windows"] = args.windows
    return figures


async def main() -> None:
    """Run everything and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=None, help="default: --rows")
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--wire", action="store_true", help="only bytes written to the terminal")
    parser.add_argument("--baseline-src", help="--wire: a tree's src/ to measure as 'before'")
    parser.add_argument("--windows", type=int, default=5, help="--wire: windows per phase")
    parser.add_argument("--window-s", type=float, default=4.0, help="--wire: seconds each")
    parser.add_argument("--warmup-s", type=float, default=10.0, help="--wire: before counting")
    args = parser.parse_args()
    if args.wire:
        wire = measure_wire(args)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in wire.items()}))
        return
    clock = FakeClock(START)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, open_s = build_cache(folder, args.rows, clock)
        print(f"cache of {args.rows} messages reopened in {open_s:.2f} s", flush=True)
        figures = await measure_smstui(path, clock, args.idle_seconds, folder)
    figures["store_open_s"] = open_s
    print(f"smstui: {figures}", flush=True)
    baseline = await measure_baseline(args.baseline_rows or args.rows)
    figures["baseline_first_paint_s"] = baseline
    figures["first_paint_ratio"] = baseline / figures["first_paint_s"]
    figures["idle_window_s"] = args.idle_seconds
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    asyncio.run(main())
