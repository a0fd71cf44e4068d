"""The one way to get an account's budget: its provider's rows, shared through the cache dir."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from smstui.budget.limits import BudgetEvent, default_limits
from smstui.budget.shared import budget_path
from smstui.budget.windows import Budget
from smstui.clock import Clock
from smstui.config import Account


def budget_for(
    account: Account,
    clock: Clock,
    cache_dir: Path | None,
    *,
    on_event: Callable[[BudgetEvent], None] | None = None,
) -> Budget:
    """The budget every smstui process on `cache_dir` shares for this account (None: in memory)."""
    path = budget_path(cache_dir, account.name) if cache_dir is not None else None
    return Budget(
        clock, default_limits(account.provider), path=path, name=account.name, on_event=on_event
    )
