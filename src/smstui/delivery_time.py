"""How long a message took to reach the handset, and percentiles of such times (no I/O).

The one definition the breakdown screen and the stuck-message rule share: time to delivery is
the moment the message was first reported delivered (or read) minus its send time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from smstui.model import DeliveryState, Message, StatusChange

DELIVERED_STATES = frozenset({DeliveryState.DELIVERED, DeliveryState.READ})

Timeline = Callable[[tuple[str, str, str]], Sequence[StatusChange]]


def delivery_seconds(message: Message, timeline: Timeline | None = None) -> float | None:
    """Seconds from send to delivery; None when not delivered or a time is missing.

    A DELIVERED message's last change is its delivery, so `updated_at` is the time. A READ
    message changed again after delivery: its timeline (when given) names the first delivered
    or read report; without one its `updated_at` (the read) is the best bound known.
    """
    if message.state not in DELIVERED_STATES or message.sent_at is None:
        return None
    at = message.updated_at
    if message.state is DeliveryState.READ and timeline is not None:
        reached = [c.at for c in timeline(message.key) if c.state in DELIVERED_STATES]
        if reached:
            at = min(reached)
    if at is None or at < message.sent_at:  # a gateway clock behind ours: not a duration
        return None
    return at - message.sent_at


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of ascending values (p50 of 1..4 is 2, p95 of 1..20 is 19)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100.0 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]
