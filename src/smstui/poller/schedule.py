"""Which non-final messages are due for a status check: young ones often, old ones rarely."""

from __future__ import annotations

from collections.abc import Iterable

from smstui.model import Message, askable

# (age below, check every): a message is most likely to change in its first minutes, so it is
# asked about every cycle; after that the interval grows roughly exponentially with age.
AGE_STEPS: tuple[tuple[float, float], ...] = (
    (5 * 60, 60.0),
    (15 * 60, 120.0),
    (60 * 60, 300.0),
    (6 * 3600, 900.0),
    (float("inf"), 1800.0),
)

Key = tuple[str, str, str]


# While a gateway's webhook delivers, polling is only a safety net for lost pushes.
SAFETY_NET_FACTOR, SAFETY_NET_FLOOR_S = 3.0, 600.0


def check_interval(age_s: float, *, safety_net: bool = False) -> float:
    """How long to wait between status checks of a message this old."""
    interval = AGE_STEPS[-1][1]
    for limit, step in AGE_STEPS:
        if age_s < limit:
            interval = step
            break
    if safety_net:
        return max(SAFETY_NET_FLOOR_S, interval * SAFETY_NET_FACTOR)
    return interval


class StatusSchedule:
    """Remembers when each message was last asked about and picks the due ones, youngest first."""

    def __init__(self, *, max_age_s: float = 24 * 3600) -> None:
        self.max_age_s = max_age_s  # SMSC archives after a day: older ones come from history
        self._last_checked: dict[Key, float] = {}

    def due(
        self,
        pending: Iterable[Message],
        now: float,
        *,
        slack_s: float = 1.0,
        safety_net: bool = False,
    ) -> list[Message]:
        """Non-final messages whose next check time has come (slack absorbs timer jitter)."""
        out: list[tuple[float, Message]] = []
        for message in pending:
            if message.state.is_final or not askable(message):
                continue
            sent = message.sent_at if message.sent_at is not None else now
            age = max(0.0, now - sent)
            if age > self.max_age_s:
                continue
            last = self._last_checked.get(message.key)
            if safety_net and last is None:
                last = sent  # a pushed-about message is first asked about a while after sending
            if last is None or now - last + slack_s >= check_interval(age, safety_net=safety_net):
                out.append((age, message))
        out.sort(key=lambda pair: pair[0])
        return [m for _, m in out]

    def checked(self, keys: Iterable[Key], now: float) -> None:
        """Record that these messages were just asked about."""
        for key in keys:
            self._last_checked[key] = now

    def forget(self, keys: Iterable[Key]) -> None:
        """Drop messages that became final (they are never asked about again)."""
        for key in keys:
            self._last_checked.pop(key, None)

    def next_due_at(
        self, pending: Iterable[Message], now: float, *, safety_net: bool = False
    ) -> float | None:
        """When the earliest pending message will next be due (None when nothing is pending)."""
        best: float | None = None
        for message in pending:
            if message.state.is_final or not askable(message):
                continue
            sent = message.sent_at if message.sent_at is not None else now
            if now - sent > self.max_age_s:
                continue
            last = self._last_checked.get(message.key)
            if safety_net and last is None:
                last = sent
            age = max(0.0, now - sent)
            when = now if last is None else last + check_interval(age, safety_net=safety_net)
            best = when if best is None else min(best, when)
        return best
