"""The `a` screen: every alert raised since launch, newest first, and the thresholds in use."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from smstui.alert_relay import AlertRelay
from smstui.display import duration, money, relative

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "information": ""}


def threshold_lines(relay: AlertRelay) -> list[str]:
    """The rules the monitor applies, in words."""
    rule = relay.monitor.rule
    lines = [
        f"failure spike: at least {rule.min_finals} final outcomes in the last "
        f"{duration(rule.window_s)}, failing at {rule.ratio:g}× the rate of the "
        f"{duration(rule.baseline_s)} before and at least {rule.min_rate:.0%} "
        f"(with no baseline yet: at least {rule.no_baseline_rate:.0%})",
    ]
    low = relay.low_balance
    if low:
        lines += [
            f"low balance: {account} at or below {money(limit)}" for account, limit in low.items()
        ]
    else:
        lines.append("low balance: no account has low_balance set")
    lines.append("gateway down or back up, IP blocked (error 4), rate limited (error 9): each time")
    lines.append(f"the same alert for the same account is not repeated within "
                 f"{duration(relay.monitor.debounce_s)} unless it gets worse")  # fmt: skip
    return lines


def alert_report(relay: AlertRelay, now: float) -> Group:
    """Thresholds, then the alerts raised (newest first), as one renderable."""
    parts: list[Text | Table] = [Text("thresholds in use", style="bold underline")]
    parts += [Text(line) for line in threshold_lines(relay)]
    parts.append(Text(f"\nalerts raised ({len(relay.log)})", style="bold underline"))
    if not relay.log:
        parts.append(Text("none since launch"))
        return Group(*parts)
    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for column in ("when", "level", "account", "alert"):
        table.add_column(column, overflow="fold")
    for at, alert in reversed(relay.log):
        style = SEVERITY_STYLE.get(alert.severity, "")
        table.add_row(
            relative(at, now),
            Text(alert.severity, style=style),
            alert.account,
            Text(f"{alert.subject}: {alert.text}"),  # the account has its own column
        )
    parts.append(table)
    return Group(*parts)


class AlertLogScreen(Screen[None]):
    """Alerts raised and the thresholds behind them; refreshed every second."""

    BINDINGS = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("a", "close", "Back", show=False),
    ]

    def __init__(self, relay: AlertRelay, now: Callable[[], float]) -> None:
        super().__init__(classes="alert-log-screen")
        self._relay, self._now = relay, now

    def compose(self) -> ComposeResult:
        """Header, the report, the footer."""
        yield Header(show_clock=False, icon="✉")
        with VerticalScroll(id="alert-log-box"):
            yield Static(id="alert-log")
        yield Footer()

    def on_mount(self) -> None:
        """Fill in now, then every second (the times are relative)."""
        self.sub_title = f"alert log · {self.app.sub_title}"
        self.refresh_report()
        self.set_interval(1.0, self.refresh_report)

    def refresh_report(self) -> None:
        """Read the log again."""
        self.query_one("#alert-log", Static).update(alert_report(self._relay, self._now()))

    def action_close(self) -> None:
        """Back to the dashboard."""
        self.dismiss(None)
