"""What the UI may ask of the engine (poller + store): the one way user actions reach a gateway.

The poller implements `Controller`; the UI holds one and never talks to gateways or files itself,
so user actions spend the same request budget as polling does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from smstui.lag_estimate import LagEstimate
from smstui.model import Balance, Message, NumberInfo, SendResult


@dataclass(frozen=True, slots=True)
class LimitLeft:
    """How many requests one budget row still allows, and when the next one is allowed."""

    name: str  # e.g. "smsc.status_mass"
    remaining: int  # in this row's own window (per-key rows: what a fresh key has)
    limit: int
    next_allowed_at: float | None = None  # for the row's endpoint, every row counted
    window_s: float = 0.0
    source: str = ""  # where the limit is documented (smsc.md §…), or our margin's reason
    layer: str = "documented"  # "documented", "sibling" or "margin" (smstui's own, stricter)
    per: str = "login"  # "login" (every request) or what each key is: message, phone, request
    endpoint: str = ""


@dataclass(frozen=True, slots=True)
class Backoff:
    """A pause the budget imposes: one endpoint (error 9) or the whole account (error 4)."""

    endpoint: str  # "*" for the whole account
    until: float
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AccountHealth:
    """One account's polling state, for the health line."""

    account: str
    provider: str
    gateway_down: bool = False
    blocked_until: float | None = None  # error 4 (IP blocked), a locked account, failed logins
    blocked_by_login: bool = False  # the pause is smstui's own after failed logins
    blocked_reason: str = ""
    backoff_until: float | None = None  # error 9 or transport failures
    last_error: str = ""
    last_error_at: float | None = None
    last_poll_at: float | None = None
    next_poll_at: float | None = None
    requests_made: int = 0
    limit_errors: int = 0
    limits: tuple[LimitLeft, ...] = ()  # documented per-login rows (the health line)
    rows: tuple[LimitLeft, ...] = ()  # every row, margins and per-key ones too (the `h` screen)
    backoffs: tuple[Backoff, ...] = ()
    lag: LagEstimate | None = None  # how soon statuses arrive (lag_estimate.py)


NO_WRITER = "none"  # a follower's writer_pid when no live process writes the cache


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """Everything the health line shows, taken at one moment."""

    at: float
    accounts: tuple[AccountHealth, ...] = ()
    webhook_url: str | None = None
    webhook_counters: dict[str, int] = field(default_factory=dict)
    webhook_problem: str = ""  # the receiver could not start (e.g. its port is taken)
    notify_problem: str = ""  # alert notifiers failing ("notifier 1 (json://…): timed out")
    writer: bool = True  # False when attached read-only to another process's cache
    writer_pid: str = ""  # the process that writes the cache, when it is not us (NO_WRITER: none)
    cache_problem: str = ""  # a failed journal append or checkpoint ("" when all is well)
    replay: str = ""  # a replay of the past: its moment and speed ("replay 10:15 UTC ▶ ×10")


@dataclass(frozen=True, slots=True)
class StatusRefresh:
    """What re-asking one account for many statuses did (one request, through the budget)."""

    account: str
    asked: int  # messages whose status was requested
    changed: int = 0  # of those, how many the answer changed
    final: int = 0  # of those, how many are final now
    refused: str = ""  # why nothing was asked (budget, gateway error); "" when it was


class Controller(Protocol):
    """User actions the dashboard can request; each goes through the poller's budget."""

    def health(self) -> HealthSnapshot:
        """The current polling/webhook state (cheap, no I/O)."""
        ...

    async def refresh_status(self, key: tuple[str, str, str]) -> Message:
        """Ask the gateway for this message's status now (key = account, message_id, phone)."""
        ...

    async def refresh_statuses(self, keys: Sequence[tuple[str, str, str]]) -> list[StatusRefresh]:
        """Ask for many messages' statuses now: one mass request per account, in the budget.

        An account the budget or its gateway refuses is reported (`refused`), never raised,
        so the other accounts' answers still land.
        """
        ...

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """Operator / HLR information for a phone number."""
        ...

    async def resend(
        self, key: tuple[str, str, str], *, allow_permanent: bool = False
    ) -> SendResult:
        """Send the same text to the same phone again.

        Refuses (ResendRefused) what smstui.policy advises against unless `allow_permanent`:
        the user's explicit override of a permanent failure or an unfinished wait.
        """
        ...

    async def refresh_balance(self, account: str) -> Balance:
        """Fetch the balance now."""
        ...

    def prioritise(self, keys: Sequence[tuple[str, str, str]]) -> None:
        """The messages the user is looking at (a detail view), asked first when a request
        must choose; replaces the previous set. A controller that polls nothing ignores it."""
        ...

    async def export(self, path: Path, keys: list[tuple[str, str, str]], fmt: str) -> int:
        """Write these messages to CSV or JSONL (off the event loop); return rows written."""
        ...

    async def load_older(self) -> int:
        """Bring the next older day of the cache into memory (off the loop); messages added."""
        ...
