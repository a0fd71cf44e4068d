"""Request budgets: the gateways' documented limits as data, enforced with sliding windows."""

from smstui.budget.account import budget_for
from smstui.budget.limits import (
    CONCURRENCY,
    SMSC_LIMITS,
    SMSC_MARGINS,
    UNLIMITED,
    WEBCOM_LIMITS,
    WEBCOM_SIBLING_LIMITS,
    BudgetEvent,
    BudgetExceeded,
    Concurrency,
    Limit,
    default_limits,
)
from smstui.budget.shared import budget_path
from smstui.budget.windows import Budget

__all__ = [
    "CONCURRENCY",
    "SMSC_LIMITS",
    "SMSC_MARGINS",
    "UNLIMITED",
    "WEBCOM_LIMITS",
    "WEBCOM_SIBLING_LIMITS",
    "Budget",
    "BudgetEvent",
    "BudgetExceeded",
    "Concurrency",
    "Limit",
    "budget_for",
    "budget_path",
    "default_limits",
]
