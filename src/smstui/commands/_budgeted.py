"""A gateway for one CLI command that asks the machine-wide budget before every request.

The same budget file and failure rules as the poller (budget_for, FailureGuard): a command run
next to `smstui poll` never breaks a documented limit, and two failed logins stop both. When
the budget says no, the command raises BudgetExceeded, which the CLI prints as one line
("…; ask again in 42 s (05:51:12)") with exit code 1; nothing is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import TypeVar

from smstui.budget import Budget, budget_for
from smstui.clock import Clock, SystemClock
from smstui.config import Account, Config
from smstui.errors import GatewayError
from smstui.gateways.base import Gateway, make_gateway
from smstui.poller.guard import FailureGuard

T = TypeVar("T")


class BudgetedGateway:
    """One account's gateway plus its shared budget and failure guard."""

    def __init__(self, gateway: Gateway, budget: Budget, clock: Clock) -> None:
        self.gateway = gateway
        self.budget = budget
        self.clock = clock
        self.guard = FailureGuard(budget, quiet=True)  # the CLI prints the error itself

    async def call(self, endpoint: str, key: Hashable, action: Callable[[], Awaitable[T]]) -> T:
        """Spend, then run one request; a refusal raises BudgetExceeded before anything is sent."""
        if not self.budget.try_spend(endpoint, key):
            raise self.budget.refusal(endpoint, key)
        try:
            result = await action()
        except GatewayError as err:
            self.guard.failure(err, endpoint, self.clock.now())
            raise
        self.guard.success()
        return result


@asynccontextmanager
async def budgeted(
    config: Config, account: Account, *, clock: Clock | None = None
) -> AsyncIterator[BudgetedGateway]:
    """The account's gateway on the config's shared budget; the connection pool closed after."""
    clock = clock or SystemClock()
    gateway = make_gateway(account, clock=clock)
    try:
        yield BudgetedGateway(gateway, budget_for(account, clock, config.cache_dir), clock)
    finally:
        await gateway.aclose()
