"""Sliding-window request budgets over the limit rows, with back-offs for errors 9 and 4."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable

from smstui.budget.limits import UNLIMITED, BudgetEvent, BudgetExceeded, Limit
from smstui.clock import Clock
from smstui.controller import LimitLeft

_GC_EVERY = 1024  # spends between sweeps of idle per-key windows


class Budget:
    """The request budget of one login: ask before every request, record every request.

    `key` identifies "the same" request for per-key rows (a message key for status, a phone
    for operator lookups, the parameters for history); rows counted per login ignore it.
    """

    def __init__(
        self,
        clock: Clock,
        rows: Iterable[Limit] = (),
        *,
        on_event: Callable[[BudgetEvent], None] | None = None,
        max_events: int = 200,
    ) -> None:
        self._clock = clock
        self.rows = tuple(rows)
        self._by_endpoint: dict[str, list[Limit]] = {}
        for row in self.rows:
            self._by_endpoint.setdefault(row.endpoint, []).append(row)
        self._windows: dict[tuple[str, Hashable], deque[float]] = {}
        self._penalties: dict[str, float] = {}
        self._blocked_until = 0.0
        self._on_event = on_event
        self.events: deque[BudgetEvent] = deque(maxlen=max_events)
        self.spent = 0
        self._since_gc = 0

    # ---- asking -------------------------------------------------------------------------

    def _window(self, row: Limit, key: Hashable, now: float) -> deque[float] | None:
        """The live timestamps of one (row, key) window, expired ones dropped."""
        dq = self._windows.get((row.name, key if row.per_key else None))
        if dq is not None:
            edge = now - row.window_s
            while dq and dq[0] <= edge:
                dq.popleft()
        return dq

    def _rows(self, endpoint: str, key: Hashable) -> list[Limit]:
        rows = self._by_endpoint.get(endpoint, [])
        # Without a key a per-key row cannot be judged; it is not what the caller is asking.
        return rows if key is not None else [r for r in rows if not r.per_key]

    def next_allowed_at(self, endpoint: str, key: Hashable = None) -> float:
        """The earliest moment a request to `endpoint` (for `key`) is allowed; now if it is."""
        now = self._clock.now()
        at = max(now, self._blocked_until, self._penalties.get(endpoint, 0.0))
        for row in self._rows(endpoint, key):
            dq = self._window(row, key, now)
            if dq is not None and len(dq) >= row.max:
                # The oldest request that must leave the window before one more fits.
                at = max(at, dq[len(dq) - row.max] + row.window_s)
        return at

    def can_spend(self, endpoint: str, key: Hashable = None) -> bool:
        """True when one more request would break no row and no back-off is active."""
        return self.next_allowed_at(endpoint, key) <= self._clock.now()

    def blocking_row(self, endpoint: str, key: Hashable = None) -> str:
        """The name of what refuses a request right now ('' when it is allowed)."""
        now = self._clock.now()
        if self._blocked_until > now:
            return "account blocked"
        if self._penalties.get(endpoint, 0.0) > now:
            return f"{endpoint} penalised"
        for row in self._rows(endpoint, key):
            dq = self._window(row, key, now)
            if dq is not None and len(dq) >= row.max:
                return row.name
        return ""

    def remaining(self, endpoint: str, key: Hashable = None) -> int:
        """How many requests are allowed right now (UNLIMITED when no row applies)."""
        now = self._clock.now()
        if self._blocked_until > now or self._penalties.get(endpoint, 0.0) > now:
            return 0
        left = UNLIMITED
        for row in self._rows(endpoint, key):
            dq = self._window(row, key, now)
            left = min(left, row.max - (len(dq) if dq else 0))
        return max(0, left)

    # ---- recording ----------------------------------------------------------------------

    def try_spend(self, endpoint: str, key: Hashable = None) -> bool:
        """Record a request if it is allowed; False (and nothing recorded) when it is not."""
        if not self.can_spend(endpoint, key):
            return False
        now = self._clock.now()
        for row in self._by_endpoint.get(endpoint, []):
            wkey = (row.name, key if row.per_key else None)
            dq = self._windows.get(wkey)
            if dq is None:
                dq = self._windows[wkey] = deque()
            dq.append(now)
        self.spent += 1
        self._since_gc += 1
        if self._since_gc >= _GC_EVERY:
            self._gc(now)
        return True

    def spend(self, endpoint: str, key: Hashable = None) -> None:
        """Record a request; raises BudgetExceeded (recording nothing) when it is not allowed."""
        if not self.try_spend(endpoint, key):
            raise BudgetExceeded(
                endpoint, key, self.next_allowed_at(endpoint, key), self.blocking_row(endpoint, key)
            )

    def _gc(self, now: float) -> None:
        """Forget windows whose every request has aged out (status keys come and go)."""
        self._since_gc = 0
        windows = {r.name: r.window_s for r in self.rows}
        idle = [k for k, dq in self._windows.items() if not dq or dq[-1] <= now - windows[k[0]]]
        for k in idle:
            del self._windows[k]

    # ---- back-offs ----------------------------------------------------------------------

    def penalise(self, endpoint: str, until: float, reason: str = "") -> None:
        """Refuse `endpoint` until `until` (after error 9: our model of the limits was wrong)."""
        if until > self._penalties.get(endpoint, 0.0):
            self._penalties[endpoint] = until
            self._emit(BudgetEvent("penalised", endpoint, until, self._clock.now(), reason))

    def block_account(self, until: float, reason: str = "") -> None:
        """Refuse everything until `until` (after error 4: the gateway blocked our IP)."""
        if until > self._blocked_until:
            self._blocked_until = until
            self._emit(BudgetEvent("blocked", "*", until, self._clock.now(), reason))

    @property
    def blocked_until(self) -> float | None:
        """When an account-wide block ends, or None when there is none now."""
        return self._blocked_until if self._blocked_until > self._clock.now() else None

    def backoff_until(self) -> float | None:
        """The latest active endpoint penalty, or None."""
        now = self._clock.now()
        active = [t for t in self._penalties.values() if t > now]
        return max(active) if active else None

    def _emit(self, event: BudgetEvent) -> None:
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    # ---- for the health line ------------------------------------------------------------

    def limits_left(self) -> tuple[LimitLeft, ...]:
        """Remaining requests of every documented per-login row (per-key rows depend on the key)."""
        out = []
        for row in self.rows:
            # Margin rows are shown through the documented row they tighten: remaining()
            # already takes every row of the endpoint into account.
            if row.per_key or row.layer == "margin":
                continue
            left = self.remaining(row.endpoint)
            nxt = self.next_allowed_at(row.endpoint)
            out.append(LimitLeft(row.name, min(left, row.max), row.max, nxt))
        return tuple(out)
