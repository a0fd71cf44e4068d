"""Turns gateway failures into back-offs and visible state, so one bad reply never stops polling."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from smstui.budget import Budget
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
AUTH_PAUSE_S = 10 * 60.0  # 5 auth failures in 30 min get the IP blocked: never hammer
DOWN_BASE_S, DOWN_MAX_S = 5.0, 300.0


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

    def __init__(self, budget: Budget, *, rng: random.Random | None = None) -> None:
        self.budget = budget
        self.state = GuardState()
        self._rng = rng or random.Random()

    def paused_until(self, now: float) -> float | None:
        """While the gateway is down, polling waits until this moment."""
        return self.state.down_until if self.state.down_until > now else None

    def success(self) -> None:
        """A request went through: the gateway is up again."""
        self.state.gateway_down = False
        self.state.failures_in_a_row = 0
        self.state.down_until = 0.0
        self.state.auth_failed = False

    def failure(self, err: GatewayError, endpoint: str, now: float) -> str:
        """Record a failure; returns the one-line text the event log and health line show."""
        text = f"{endpoint}: {err}"
        self.state.last_error, self.state.last_error_at = text, now
        if isinstance(err, RateLimited):
            self.state.limit_errors += 1
            self.budget.penalise(endpoint, now + PENALTY_S, "error 9 from the gateway")
        elif isinstance(err, IpBlocked):
            self.state.limit_errors += 1
            self.budget.block_account(now + BLOCK_S, "error 4: IP blocked by the gateway")
        elif isinstance(err, AuthError):
            self.state.auth_failed = True
            self.budget.block_account(now + AUTH_PAUSE_S, "authorisation failed; check config")
        elif isinstance(err, TransportError | BadPayload):
            self.state.failures_in_a_row += 1
            self.state.gateway_down = True
            base = min(DOWN_MAX_S, DOWN_BASE_S * 2 ** (self.state.failures_in_a_row - 1))
            # Jitter so several smstui instances behind one NAT do not retry in lockstep.
            self.state.down_until = now + base * self._rng.uniform(0.8, 1.2)
        elif isinstance(err, ApiError):
            pass  # a refused request (bad parameters, unknown id): nothing to back off
        log.warning("%s", text)
        return text
