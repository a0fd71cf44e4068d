"""Balance per account: amount, burn rate, how long it lasts, and a low-balance warning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from textual.content import Content
from textual.markup import escape
from textual.widget import Widget

from smstui.display import money, money_rate
from smstui.model import Balance
from smstui.ui.widgets.stats import burn_rate_per_hour, runway_text


@dataclass(frozen=True)
class AccountBalance:
    """What the pane shows for one account, computed from the store's balance samples."""

    account: str
    latest: Balance | None
    rate_per_hour: Decimal | None
    low_threshold: float | None = None

    @property
    def is_low(self) -> bool:
        """True when the latest amount is under the account's configured low_balance."""
        return (
            self.latest is not None
            and self.low_threshold is not None
            and self.latest.amount < Decimal(str(self.low_threshold))
        )

    @classmethod
    def from_samples(
        cls, account: str, samples: Sequence[Balance], now: float, low: float | None
    ) -> AccountBalance:
        """Summarise one account's samples (oldest or newest first, either works)."""
        timed = sorted(samples, key=lambda b: b.at or 0.0)
        latest = timed[-1] if timed else None
        return cls(account, latest, burn_rate_per_hour(timed, now), low)


def balance_line(item: AccountBalance, compact: bool = False) -> str:
    """Markup for one account: two lines, or one short line when `compact` (80 columns)."""
    name = escape(item.account)
    if item.latest is None:
        return f"[b]{name}[/b]  [dim]no balance yet (press b)[/dim]"
    amount = escape(money(item.latest.amount, item.latest.currency))
    parts = [f"[b]{name}[/b]  "]
    if item.is_low:
        parts.append(f"[$error b]⚠ {amount} LOW[/] [dim](< {money(item.low_threshold)})[/dim]")
    else:
        parts.append(f"[$success]{amount}[/]")
    runway = runway_text(item.latest.amount, item.rate_per_hour)
    if compact:
        short = runway.removesuffix(" at this rate").replace("lasts ", "")
        parts.append(f" [dim]{escape(short)}[/dim]" if short.startswith("~") else "")
        return "".join(parts)
    rate = f"{money_rate(item.rate_per_hour)} · " if item.rate_per_hour else ""
    parts.append(f"\n  [dim]{rate}{escape(runway)}[/dim]")
    return "".join(parts)


class BalancePane(Widget):
    """Money left on each account; turns red (class -low) when any account is below its limit."""

    ALLOW_MAXIMIZE = True

    COMPACT_BELOW = 38  # columns under which each account gets one line

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Balance"
        self._shown: tuple[AccountBalance, ...] | None = None

    def show(self, items: Sequence[AccountBalance]) -> None:
        """Display these accounts (a no-op when nothing changed, to keep idle CPU near zero)."""
        items = tuple(items)
        if items == self._shown:
            return
        self._shown = items
        self.set_class(any(i.is_low for i in items), "-low")
        self.refresh(layout=True)

    def rows_available(self) -> int | None:
        """Lines the layout can give the accounts (a fixed height, or the band's maximum)."""
        for styles in (self.styles, self.parent.styles if self.parent else None):
            if styles is None:
                continue
            limit = styles.height if styles is self.styles else styles.max_height
            if limit is not None and limit.is_cells:
                return max(1, int(limit.value) - self.styles.gutter.height)
        return None

    def render(self) -> Content:
        """All accounts: two lines each, one when that does not fit, several to a line last.

        Every account's balance must stay visible (at 80×24 the band has two lines).
        """
        items = self._shown or ()
        rows = self.rows_available()
        compact = self.size.width < self.COMPACT_BELOW or (
            rows is not None and rows < 2 * len(items)
        )
        lines = [balance_line(i, compact) for i in items]
        if rows is not None and len(lines) > rows:  # still too many: share the lines
            per = -(-len(lines) // rows)
            lines = ["  ".join(lines[k : k + per]) for k in range(0, len(lines), per)]
        return Content.from_markup("\n".join(lines) or "[dim]no accounts[/dim]")
