"""Stuck messages: still on their way long after their operator usually delivers (no I/O).

A message is stuck when it is not final, is not deliberately held (scheduled or stopped), and
was sent longer ago than its operator's usual delivery time: the p95 of the delivery times
observed for that operator, never less than 10 minutes. An operator with too few deliveries
seen borrows the p95 of all operators, and with none seen at all the fallback is 30 minutes.
The filter's `state:stuck`, the campaign strip's count and the re-query key all ask this rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smstui.delivery_time import Timeline, delivery_seconds, percentile
from smstui.model import DeliveryState, Message

MIN_USUAL_S = 600.0  # a message younger than 10 min is never called stuck
FALLBACK_USUAL_S = 1800.0  # before any delivery was observed
MIN_SAMPLES = 5  # fewer deliveries than this say nothing about an operator
RECENT_SAMPLES = 20_000  # the newest deliveries judged: operators' behaviour now, cheaply
HELD = frozenset({DeliveryState.SCHEDULED, DeliveryState.STOPPED})  # waiting on purpose


@dataclass(frozen=True, slots=True)
class UsualDelivery:
    """How long delivery usually takes, per operator and overall (seconds, p95, ≥ 10 min)."""

    by_operator: dict[str, float] = field(default_factory=dict)
    overall: float = FALLBACK_USUAL_S
    samples: int = 0  # deliveries observed

    def limit_for(self, operator: str) -> float:
        """The age past which a message to this operator counts as stuck."""
        return self.by_operator.get(operator, self.overall)


def usual_delivery(
    newest_first: Iterable[Message], timeline: Timeline | None = None
) -> UsualDelivery:
    """The p95 delivery time per operator over the newest RECENT_SAMPLES deliveries."""
    per_operator: dict[str, list[float]] = {}
    everything: list[float] = []
    for message in newest_first:
        took = delivery_seconds(message, timeline)
        if took is None:
            continue
        per_operator.setdefault(message.operator, []).append(took)
        everything.append(took)
        if len(everything) >= RECENT_SAMPLES:
            break
    if len(everything) < MIN_SAMPLES:
        return UsualDelivery(samples=len(everything))
    everything.sort()
    overall = max(MIN_USUAL_S, percentile(everything, 95) or 0.0)
    by_operator = {}
    for operator, times in per_operator.items():
        if len(times) >= MIN_SAMPLES:
            times.sort()
            by_operator[operator] = max(MIN_USUAL_S, percentile(times, 95) or 0.0)
    return UsualDelivery(by_operator, overall, len(everything))


def is_stuck(message: Message, usual: UsualDelivery, now: float) -> bool:
    """Is this message overdue by its operator's usual delivery time?"""
    if message.state.is_final or message.state in HELD or message.sent_at is None:
        return False
    return now - message.sent_at > usual.limit_for(message.operator)


class StuckRule:
    """The rule with the thresholds in force; the dashboard refreshes them as deliveries land.

    Filters hold the rule, not a copy of its thresholds, so a refreshed table applies to the
    next evaluation of an existing `state:stuck` filter.
    """

    def __init__(self, usual: UsualDelivery | None = None) -> None:
        self.usual = usual or UsualDelivery()

    def update(self, usual: UsualDelivery) -> None:
        """Use newly observed delivery times from now on."""
        self.usual = usual

    def __call__(self, message: Message, now: float) -> bool:
        """Is the message stuck at `now`?"""
        return is_stuck(message, self.usual, now)

    def select(self, messages: Iterable[Message], now: float) -> list[Message]:
        """The stuck ones among `messages`, in their order."""
        usual = self.usual
        return [m for m in messages if is_stuck(m, usual, now)]
