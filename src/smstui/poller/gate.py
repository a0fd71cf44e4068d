"""The one gate every gateway request passes: budget, failure guard, the request, its outcome.

The poller, the UI's actions (through the engine) and the CLI commands all ask through a Gate,
so a rule about spending (what a refused connection costs, when a pause holds) lives here once.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

from smstui.budget import Budget
from smstui.clock import Clock
from smstui.errors import GatewayError, NotSent
from smstui.gateways.base import Gateway
from smstui.poller.guard import FailureGuard

T = TypeVar("T")


class NotNow(enum.Enum):
    """The poller's answer when a request was refused or failed: try again in a later cycle."""

    NOT_NOW = "not now"


NOT_NOW = NotNow.NOT_NOW


class Gate:
    """One account's gateway behind its shared budget and failure guard."""

    def __init__(
        self,
        gateway: Gateway,
        budget: Budget,
        clock: Clock,
        *,
        quiet: bool = False,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.budget = budget
        self.clock = clock
        # quiet: the CLI prints the error itself, a WARNING log line would say it twice.
        self.guard = FailureGuard(budget, quiet=quiet)
        self.on_failure = on_failure  # e.g. the store's event log
        self.requests = 0  # requests that may have reached the gateway
        self.errors = 0

    async def ask(self, endpoint: str, key: Hashable, action: Callable[[], Awaitable[T]]) -> T:
        """A person's request: a refusal raises BudgetExceeded (saying when); failures raise."""
        stamp = self.budget.take(endpoint, key)
        if stamp is None:
            raise self.budget.refusal(endpoint, key)
        return await self._run(endpoint, key, stamp, action)

    async def try_ask(
        self, endpoint: str, key: Hashable, action: Callable[[], Awaitable[T]]
    ) -> T | NotNow:
        """The poller's request: NOT_NOW while paused, refused or failed (failures recorded)."""
        if self.guard.paused_until(self.clock.now()):
            return NOT_NOW
        stamp = self.budget.take(endpoint, key)
        if stamp is None:
            return NOT_NOW
        try:
            return await self._run(endpoint, key, stamp, action)
        except GatewayError:
            return NOT_NOW

    async def _run(
        self, endpoint: str, key: Hashable, stamp: float, action: Callable[[], Awaitable[T]]
    ) -> T:
        self.requests += 1
        try:
            result = await action()
        except GatewayError as err:
            if isinstance(err, NotSent):
                # The connection was refused: nothing reached the gateway, so nothing is spent
                # and an immediate retry is not refused. A timeout does count (it may have).
                self.budget.refund(endpoint, key, stamp)
                self.requests -= 1
            self.errors += 1
            text = self.guard.failure(err, endpoint, self.clock.now())
            if self.on_failure is not None:
                self.on_failure(text)
            raise
        self.guard.success()
        return result
