"""Sliding-window limits on the emulator's clock: per-rule keys, auth-failure IP blocks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

AUTH_WINDOW_S = 30 * 60
AUTH_FAILURES = 5
BLOCK_S = 30 * 60
SEND_ERRORS = 100  # erroneous send requests in a row …
SEND_ERROR_WINDOW_S = 10 * 60  # … within 10 min …
SEND_ERROR_BLOCK_S = 10 * 60  # … block the IP for 10 min (smsc.md §9)
SEND_ERRORS_COUNTED = frozenset({1, 3, 5, 6, 7, 8})  # parameter and business errors of send.php


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


class IpBlocks:
    """Temporary IP blocks (error 4 on every SMSC endpoint) and when each one ends."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def block(self, ip: str, until: float) -> None:
        """Block `ip` until the given emulated time (an existing longer block is kept)."""
        self._until[ip] = max(until, self._until.get(ip, until))

    def blocked(self, ip: str, now: float) -> bool:
        """True while the IP's block lasts."""
        until = self._until.get(ip)
        if until is None:
            return False
        if now >= until:
            del self._until[ip]
            return False
        return True


class AuthGuard:
    """Five authorization failures from one IP within 30 min block it for 30 min (error 4)."""

    def __init__(self, blocks: IpBlocks | None = None) -> None:
        self.blocks = blocks if blocks is not None else IpBlocks()
        self._failures: dict[str, deque[float]] = {}

    def fail(self, ip: str, now: float) -> None:
        """Record a failed login; block the IP on the fifth within the window."""
        if self.blocks.blocked(ip, now):
            return  # failures while blocked neither extend nor renew the block
        hits = self._failures.setdefault(ip, deque())
        while hits and hits[0] <= now - AUTH_WINDOW_S:
            hits.popleft()
        hits.append(now)
        if len(hits) >= AUTH_FAILURES:
            self.blocks.block(ip, now + BLOCK_S)
            hits.clear()

    def blocked(self, ip: str, now: float) -> bool:
        """True while the IP is blocked, for whatever reason."""
        return self.blocks.blocked(ip, now)


class SendErrorGuard:
    """100 erroneous send requests in a row within 10 min block the IP for 10 min (FAQ 99).

    "In a row": a successful send ends the streak. A refused duplicate (error 9) neither
    extends nor ends it, since the request was never judged.
    """

    def __init__(self, blocks: IpBlocks) -> None:
        self.blocks = blocks
        self._streaks: dict[str, deque[float]] = {}

    def outcome(self, ip: str, now: float, error: int | None) -> None:
        """Record how one send request from `ip` ended (None = accepted)."""
        if error is None:
            self._streaks.pop(ip, None)
            return
        if error not in SEND_ERRORS_COUNTED:
            return
        streak = self._streaks.setdefault(ip, deque())
        while streak and streak[0] <= now - SEND_ERROR_WINDOW_S:
            streak.popleft()  # too old to be part of "100 within 10 min"
        streak.append(now)
        if len(streak) >= SEND_ERRORS:
            self.blocks.block(ip, now + SEND_ERROR_BLOCK_S)
            streak.clear()


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
