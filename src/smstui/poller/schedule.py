"""When a status request is due, and what it carries: every open message, viewed ones first."""

from __future__ import annotations

from collections.abc import Iterable

from smstui.model import Message, askable

# (age below, check every): a message is most likely to change in its first hour (operators'
# delays, stragglers up to half an hour); after that it changes only when its validity ends
# (1 h, 3 h, 24 h are common), so it is asked half as often. Since every request carries every
# open message, these steps set the request cadence: the youngest open message's interval.
AGE_STEPS: tuple[tuple[float, float], ...] = (
    (60 * 60, 60.0),
    (float("inf"), 120.0),
)

# An undocumented cap of our own (smsc.md §3.2, Q11: no maximum is documented): 10,000 rows
# of an all=2 reply stay far below the client's 16 MB reply cap.
MASS_MAX_IDS = 10_000
# The user's view (a follow-mode page, a filter) is bounded so ordering stays cheap.
MAX_PRIORITY = 5_000

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
    """Remembers when each message was last asked about; decides when the next request is due
    and which open messages it carries."""

    def __init__(self, *, max_age_s: float = 24 * 3600, max_ids: int = MASS_MAX_IDS) -> None:
        self.max_age_s = max_age_s  # SMSC archives after a day: older ones come from history
        self.max_ids = max_ids
        self._last_checked: dict[Key, float] = {}
        self._priority: dict[Key, int] = {}  # key → rank (0 first)

    # ---- what the user is looking at ------------------------------------------------------

    def prioritise(self, keys: Iterable[Key]) -> None:
        """These messages (in this order) are asked first and every base interval; replaces
        the previous set (an empty one clears it)."""
        self._priority = {}
        for key in keys:
            if len(self._priority) >= MAX_PRIORITY:
                break
            self._priority.setdefault(key, len(self._priority))

    @property
    def priority(self) -> tuple[Key, ...]:
        """The prioritised keys, first first."""
        return tuple(self._priority)

    # ---- per-message clocks ---------------------------------------------------------------

    def _open(self, pending: Iterable[Message], now: float) -> list[tuple[float, Message]]:
        """(age, message) for every open message that may be asked (young enough, askable)."""
        out = []
        for message in pending:
            if message.state.is_final or not askable(message):
                continue
            sent = message.sent_at if message.sent_at is not None else now
            age = max(0.0, now - sent)
            if now - sent <= self.max_age_s:
                out.append((age, message))
        return out

    def _due_at(self, message: Message, age: float, now: float, safety_net: bool) -> float:
        """When this message's own clock says it should be asked next."""
        last = self._last_checked.get(message.key)
        if message.key in self._priority:  # being looked at: fresh every base interval
            return now if last is None else last + check_interval(0.0)
        if safety_net and last is None:
            # A pushed-about message is first asked about a while after sending.
            last = now - age
        if last is None:
            return now
        return last + check_interval(age, safety_net=safety_net)

    def due(
        self,
        pending: Iterable[Message],
        now: float,
        *,
        slack_s: float = 1.0,
        safety_net: bool = False,
    ) -> list[Message]:
        """Open messages whose own next check time has come, youngest first (slack absorbs
        timer jitter)."""
        out = [
            (age, m)
            for age, m in self._open(pending, now)
            if self._due_at(m, age, now, safety_net) <= now + slack_s
        ]
        out.sort(key=lambda pair: pair[0])
        return [m for _, m in out]

    def batch(
        self,
        pending: Iterable[Message],
        now: float,
        *,
        slack_s: float = 1.0,
        safety_net: bool = False,
        ride_along: bool = True,
    ) -> tuple[list[Message], int]:
        """What the next request carries, and how many open messages it must leave out.

        Nothing while no message is due. Once one is, a mass request costs the same whatever
        it carries, so it carries every open message (`ride_along`): a status that became final
        meanwhile waits for one request, never for its message's own turn. When the request
        has to choose (the id cap, or no ride-along), viewed messages come first, then the ones
        asked longest ago, youngest first among equals.
        """
        opened = self._open(pending, now)
        due = {m.key for age, m in opened if self._due_at(m, age, now, safety_net) <= now + slack_s}
        if not due:
            return [], 0
        if not ride_along:
            opened = [(age, m) for age, m in opened if m.key in due]
        never, rank = float("-inf"), self._priority

        def order(pair: tuple[float, Message]) -> tuple[int, float, float]:
            age, m = pair
            return (rank.get(m.key, MAX_PRIORITY), self._last_checked.get(m.key, never), age)

        opened.sort(key=order)
        carried = [m for _, m in opened[: self.max_ids]]
        return carried, len(opened) - len(carried)

    def interval_now(
        self, pending: Iterable[Message], now: float, *, safety_net: bool = False
    ) -> float | None:
        """The cadence requests run at now: the shortest interval of any open message (every
        request carries them all); None when nothing is open."""
        best: float | None = None
        for age, m in self._open(pending, now):
            step = (
                check_interval(0.0)
                if m.key in self._priority
                else check_interval(age, safety_net=safety_net)
            )
            best = step if best is None else min(best, step)
        return best

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
        times = [self._due_at(m, age, now, safety_net) for age, m in self._open(pending, now)]
        return min(times) if times else None
