"""Request budgets: the gateways' documented limits as data, enforced with sliding windows."""

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
    "default_limits",
]
