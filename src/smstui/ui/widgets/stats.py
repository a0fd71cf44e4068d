"""Pure figures the balance pane shows (burn rate, runway, money): no Textual, easy to test.

The campaign strip's figures (rates, delivery %, the send-out) live in smstui.campaign."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from smstui.display import money, short_duration
from smstui.model import Balance

BURN_WINDOW_S = 3600.0  # judge the burn rate on the last hour of balance samples


def burn_rate_per_hour(samples: Sequence[Balance], now: float) -> Decimal | None:
    """Money spent per hour over the last hour of samples; top-ups are not counted as spending.

    None when there are fewer than two timed samples in the window (no rate can be told).
    """
    timed = sorted(
        (b for b in samples if b.at is not None and now - b.at <= BURN_WINDOW_S),
        key=lambda b: b.at or 0.0,
    )
    if len(timed) < 2:
        return None
    spent = Decimal(0)
    for before, after in pairwise(timed):
        if after.amount < before.amount:  # a rise is a top-up, not negative spending
            spent += before.amount - after.amount
    span = (timed[-1].at or 0.0) - (timed[0].at or 0.0)
    if span <= 0:
        return None
    return spent * Decimal(3600) / Decimal(str(span))


def runway_text(amount: Decimal, rate_per_hour: Decimal | None) -> str:
    """'lasts ~2 h at this rate', or why no estimate can be given."""
    if rate_per_hour is None:
        return "rate: collecting samples"
    if rate_per_hour <= 0:
        return "no spending in the last hour"
    if amount <= 0:
        return "empty"
    hours = float(amount / rate_per_hour)
    return f"lasts ~{short_duration(hours * 3600)} at this rate"


def money_text(amount: Decimal | None, currency: str = "") -> str:
    """An amount as display.money writes it (the one money format; "—" when unknown)."""
    return money(amount, currency)
