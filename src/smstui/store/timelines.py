"""A message's timeline: observations in time order, repeats folded, length capped; no I/O.

An entry is the tuple `schema.Entry` describes. Repeats of one observation (same state, raw
status and error, another time) fold into one entry: the earliest of them, plus two trailing
fields, how many observations it stands for and the latest time among them. Neither gateway
signs a push's time (SMSC's hash covers id:phone:status), so one captured push replayed with
40,000 times is one entry, not 40,000.

Distinct observations are capped at TIMELINE_CAP per message (a push's error code is not
signed either): over it, the first TIMELINE_HEAD entries and the newest stay, and the ones
between fold into one marker entry (source FOLDED) that says how many observations it holds.
Every operation is bounded by the cap, so an insert costs the same at the 40,000th replay as
at the first. The message itself never depends on its timeline: folding loses display rows,
never a state.
"""

from __future__ import annotations

from bisect import bisect_right
from operator import itemgetter

from smstui.store.schema import FOLDED, Entry

TIMELINE_CAP = 64  # distinct entries kept per message; a real message has three to six
TIMELINE_HEAD = 8  # of those, the earliest kept when folding (how it began stays visible)

_AT = itemgetter(2)


def seen(e: Entry) -> int:
    """How many observations an entry stands for."""
    return int(e[7]) if len(e) > 7 else 1


def last_at(e: Entry) -> float:
    """The latest time among an entry's observations."""
    return float(e[8]) if len(e) > 7 else float(e[2])


def insert(timeline: tuple[Entry, ...], new: Entry) -> tuple[Entry, ...] | None:
    """The timeline with one more observation (or a folded entry), or None when it holds that
    observation already (a webhook retry, a repeated poll answer)."""
    state, raw, at, err = new[0], new[1], new[2], new[4]
    new_last = last_at(new)
    same = -1
    for i, e in enumerate(timeline):
        if e[0] == state and e[1] == raw:
            if e[2] == at or (len(e) > 7 and e[8] == new_last):
                return None  # time first would be faster, but a fold's last time counts too
            if e[4] == err and e[3] != FOLDED:
                same = i
    if same < 0:
        out = _put(timeline, new)
        return _cap(out) if len(out) > TIMELINE_CAP else out
    rest = (*timeline[:same], *timeline[same + 1 :])
    return _put(rest, _fold(timeline[same], new))


def _put(timeline: tuple[Entry, ...], e: Entry) -> tuple[Entry, ...]:
    """Insert in time order (after equal times: arrival order breaks ties)."""
    if not timeline or timeline[-1][2] <= e[2]:
        return (*timeline, e)
    i = bisect_right(timeline, e[2], key=_AT)
    return (*timeline[:i], e, *timeline[i:])


def _fold(a: Entry, b: Entry) -> Entry:
    """Two entries of one observation as one: the earlier's fields, the count, the last time."""
    first = b if b[2] < a[2] else a
    return (*first[:7], seen(a) + seen(b), max(last_at(a), last_at(b)))


def _cap(timeline: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """Keep the first TIMELINE_HEAD and the newest entries; fold the rest into one marker."""
    real = [i for i, e in enumerate(timeline) if e[3] != FOLDED]
    if len(real) <= TIMELINE_CAP:
        return timeline
    head = real[:TIMELINE_HEAD]
    tail = real[len(real) - (TIMELINE_CAP - TIMELINE_HEAD) :]
    kept = set(head) | set(tail)
    folded = [e for i, e in enumerate(timeline) if i not in kept]
    marker: Entry = (
        "unknown", "", min(e[2] for e in folded), FOLDED, None, None, None,
        sum(seen(e) for e in folded), max(last_at(e) for e in folded),
    )  # fmt: skip
    return (*(timeline[i] for i in head), marker, *(timeline[i] for i in tail))


def folded_count(timeline: tuple[Entry, ...]) -> int:
    """How many observations the cap folded away (0 when none)."""
    return sum(seen(e) for e in timeline if e[3] == FOLDED)
