"""The gate for one CLI command: the account's gateway on the machine-wide budget.

The same Gate as the poller's (budget_for, FailureGuard): a command run next to `smstui poll`
never breaks a documented limit, and two failed logins stop both. When the budget says no, the
command raises BudgetExceeded, which the CLI prints as one line ("…; ask again in 42 s
(05:51:12)") with exit code 1; nothing is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from smstui.budget import budget_for
from smstui.clock import Clock, SystemClock
from smstui.config import Account, Config
from smstui.gateways.base import make_gateway
from smstui.poller.gate import Gate


@asynccontextmanager
async def budgeted(
    config: Config, account: Account, *, clock: Clock | None = None
) -> AsyncIterator[Gate]:
    """The account's gate on the config's shared budget; the connection pool closed after."""
    clock = clock or SystemClock()
    gateway = make_gateway(account, clock=clock)
    try:
        # quiet: the CLI prints the error itself
        yield Gate(gateway, budget_for(account, clock, config.cache_dir), clock, quiet=True)
    finally:
        await gateway.aclose()
