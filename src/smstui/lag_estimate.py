"""How soon a status that changes at the gateway reaches the cache, as the poller runs now."""

from __future__ import annotations

from dataclasses import dataclass

from smstui.display import relative


@dataclass(frozen=True, slots=True)
class LagEstimate:
    """One account's expected status lag, from its poller's current cadence (no I/O)."""

    interval_s: float  # the status requests' cadence now (the base one when nothing is open)
    open: int = 0  # open messages the poller asks about
    left_out: int = 0  # of those, how many the last request could not carry (the id cap)
    discovery_s: float | None = None  # messages sent elsewhere are found within this (history)
    pushes: bool = False  # the webhook delivers: polling is only a safety net
    paused_until: float | None = None  # nothing is asked before this (back-off, block)

    @property
    def bound_s(self) -> float:
        """The longest a final status should wait: one request interval, or until discovery
        when that is slower (a message sent elsewhere is unknown until history shows it)."""
        worst = self.interval_s * (2 if self.left_out else 1)  # left out once, carried next
        if self.discovery_s is not None:
            worst = max(worst, self.discovery_s)
        return worst


def about(seconds: float) -> str:
    """ "~1 min", "~5 min", "~2 h": the rounded figure a person reads at a glance."""
    if seconds < 45:
        return f"~{max(1, round(seconds))} s"
    minutes = max(1, round(seconds / 60))
    return f"~{minutes} min" if minutes < 90 else f"~{round(minutes / 60)} h"


def lag_words(est: LagEstimate, now: float) -> str:
    """The health screen's sentence, e.g. "statuses arrive within ~1 min"."""
    if est.paused_until is not None and est.paused_until > now:
        return f"statuses wait: requests paused until {relative(est.paused_until, now)}"
    if est.pushes:
        return (
            "statuses arrive within seconds (the webhook delivers); polling checks every "
            f"{about(est.interval_s)} as a safety net"
        )
    text = f"statuses arrive within {about(est.bound_s)}"
    details = []
    if est.open:
        details.append(f"{est.open:,} open, each asked every {about(est.interval_s)}")
    if est.left_out:
        details.append(f"{est.left_out:,} wait a turn (a request carries at most so many ids)")
    if est.discovery_s is not None:
        details.append(f"messages sent elsewhere are found within {about(est.discovery_s)}")
    return text + (f" ({'; '.join(details)})" if details else "")
