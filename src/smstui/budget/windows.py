"""Sliding-window request budgets over the limit rows, with back-offs for errors 9 and 4.

With a `path` the state lives in a file every smstui process on the cache shares (shared.py);
without one it lives in this process's memory (unit tests, benchmarks).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path

from smstui.budget.limits import UNLIMITED, BudgetEvent, BudgetExceeded, Limit
from smstui.budget.shared import BudgetState, SharedState, clamp
from smstui.budget.wording import ask_again, row_text
from smstui.clock import Clock
from smstui.controller import Backoff, LimitLeft

_GC_EVERY = 1024  # in-memory spends between sweeps of idle per-key windows


def key_text(key: Hashable) -> str:
    """A per-key window's name: the repr of the key (tuples of str/int/None: stable, JSON-safe)."""
    return repr(key)


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
        path: Path | None = None,
        name: str = "",
        on_event: Callable[[BudgetEvent], None] | None = None,
        max_events: int = 200,
    ) -> None:
        self._clock = clock
        self.rows = tuple(rows)
        self.name = name
        self._by_endpoint: dict[str, list[Limit]] = {}
        for row in self.rows:
            self._by_endpoint.setdefault(row.endpoint, []).append(row)
        self._window_s = {r.name: r.window_s for r in self.rows}
        self._shared = SharedState(path) if path is not None else None
        self._mem = BudgetState()
        self._on_event = on_event
        self.events: deque[BudgetEvent] = deque(maxlen=max_events)
        self.spent = 0
        self._since_gc = 0

    @property
    def path(self) -> Path | None:
        """The shared state file, or None for an in-memory budget."""
        return self._shared.path if self._shared is not None else None

    @property
    def _windows(self) -> dict[tuple[str, str], deque[float]]:
        """The live (row, key) windows as judged now (for tests and debugging)."""
        return self._state().windows

    # ---- state --------------------------------------------------------------------------

    def _state(self) -> BudgetState:
        """The state to judge by now: the shared file's latest, or this process's own."""
        now = self._clock.now()
        if self._shared is not None:
            return self._shared.read(now)
        clamp(self._mem, now)  # the file's state is clamped as it is read (decode)
        return self._mem

    @contextlib.contextmanager
    def _changing(self) -> Iterator[BudgetState]:
        """The state to change: read-modify-write under the file's lock when shared."""
        if self._shared is None:
            clamp(self._mem, self._clock.now())
            yield self._mem
            return
        now = self._clock.now()
        with self._shared.update(now) as state:
            yield state
            self._sweep(state, now)  # the file holds only windows that still count

    def _window(self, st: BudgetState, row: Limit, key: Hashable, now: float) -> deque[float]:
        """The live timestamps of one (row, key) window, expired ones dropped."""
        dq = st.windows.get((row.name, key_text(key) if row.per_key else ""))
        if dq is None:
            return deque()
        edge = now - row.window_s
        while dq and dq[0] <= edge:
            dq.popleft()
        return dq

    def _rows(self, endpoint: str, key: Hashable) -> list[Limit]:
        rows = self._by_endpoint.get(endpoint, [])
        # Without a key a per-key row cannot be judged; it is not what the caller is asking.
        return rows if key is not None else [r for r in rows if not r.per_key]

    def _penalty(self, st: BudgetState, endpoint: str) -> float:
        return st.penalties.get(endpoint, (0.0, ""))[0]

    # ---- asking -------------------------------------------------------------------------

    def _next_allowed(self, st: BudgetState, endpoint: str, key: Hashable, now: float) -> float:
        at = max(now, st.blocked_until, self._penalty(st, endpoint))
        for row in self._rows(endpoint, key):
            dq = self._window(st, row, key, now)
            if len(dq) >= row.max:
                # The oldest request that must leave the window before one more fits.
                at = max(at, dq[len(dq) - row.max] + row.window_s)
        return at

    def next_allowed_at(self, endpoint: str, key: Hashable = None) -> float:
        """The earliest moment a request to `endpoint` (for `key`) is allowed; now if it is."""
        return self._next_allowed(self._state(), endpoint, key, self._clock.now())

    def can_spend(self, endpoint: str, key: Hashable = None) -> bool:
        """True when one more request would break no row and no back-off is active."""
        now = self._clock.now()
        return self._next_allowed(self._state(), endpoint, key, now) <= now

    def _blocking(self, st: BudgetState, endpoint: str, key: Hashable, now: float) -> str:
        if st.blocked_until > now:
            return "account blocked"
        if self._penalty(st, endpoint) > now:
            return f"{endpoint} penalised"
        for row in self._rows(endpoint, key):
            if len(self._window(st, row, key, now)) >= row.max:
                return row.name
        return ""

    def blocking_row(self, endpoint: str, key: Hashable = None) -> str:
        """The name of what refuses a request right now ('' when it is allowed)."""
        return self._blocking(self._state(), endpoint, key, self._clock.now())

    def remaining(self, endpoint: str, key: Hashable = None) -> int:
        """How many requests are allowed right now (UNLIMITED when no row applies)."""
        now = self._clock.now()
        st = self._state()
        if st.blocked_until > now or self._penalty(st, endpoint) > now:
            return 0
        left = UNLIMITED
        for row in self._rows(endpoint, key):
            left = min(left, row.max - len(self._window(st, row, key, now)))
        return max(0, left)

    @property
    def unsaved(self) -> str:
        """Why the shared budget file cannot be written now ("" when it can, or in memory)."""
        return self._shared.problem if self._shared is not None else ""

    def refusal(self, endpoint: str, key: Hashable = None) -> BudgetExceeded:
        """The error for a refused request, saying why and when to ask again in words."""
        now = self._clock.now()
        if self.unsaved:
            assert self._shared is not None
            text = (
                f"nothing asked: the shared request budget cannot be saved ({self.unsaved}), and "
                "a request other smstui processes cannot count could break the gateway's limits "
                f"(five wrong passwords block this machine's IP); free space in "
                f"{self._shared.path.parent} and ask again"
            )
            return BudgetExceeded(endpoint, key, now, "budget unsaved", text=text)
        st = self._state()
        at = self._next_allowed(st, endpoint, key, now)
        blocking = self._blocking(st, endpoint, key, now)
        if st.blocked_until > now:
            who = f"account {self.name!r}" if self.name else "this account"
            why = f"requests to {who} are paused ({st.blocked_reason or 'blocked'})"
        elif self._penalty(st, endpoint) > now:
            reason = st.penalties[endpoint][1] or "the gateway asked us to slow down"
            why = f"{endpoint} requests are paused ({reason})"
        else:
            row = next((r for r in self.rows if r.name == blocking), None)
            why = f"{row_text(row)} is spent" if row else f"{endpoint} is refused"
        return BudgetExceeded(endpoint, key, at, blocking, text=f"{why}; {ask_again(at, now)}")

    # ---- recording ----------------------------------------------------------------------

    def take(self, endpoint: str, key: Hashable = None) -> float | None:
        """Record a request if it is allowed: the moment recorded (for refund), else None."""
        now = self._clock.now()
        with self._changing() as st:
            if self._next_allowed(st, endpoint, key, now) > now:
                return None
            for row in self._by_endpoint.get(endpoint, []):
                wkey = (row.name, key_text(key) if row.per_key else "")
                st.windows.setdefault(wkey, deque()).append(now)
        if self.unsaved:
            # Fail closed: a spend (or a failed login) other processes cannot see would let
            # each of them ask again, and five wrong passwords get the machine's IP blocked.
            self.spent += 1
            self.refund(endpoint, key, now)
            return None
        self.spent += 1
        self._since_gc += 1
        if self._shared is None and self._since_gc >= _GC_EVERY:
            self._sweep(self._mem, now)
        return now

    def try_spend(self, endpoint: str, key: Hashable = None) -> bool:
        """Record a request if it is allowed; False (and nothing recorded) when it is not."""
        return self.take(endpoint, key) is not None

    def refund(self, endpoint: str, key: Hashable, at: float) -> None:
        """Undo the spend take() recorded at `at`: the request never reached the gateway."""
        with self._changing() as st:
            for row in self._by_endpoint.get(endpoint, []):
                dq = st.windows.get((row.name, key_text(key) if row.per_key else ""))
                if dq is not None and at in dq:
                    dq.remove(at)  # one request's mark; another process's are left alone
        self.spent = max(0, self.spent - 1)

    def spend(self, endpoint: str, key: Hashable = None) -> None:
        """Record a request; raises BudgetExceeded (recording nothing) when it is not allowed."""
        if not self.try_spend(endpoint, key):
            raise self.refusal(endpoint, key)

    def _sweep(self, st: BudgetState, now: float) -> None:
        """Forget windows whose every request has aged out (status keys come and go)."""
        self._since_gc = 0
        idle = [
            k
            for k, dq in st.windows.items()
            if not dq or dq[-1] <= now - self._window_s.get(k[0], 0.0)
        ]
        for k in idle:
            del st.windows[k]
        for endpoint in [e for e, (until, _) in st.penalties.items() if until <= now]:
            del st.penalties[endpoint]
            st.penalty_since.pop(endpoint, None)

    # ---- back-offs ----------------------------------------------------------------------

    def penalise(self, endpoint: str, until: float, reason: str = "") -> None:
        """Refuse `endpoint` until `until` (after error 9: our model of the limits was wrong)."""
        with self._changing() as st:
            longer = until > self._penalty(st, endpoint)
            if longer:
                st.penalties[endpoint] = (until, reason)
                st.penalty_since[endpoint] = self._clock.now()
        if longer:
            self._emit(BudgetEvent("penalised", endpoint, until, self._clock.now(), reason))

    def block_account(self, until: float, reason: str = "", *, kind: str = "") -> None:
        """Refuse everything until `until` (after error 4, or logins that keep failing).

        `kind` "login" marks smstui's own pause after failed logins: clear_login_pause() lifts it.
        """
        with self._changing() as st:
            longer = until > st.blocked_until
            if longer:
                st.blocked_until, st.blocked_reason = until, reason
                st.blocked_since, st.blocked_kind = self._clock.now(), kind
        if longer:
            self._emit(BudgetEvent("blocked", "*", until, self._clock.now(), reason))

    def login_failed(self) -> int:
        """Count a failed login (shared by every process on the account); the count in a row."""
        with self._changing() as st:
            st.failed_logins += 1
            return st.failed_logins

    def login_succeeded(self) -> None:
        """A request was accepted: the failed-login count starts again from zero."""
        if self._state().failed_logins:  # no write (and no fsync) on the common path
            with self._changing() as st:
                st.failed_logins = 0

    def clear_login_pause(self) -> bool:
        """Forget failed logins and lift their pause (the config was fixed); True if one held.

        A pause the gateway imposed (error 4, a locked account) stays: asking would only earn
        it again.
        """
        with self._changing() as st:
            paused = st.blocked_kind == "login" and st.blocked_until > self._clock.now()
            if paused:
                st.blocked_until, st.blocked_reason, st.blocked_kind = 0.0, "", ""
            had = paused or st.failed_logins > 0
            st.failed_logins = 0
        return had

    @property
    def blocked_by_login(self) -> bool:
        """True while the account-wide pause is smstui's own after failed logins."""
        st = self._state()
        return st.blocked_kind == "login" and st.blocked_until > self._clock.now()

    @property
    def failed_logins(self) -> int:
        """Failed logins in a row on this account, as every process has counted them."""
        return self._state().failed_logins

    @property
    def blocked_until(self) -> float | None:
        """When an account-wide block ends, or None when there is none now."""
        until = self._state().blocked_until
        return until if until > self._clock.now() else None

    @property
    def blocked_reason(self) -> str:
        """Why the account is blocked ('' when it is not)."""
        st = self._state()
        return st.blocked_reason if st.blocked_until > self._clock.now() else ""

    def backoff_until(self) -> float | None:
        """The latest active endpoint penalty, or None."""
        now = self._clock.now()
        active = [until for until, _ in self._state().penalties.values() if until > now]
        return max(active) if active else None

    def _emit(self, event: BudgetEvent) -> None:
        self.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    # ---- for the health line ------------------------------------------------------------

    def limits_left(self) -> tuple[LimitLeft, ...]:
        """Every documented per-login row: requests left in its own window (the health line)."""
        return tuple(
            left for left in self.rows_left() if left.per == "login" and left.layer != "margin"
        )

    def rows_left(self) -> tuple[LimitLeft, ...]:
        """Every row with what is left in its own window, its window and its source.

        A per-key row (per message, phone, request) shows what a fresh key has: each message's
        window is its own, so there is no single count to show.
        """
        now = self._clock.now()
        st = self._state()
        out = []
        for row in self.rows:
            used = 0 if row.per_key else len(self._window(st, row, None, now))
            out.append(
                LimitLeft(
                    row.name, max(0, row.max - used), row.max,
                    self._next_allowed(st, row.endpoint, None, now),
                    window_s=row.window_s, source=row.source, layer=row.layer, per=row.per,
                    endpoint=row.endpoint,
                )
            )  # fmt: skip
        return tuple(out)

    def backoffs(self) -> tuple[Backoff, ...]:
        """The pauses in force now: an account-wide block, then each penalised endpoint."""
        now = self._clock.now()
        st = self._state()
        out = []
        if st.blocked_until > now:
            out.append(Backoff("*", st.blocked_until, st.blocked_reason))
        for endpoint, (until, why) in sorted(st.penalties.items()):
            if until > now:
                out.append(Backoff(endpoint, until, why))
        return tuple(out)
