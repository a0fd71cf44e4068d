"""Sliding-window limits on the emulator's clock: per-rule keys, auth-failure IP blocks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

AUTH_WINDOW_S = 30 * 60
AUTH_FAILURES = 5
BLOCK_S = 30 * 60


@dataclass(frozen=True)
class Rule:
    """At most `limit` accepted requests per `window_s` for one key."""

    name: str
    limit: int
    window_s: float


# smsc.md §9; the key that a rule counts under is chosen by the handler.
STATUS_SAME = Rule("status_same", 5, 60)
STATUS_MASS = Rule("status_mass", 1, 60)
HISTORY_SAME = Rule("history_same", 3, 60)
HISTORY_HOUR = Rule("history_hour", 30, 3600)
BALANCE = Rule("balance", 10, 60)
OPERATOR_SAME = Rule("operator_same", 3, 60)
OPERATOR_ANY = Rule("operator_any", 100, 60)
ANSWERS_SAME = Rule("answers_same", 3, 60)
SEND_SAME = Rule("send_same", 1, 60)
COST_SAME = Rule("cost_same", 5, 60)
WEBCOM_GET_SAME = Rule("webcom_get_same", 1, 60)


class Limiter:
    """Counts accepted requests per (rule, key) in sliding windows; refused ones do not count."""

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def _window(self, rule: Rule, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault((rule.name, key), deque())
        while hits and hits[0] <= now - rule.window_s:
            hits.popleft()
        return hits

    def allows(self, checks: list[tuple[Rule, str]], now: float) -> Rule | None:
        """The first rule that would be exceeded, or None after recording one hit on each."""
        for rule, key in checks:
            if len(self._window(rule, key, now)) >= rule.limit:
                return rule
        for rule, key in checks:
            self._hits[(rule.name, key)].append(now)
        return None

    def remaining(self, rule: Rule, key: str, now: float) -> int:
        """How many more requests the window would accept now."""
        return rule.limit - len(self._window(rule, key, now))


class AuthGuard:
    """Five authorization failures from one IP within 30 min block it for 30 min (error 4)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}

    def fail(self, ip: str, now: float) -> None:
        """Record a failed login; block the IP on the fifth within the window."""
        if self.blocked(ip, now):
            return  # failures while blocked neither extend nor renew the block
        hits = self._failures.setdefault(ip, deque())
        while hits and hits[0] <= now - AUTH_WINDOW_S:
            hits.popleft()
        hits.append(now)
        if len(hits) >= AUTH_FAILURES:
            self._blocked_until[ip] = now + BLOCK_S
            hits.clear()

    def blocked(self, ip: str, now: float) -> bool:
        """True while the IP's block lasts."""
        until = self._blocked_until.get(ip)
        if until is None:
            return False
        if now >= until:
            del self._blocked_until[ip]
            return False
        return True


class Concurrency:
    """In-flight requests per login, so the 15 (5 on status.php) simultaneous cap can bite."""

    def __init__(self, total: int, status: int) -> None:
        self.total_cap, self.status_cap = total, status
        self._total: dict[str, int] = {}
        self._status: dict[str, int] = {}

    def enter(self, login: str, is_status: bool) -> bool:
        """Register one request; False (nothing registered) when a cap is already reached."""
        total = self._total.get(login, 0)
        status = self._status.get(login, 0)
        if total >= self.total_cap or (is_status and status >= self.status_cap):
            return False
        self._total[login] = total + 1
        if is_status:
            self._status[login] = status + 1
        return True

    def leave(self, login: str, is_status: bool) -> None:
        """Unregister a request that `enter` accepted."""
        self._total[login] -= 1
        if is_status:
            self._status[login] -= 1
