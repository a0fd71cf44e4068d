"""Pure figures the panes show (burn rate, runway, send rate): no Textual, easy to test."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise

from smstui.display import short_duration
from smstui.model import Balance, DeliveryState, Message

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


def delivery_percent(counts: Mapping[DeliveryState, int]) -> float | None:
    """Delivered (or read) share of the messages whose fate is known; None before any is."""
    final = sum(n for state, n in counts.items() if state.is_final)
    if not final:
        return None
    ok = counts.get(DeliveryState.DELIVERED, 0) + counts.get(DeliveryState.READ, 0)
    return 100.0 * ok / final


def sends_per_minute(newest_first: Sequence[Message], now: float, minutes: int = 30) -> list[int]:
    """Messages sent in each of the last `minutes` minutes, oldest minute first.

    Walks the newest-first rows only until it passes the window, so it costs the recent rows,
    not the whole history.
    """
    buckets = [0] * minutes
    start = now - minutes * 60
    for message in newest_first:
        sent = message.sent_at
        if sent is None:
            continue
        if sent < start:
            break
        index = int((sent - start) // 60)
        if 0 <= index < minutes:
            buckets[index] += 1
    return buckets


RATE_WINDOW_S = 300.0  # the strip's rate: sends over the last 5 min, not one poll's burst


def sent_rate_per_minute(
    newest_first: Sequence[Message], now: float, window_s: float = RATE_WINDOW_S
) -> float:
    """Messages sent per minute, averaged over the last `window_s` seconds (newest-first rows).

    A poll brings a minute's sends at once; averaging over several minutes keeps a steady
    campaign's rate steady. Walks only the rows inside the window.
    """
    start, sent = now - window_s, 0
    for message in newest_first:
        at = message.sent_at
        if at is None or at > now:
            continue
        if at <= start:
            break
        sent += 1
    return sent * 60.0 / window_s


def money_text(amount: Decimal | None, currency: str = "") -> str:
    """An amount with two decimals and its currency."""
    if amount is None:
        return "—"
    return f"{amount:,.2f} {currency}".strip().replace(",", " ")
