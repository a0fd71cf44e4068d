"""Turns gateway failures into back-offs and visible state, so one bad reply never stops polling."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from smstui.budget import Budget
from smstui.budget.wording import duration, login_pause
from smstui.codes import webcom_error
from smstui.errors import (
    ApiError,
    AuthError,
    BadPayload,
    GatewayError,
    IpBlocked,
    RateLimited,
    TransportError,
)

log = logging.getLogger("smstui.poller")

PENALTY_S = 65.0  # after error 9: the documented windows are a minute long
BLOCK_S = 30 * 60.0  # error 4: SMSC blocks the IP for 30 minutes (smsc.md §9)
# SMSC blocks the IP after 5 failed logins in 30 min: every smstui process on the account stops
# after 2 in a row, and for the gateway's whole counting window.
LOGINS_BEFORE_BLOCK = 2
LOGIN_BLOCK_S = 30 * 60.0
RETRY_AFTER_MAX_S = 3600.0  # a hostile or broken Retry-After must not park an endpoint for days
DOWN_BASE_S, DOWN_MAX_S = 5.0, 300.0
# Webcom E2 / M3 (webcom.md §1.4, §6.2): the account is locked until Webcom unlocks it.
_WEBCOM_LOCKED = frozenset({"Ваш аккаунт заблокирован", "Аккаунт заблокирован."})


@dataclass
class GuardState:
    """What went wrong last for one account, as the health line shows it."""

    gateway_down: bool = False
    down_until: float = 0.0
    failures_in_a_row: int = 0
    last_error: str = ""
    last_error_at: float | None = None
    limit_errors: int = 0
    auth_failed: bool = False


class FailureGuard:
    """Maps each gateway error to a back-off of the right scope and remembers it for health()."""

    def __init__(
        self, budget: Budget, *, rng: random.Random | None = None, quiet: bool = False
    ) -> None:
        self.budget = budget
        self.state = GuardState()
        # Called with the endpoint of every limit error (error 9 or 4, HTTP 429): the metrics
        # count them per endpoint, which the state (per account) does not keep.
        self.limit_error_observers: list[Callable[[str], None]] = []
        self._rng = rng or random.Random()
        # The CLI prints the error itself: a WARNING log line as well would say it twice.
        self._level = logging.DEBUG if quiet else logging.WARNING

    def paused_until(self, now: float) -> float | None:
        """While the gateway is down, polling waits until this moment."""
        return self.state.down_until if self.state.down_until > now else None

    def success(self) -> None:
        """A request went through: the gateway is up again."""
        self.state.gateway_down = False
        self.state.failures_in_a_row = 0
        self.state.down_until = 0.0
        self.state.auth_failed = False
        self.budget.login_succeeded()

    def failure(self, err: GatewayError, endpoint: str, now: float) -> str:
        """Record a failure; returns the one-line text the event log and health line show."""
        text = f"{endpoint}: {err}"
        self.state.last_error, self.state.last_error_at = text, now
        limit_errors = self.state.limit_errors
        if err.retry_after is not None:  # HTTP 429/503 said how long: exactly that, no guess
            self.state.limit_errors += isinstance(err, RateLimited)
            wait = min(max(err.retry_after, 0.0), RETRY_AFTER_MAX_S)
            self.budget.penalise(endpoint, now + wait, f"the gateway asked for {duration(wait)}")
        elif isinstance(err, RateLimited):
            self.state.limit_errors += 1
            self.budget.penalise(endpoint, now + PENALTY_S, "error 9 from the gateway")
        elif isinstance(err, IpBlocked):
            self.state.limit_errors += 1
            self.budget.block_account(now + BLOCK_S, "error 4: IP blocked by the gateway")
        elif isinstance(err, AuthError):
            self.state.auth_failed = True
            failed = self.budget.login_failed()
            if failed >= LOGINS_BEFORE_BLOCK:
                reason = login_pause(failed, self.budget.name or err.account)
                self.budget.block_account(now + LOGIN_BLOCK_S, reason, kind="login")
        elif isinstance(err, ApiError) and _account_locked(err):
            self.budget.block_account(
                now + BLOCK_S, "webcom: account locked (E2); ask Webcom to unlock it"
            )
        elif isinstance(err, TransportError | BadPayload):
            self.state.failures_in_a_row += 1
            self.state.gateway_down = True
            base = min(DOWN_MAX_S, DOWN_BASE_S * 2 ** (self.state.failures_in_a_row - 1))
            # Jitter so several smstui instances behind one NAT do not retry in lockstep.
            self.state.down_until = now + base * self._rng.uniform(0.8, 1.2)
        elif isinstance(err, ApiError):
            pass  # a refused request (bad parameters, unknown id): nothing to back off
        if self.state.limit_errors > limit_errors:
            for observe in self.limit_error_observers:
                observe(endpoint)
        log.log(self._level, "%s", text)
        return text


def _account_locked(err: ApiError) -> bool:
    """True for Webcom's "account locked" errors (they arrive as plain ApiErrors)."""
    return err.provider == "webcom" and webcom_error(err.text).ru in _WEBCOM_LOCKED
