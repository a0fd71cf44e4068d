"""What the receiver has seen, as a plain dict of counts: the names live in smstui.push_counters."""

from __future__ import annotations

from collections.abc import Mapping

from smstui.push_counters import (
    COUNTER_NAMES,
    COUNTER_WORDS,
    REJECTED,
    fresh_counters,
    received,
    rejected,
)

__all__ = [
    "COUNTER_NAMES",
    "COUNTER_WORDS",
    "REJECTED",
    "fresh_counters",
    "health_line",
    "received",
    "rejected",
]

_LABELS = {
    "rejected_403": "forged",
    "bad_400": "bad",
    "not_found_404": "404",
    "method_405": "405",
    "too_large_413": "too big",
    "sink_errors": "sink err",
    "future_clamped": "future-dated",
}


def health_line(counters: Mapping[str, int]) -> str:
    """A short summary for the status bar, e.g. `webhook 1,204 ok · 3 dup · 2 forged`."""
    parts = [f"webhook {counters.get('accepted', 0):,} ok"]
    if counters.get("duplicates"):
        parts.append(f"{counters['duplicates']:,} dup")
    problems = ("rejected_403", "bad_400", "too_large_413", "timeouts", "not_found_404")
    others = ("method_405", "sink_errors", "hash_mismatch", "unacked", "future_clamped")
    for name in (*problems, *others):
        value = counters.get(name, 0)
        if value:
            parts.append(f"{value:,} {_LABELS.get(name, name.replace('_', ' '))}")
    return " · ".join(parts)
