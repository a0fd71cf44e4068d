"""What goes out when: each condition once, a minimum interval per kind, a resolved message.

Pure logic over the injected clock. A condition is (kind, account): raised by the alert
monitor, it stays open, and repeats of it are not sent again, until it is judged over; then a
"resolved" notice follows. A raise of the same kind for the same account within min_interval_s
of the last one sent is held and goes out when the interval ends (if it cleared meanwhile, one
notice tells both). A rise in severity (low balance → exhausted) goes out at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from smstui.alerts import Alert
from smstui.clock import Clock
from smstui.display import clock as clock_time
from smstui.display import duration, zone_name

Level = Literal["info", "success", "warning", "failure"]  # apprise's NotifyType values
_LEVEL: dict[str, Level] = {"information": "info", "warning": "warning", "error": "failure"}
_RANK = {"information": 0, "warning": 1, "error": 2}
# Alerts the monitor raises when a condition ends: they resolve the condition named here.
RESOLVES = {"gateway_up": "gateway_down"}
Key = tuple[str, str]  # (kind, account)


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for the notifiers."""

    title: str
    body: str
    level: Level
    kind: str
    account: str
    resolved: bool = False


@dataclass(slots=True)
class _Open:
    alert: Alert
    since: float
    sent: bool = False


class Outbox:
    """Alerts in (raised), notices out; `over(key)` judges whether an open condition ended."""

    def __init__(self, clock: Clock, min_interval_s: float) -> None:
        self._clock = clock
        self._interval = min_interval_s
        self._open: dict[Key, _Open] = {}
        self._last_sent: dict[Key, float] = {}

    @property
    def open(self) -> list[Key]:
        """The conditions raised and not yet over, oldest first."""
        return list(self._open)

    def raised(self, alert: Alert) -> list[Notice]:
        """An alert the monitor let through: a notice now, later, or never (already told)."""
        now = self._clock.now()
        if alert.kind in RESOLVES:
            return self.resolve((RESOLVES[alert.kind], alert.account), alert.text)
        key = (alert.kind, alert.account)
        known = self._open.get(key)
        if known is not None and _RANK[alert.severity] <= _RANK[known.alert.severity]:
            return []  # the same condition, still open: told once
        escalated = known is not None and known.sent
        self._open[key] = _Open(alert, known.since if known else now)
        last = self._last_sent.get(key)
        if escalated or last is None or now - last >= self._interval:
            return [self._send(key)]
        return []  # held: tick() sends it when the interval has passed

    def tick(self, over: Callable[[str, str], str | None]) -> list[Notice]:
        """Resolve what is over (`over(kind, account)` gives the words), send what is due."""
        now, out = self._clock.now(), []
        for key in list(self._open):
            words = over(*key)
            if words is not None:
                out += self.resolve(key, words)
            elif (
                not self._open[key].sent
                and now - self._last_sent.get(key, -math.inf) >= self._interval
            ):
                out.append(self._send(key))
        return out

    def resolve(self, key: Key, words: str) -> list[Notice]:
        """The condition is over: a resolved notice, or the held alert with the news it ended."""
        known = self._open.pop(key, None)
        if known is None:
            return []
        now, alert = self._clock.now(), known.alert
        lasted = f"Lasted {duration(now - known.since)} (since {_at(known.since)})."
        if not known.sent:  # raised and over within the interval: one notice says both
            self._last_sent[key] = now
            return [
                Notice(
                    f"{alert.title} (over)",
                    f"{alert.text}\nOver by {_at(now)}: {words} {lasted}",
                    _LEVEL[alert.severity], alert.kind, alert.account,
                )
            ]  # fmt: skip
        return [
            Notice(
                f"{alert.title}: resolved",
                f"{words} {lasted}",
                "success", alert.kind, alert.account, resolved=True,
            )
        ]  # fmt: skip

    def _send(self, key: Key) -> Notice:
        known = self._open[key]
        known.sent = True
        self._last_sent[key] = self._clock.now()
        alert = known.alert
        return Notice(alert.title, alert.text, _LEVEL[alert.severity], alert.kind, alert.account)


def _at(ts: float) -> str:
    """08:05 MSK: the time of day in the display zone, named."""
    return f"{clock_time(ts)} {zone_name(at=ts)}"
