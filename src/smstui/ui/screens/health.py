"""The `h` screen: every budget row, back-off, webhook counter and the cache's state, in words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from smstui.controller import AccountHealth, HealthSnapshot, LimitLeft
from smstui.display import group, relative
from smstui.lag_estimate import lag_words
from smstui.push_counters import COUNTER_NAMES, COUNTER_WORDS, received, rejected
from smstui.store_view import StoreHealth
from smstui.ui.widgets.health_line import limit_word, per_window

PER_WORDS = {
    "login": "all requests",
    "message": "each message",
    "phone": "each number",
    "request": "each identical request",
}
LAYER_WORDS = {"documented": "gateway", "sibling": "gateway (sibling platform)", "margin": "smstui"}


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, expand=False, show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def limits_table(rows: tuple[LimitLeft, ...], now: float) -> Table:
    """One line per budget row: left of max, window, what counts, next allowed, whose, source."""
    table = _table("budget", "left", "window", "counts", "next allowed", "set by", "source")
    for row in rows:
        per_key = row.per != "login"
        left = "—" if per_key else f"{row.remaining} of {row.limit}"
        window = per_window(row.window_s)
        at = row.next_allowed_at
        nxt = "now" if per_key or at is None or at <= now else relative(at, now)
        spent = not per_key and row.remaining == 0 and nxt != "now"
        table.add_row(
            limit_word(row),
            Text(left, style="bold yellow" if spent else ""),
            window if not per_key else f"{row.limit} {window}",
            PER_WORDS.get(row.per, row.per),
            nxt,
            LAYER_WORDS.get(row.layer, row.layer),
            row.source,
        )
    return table


def account_lines(acc: AccountHealth, now: float) -> list[str]:
    """The account's polling state in sentences."""
    lines = [f"gateway: {'DOWN' if acc.gateway_down else 'reachable'} ({acc.provider})"]
    if acc.lag is not None:
        lines.append(f"lag: {lag_words(acc.lag, now)}")
    if acc.last_poll_at is not None:
        lines.append(f"last poll {relative(acc.last_poll_at, now)}")
    if acc.next_poll_at is not None:
        lines.append(f"next poll {relative(max(acc.next_poll_at, now), now)}")
    lines.append(
        f"requests made {group(acc.requests_made)} · limit errors from the gateway "
        f"{group(acc.limit_errors)}"
    )
    if acc.last_error:
        when = f" ({relative(acc.last_error_at, now)})" if acc.last_error_at else ""
        lines.append(f"last error{when}: {acc.last_error}")
    return lines


def backoff_lines(acc: AccountHealth, now: float) -> list[str]:
    """Pauses in force and why ("none" when requests flow)."""
    out = []
    for backoff in acc.backoffs:
        what = "every request" if backoff.endpoint == "*" else f"{backoff.endpoint} requests"
        why = f": {backoff.reason}" if backoff.reason else ""
        out.append(f"{what} paused until {relative(backoff.until, now)}{why}")
    return out or ["none"]


def webhook_table(counters: dict[str, int]) -> Table:
    """Every receiver counter with its meaning."""
    table = _table("count", "what")
    for name in COUNTER_NAMES:
        table.add_row(group(counters.get(name, 0)), COUNTER_WORDS[name])
    return table


def log_line(log_file: Path | None) -> Text:
    """Where log lines go while the dashboard runs (never onto the screen)."""
    if log_file is None:
        return Text("log file: none (log lines are not kept while the dashboard runs)", style="dim")
    return Text.assemble("log file: ", (str(log_file), "bold"))


def health_report(
    snap: HealthSnapshot, cache: StoreHealth | None, now: float, log_file: Path | None = None
) -> Group:
    """The whole screen's content as one renderable (also what the tests read)."""
    parts: list[Any] = [log_line(log_file)]
    for acc in snap.accounts:
        parts.append(Text(f"\n{acc.account}", style="bold underline"))
        parts.extend(Text(line) for line in account_lines(acc, now))
        parts.append(Text("back-offs: " + "; ".join(backoff_lines(acc, now))))
        parts.append(limits_table(acc.rows or acc.limits, now) if (acc.rows or acc.limits) else
                     Text("no request limits documented for this gateway"))  # fmt: skip
    if not snap.accounts:
        parts.append(Text("no accounts polled", style="dim"))
    parts.append(Text("\nwebhook", style="bold underline"))
    if snap.webhook_problem:
        parts.append(Text(f"DOWN: {snap.webhook_problem}", style="bold red"))
    if snap.webhook_url:
        counts = snap.webhook_counters
        got, refused = group(received(counts)), group(rejected(counts))
        parts.append(Text(f"listening · {got} received · {refused} rejected"))
        parts.append(webhook_table(counts))
    else:
        parts.append(Text("not running (no [webhook] listen address configured)"))
    parts.append(Text("\ncache", style="bold underline"))
    if cache is not None:
        problem = cache.problem or "none"
        parts.append(Text(f"problem: {problem}", style="bold red" if problem != "none" else ""))
        parts.append(Text(f"journal {group(cache.journal_bytes)} bytes"))
        loaded, total = cache.loaded, cache.total
        parts.append(Text(f"messages in memory {group(loaded)} of {group(total)}"))
    if not snap.writer:
        who = f"pid {snap.writer_pid}" if snap.writer_pid else "another smstui"
        parts.append(Text(f"following {who}: it polls and writes the cache"))
    return Group(*parts)


class HealthScreen(Screen[None]):
    """Budgets, back-offs, webhook counters and cache state; refreshed every second."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("h", "close", "Back", show=False),
    ]

    def __init__(
        self,
        snapshot: Callable[[], HealthSnapshot],
        cache: Callable[[], StoreHealth | None],
        now: Callable[[], float],
        *,
        log_file: Path | None = None,
    ) -> None:
        super().__init__(classes="health-screen")
        self._snapshot, self._cache, self._now = snapshot, cache, now
        self._log_file = log_file

    def compose(self) -> ComposeResult:
        """Header, the report, the footer."""
        yield Header(show_clock=False, icon="✉")
        with VerticalScroll(id="health-report-box"):
            yield Static(id="health-report")
        yield Footer()

    def on_mount(self) -> None:
        """Fill in now, then again every second (times are relative to now)."""
        self.sub_title = f"health · {self.app.sub_title}"  # keeps naming the display zone
        self.refresh_report()
        self.set_interval(1.0, self.refresh_report)

    def refresh_report(self) -> None:
        """Read the cheap snapshots again."""
        report = health_report(self._snapshot(), self._cache(), self._now(), self._log_file)
        self.query_one("#health-report", Static).update(report)

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
