"""How often live news may redraw the dashboard: at once, batched (low bandwidth), or held.

Every byte the dashboard writes is a redraw, and over SSH bytes are the cost. A repaint is
caused by news (a store batch), by time (the health line's countdowns) or by the user (keys,
which always answer at once). This module paces the first two; it never imports Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from smstui.clock import Clock
from smstui.display import short_duration

T = TypeVar("T")

LOW_BANDWIDTH_BATCH_S = 2.0  # low bandwidth: live batches reach the screen at most this often
SUMMARY_EVERY_S = 5.0  # paused or low bandwidth: the health line and counts move this often
NORMAL_EVERY_S = 0.0  # otherwise the health line shows every change (its countdowns: 1 s)
COARSE_UNDER_S = 60.0  # low bandwidth: waits shorter than this read "<1 min", not a countdown


@dataclass(frozen=True, slots=True)
class Pace:
    """The dashboard's redraw policy: low bandwidth (a setting) and paused (the feed's key)."""

    low_bandwidth: bool = False
    paused: bool = False

    @property
    def batch_s(self) -> float:
        """Seconds live batches wait to be shown together (0: at once)."""
        return LOW_BANDWIDTH_BATCH_S if self.low_bandwidth else 0.0

    @property
    def summary_s(self) -> float:
        """Least seconds between two repaints of the health line (problems never wait)."""
        return SUMMARY_EVERY_S if self.low_bandwidth or self.paused else NORMAL_EVERY_S

    @property
    def coarse(self) -> bool:
        """Times on the health line in coarse steps (no per-second countdowns)."""
        return self.low_bandwidth


def coarse_wait(seconds: float) -> str:
    """A wait without a per-second countdown: "<1 min", then "4 min", "2 h" (its largest unit)."""
    if seconds < COARSE_UNDER_S:
        return "<1 min"
    return short_duration(seconds)


class LiveGate(Generic[T]):
    """Store changes on their way to the screen: passed at once, batched, or held; never lost.

    `put` parks changes; `ready` says whether the screen should take them now: not while
    paused, and in low bandwidth not until `batch_s` passed since the last take; `take` hands
    over everything parked, oldest first. Resuming makes them ready at once (catching up).
    """

    def __init__(self, clock: Clock, pace: Pace = Pace()) -> None:
        self._clock = clock
        self._pace = pace
        self._parked: list[T] = []
        self._taken_at: float | None = None  # when the screen last took a batch

    @property
    def pace(self) -> Pace:
        """The policy in force."""
        return self._pace

    @pace.setter
    def pace(self, pace: Pace) -> None:
        if self._pace.paused and not pace.paused:  # resumed: no batch interval to wait out
            self._taken_at = None
        self._pace = pace

    @property
    def waiting(self) -> int:
        """How many changes are parked."""
        return len(self._parked)

    def put(self, changes: Iterable[T]) -> None:
        """Park a store batch."""
        self._parked.extend(changes)

    def ready(self) -> bool:
        """Whether the screen should take the parked changes now."""
        if self._pace.paused or not self._parked:
            return False
        if self._pace.batch_s <= 0 or self._taken_at is None:
            return True
        return self._clock.now() - self._taken_at >= self._pace.batch_s

    def take(self) -> list[T]:
        """Everything parked, oldest first; the batch interval starts again."""
        taken, self._parked = self._parked, []
        self._taken_at = self._clock.now()
        return taken
