"""The Gateway protocol both providers implement, its paging value, and the factory."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import httpx

from smstui.clock import Clock
from smstui.config import Account
from smstui.errors import ConfigError
from smstui.gateways.http import RETRIES, OnRequest
from smstui.model import Balance, IncomingMessage, Message, NumberInfo, Provider, SendResult

_client_ids = random.SystemRandom()


def fresh_client_id() -> str:
    """A new client message id (digits, fits SMSC's int32 and Webcom's client_id_sms), so a
    resend is never an SMSC "identical request" nor a Webcom idempotent replay."""
    return str(_client_ids.randint(1_000_000_000, 2_147_483_647))


# The names in Gateway.requests_made and on_request(), one per kind of HTTP request; they match
# the emulator's /_emulator/stats "requests" keys.
ENDPOINTS = (
    "smsc.balance", "smsc.history", "smsc.status", "smsc.status_mass", "smsc.send",
    "smsc.operator", "smsc.answers",
    "webcom.balance", "webcom.state", "webcom.state_xml", "webcom.state_get", "webcom.send",
    "webcom.def_xml", "webcom.incoming_xml",
)  # fmt: skip


class UnsupportedOperation(ConfigError):
    """The provider has no such operation (Webcom history, Webcom HLR): a usage error."""


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """One page of sent-message history, newest first; pass next_before to get older ones."""

    messages: list[Message] = field(default_factory=list)
    next_before: str | None = None  # SMSC int_id for prev_id; None = no older page


@runtime_checkable
class Gateway(Protocol):
    """What the poller, the UI and the CLI may ask of a provider; values from model.py only."""

    account: Account
    supports_history: bool
    requests_made: Counter[str]

    async def balance(self) -> Balance:
        """The account's money now."""
        ...

    async def history(
        self,
        *,
        limit: int = 1000,
        before: str | None = None,
        phone: str | None = None,
        since: float | None = None,
    ) -> HistoryPage:
        """One page of sent messages, newest first (SMSC only)."""
        ...

    async def statuses(self, refs: Sequence[tuple[str, str]]) -> list[Message]:
        """Statuses of many (message_id, phone) pairs in one request; missing ones NOT_FOUND."""
        ...

    async def status(self, message_id: str, phone: str) -> Message:
        """Full detail of one message."""
        ...

    async def send(
        self,
        phone: str,
        text: str,
        *,
        sender: str | None = None,
        client_id: str | None = None,
    ) -> SendResult:
        """Send one SMS (never retried: a second copy would cost money)."""
        ...

    async def lookup(self, phone: str, *, hlr: bool = False) -> NumberInfo:
        """Operator information, or a paid live HLR query when hlr=True."""
        ...

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None
    ) -> list[IncomingMessage]:
        """Messages subscribers sent to our numbers."""
        ...

    async def aclose(self) -> None:
        """Release the connection pool."""
        ...


def make_gateway(
    account: Account,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_request: OnRequest | None = None,
    retries: int | None = None,
) -> Gateway:
    """The client for this account's provider.

    `on_request(endpoint)` runs before every HTTP request, retries included, with one of
    ENDPOINTS; it may raise (e.g. RateLimited) to refuse the request before anything is sent.
    `retries` (default 2) applies to reads only; sends are never retried. `transport` is for
    tests (httpx.MockTransport).
    """
    from smstui.gateways.smsc import SmscGateway
    from smstui.gateways.webcom import WebcomGateway

    clients: dict[Provider, type[SmscGateway | WebcomGateway]] = {
        Provider.SMSC: SmscGateway,
        Provider.WEBCOM: WebcomGateway,
    }
    client = clients.get(account.provider)
    if client is not None:
        attempts = RETRIES if retries is None else retries
        return client(
            account, clock=clock, transport=transport, on_request=on_request, retries=attempts
        )
    raise ConfigError(f"no gateway client for provider {account.provider!r}")
