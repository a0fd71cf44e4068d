"""A send is an intent first: journaled before the request leaves, settled by the reply.

The SMS can go out, and be charged, even when its reply is lost, cut off or interrupted. So the
cache records the send before the request leaves, as OUTCOME_UNKNOWN under the client id the
request carries, and the reply settles it: sent (the gateway's id, parts, cost), refused
(nothing charged: the connection was refused or the gateway said no), or it stays unknown and
the poller asks its status (SMSC knows it by the client id, which becomes its message id).
Nothing here ever resends: an unknown outcome is reconciled, never repeated.

Every send goes through here: `smstui send`, `smstui resend` and the dashboard's resends.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from smstui.clock import Clock
from smstui.codes import NO_REPLY, NOT_SENT, REFUSED
from smstui.errors import ApiError, GatewayError, NotSent, OutcomeUnknown, StoreError
from smstui.gateways.base import fresh_client_id
from smstui.gateways.smsc_parse import normalize_phone
from smstui.gateways.webcom_parse import phone_digits
from smstui.model import (
    INTENT_PREFIX,
    DeliveryState,
    Message,
    Provider,
    Rekey,
    SendResult,
    sent_message,
)
from smstui.poller.gate import Gate

# A "not found" for an unknown outcome younger than this may be a send the gateway is still
# taking in; older, it means the request never arrived (nothing was sent or charged).
SETTLE_AFTER_S = 120.0

Journal = Callable[[Sequence[Message | Rekey]], Awaitable[object]]


@dataclass
class Attempt:
    """One send's identity, known before it starts; `intent` is set once it is journaled."""

    client_id: str
    intent: Message | None = None


def recipient(provider: Provider, phone: str) -> str:
    """The phone as the gateway's reply will name it (the intent's key must match it)."""
    if provider is Provider.SMSC:
        return normalize_phone(phone)
    return phone_digits(phone)


def intent_message(
    account: str, provider: Provider, client_id: str, phone: str, text: str, sender: str,
    now: float, *, resend_of: str = "",
) -> Message:  # fmt: skip
    """The cache's record of a send about to leave (outcome unknown until the reply)."""
    # SMSC gives a send the id it was asked with; Webcom names it only in its reply.
    message_id = client_id if provider is Provider.SMSC else INTENT_PREFIX + client_id
    return Message(
        account, provider, message_id, recipient(provider, phone), DeliveryState.OUTCOME_UNKNOWN,
        text, sender, now, NO_REPLY, None, updated_at=now, resend_of=resend_of,
    )  # fmt: skip


def settles_as_not_sent(stored: Message | None, answer: Message, now: float) -> bool:
    """A "not found" that settles an unknown outcome: the request never arrived."""
    return (
        stored is not None
        and stored.state is DeliveryState.OUTCOME_UNKNOWN
        and answer.state is DeliveryState.NOT_FOUND
        and now - (stored.sent_at or now) >= SETTLE_AFTER_S
    )


def refused(intent: Message, err: GatewayError, now: float) -> Message:
    """The intent settled as refused: nothing left this machine, or the gateway said no."""
    code = err.code if isinstance(err, ApiError) else None
    raw = NOT_SENT if isinstance(err, NotSent) else REFUSED
    return Message(
        intent.account, intent.provider, intent.message_id, intent.phone,
        DeliveryState.REJECTED, intent.text, intent.sender, intent.sent_at, raw, code,
        updated_at=now, resend_of=intent.resend_of,
    )  # fmt: skip


async def send(
    gate: Gate,
    journal: Journal,
    phone: str,
    text: str,
    clock: Clock,
    *,
    sender: str = "",
    resend_of: str = "",
    attempt: Attempt | None = None,
) -> tuple[SendResult, Message]:
    """Send one SMS through the gate; the cache holds its outcome before this returns.

    Raises the gateway's error when it was refused (recorded as rejected), OutcomeUnknown when
    no usable reply came (recorded as outcome unknown), BudgetExceeded before anything, and
    StoreError when the intent could not be journaled (then nothing was sent: fail closed).
    """
    attempt = attempt or Attempt(fresh_client_id())  # a new id: never an "identical request"
    account = gate.gateway.account
    intent = intent_message(account.name, account.provider, attempt.client_id, phone, text,
                            sender, clock.now(), resend_of=resend_of)  # fmt: skip

    async def request() -> SendResult:
        # From here the intent may be on disk: an interruption is an unknown outcome, not a
        # send that never happened (Ctrl-C can land between the fsync and this coroutine).
        attempt.intent = intent
        try:
            await journal([intent])  # durable before the request leaves, or no request at all
        except StoreError:
            attempt.intent = None
            raise
        return await gate.gateway.send(
            phone, text, sender=sender or None, client_id=attempt.client_id
        )

    try:
        result = await gate.ask("send", ("send", attempt.client_id), request)
    except (NotSent, ApiError) as err:
        if attempt.intent is not None:
            await journal([refused(intent, err, clock.now())])
        raise
    except GatewayError as err:  # a timeout, a cut or unreadable reply: it may have gone out
        raise OutcomeUnknown(intent, str(err)) from err
    sent = sent_message(result, account.provider, text, sender, intent.phone, clock.now(),
                        resend_of=resend_of)  # fmt: skip
    try:
        await journal([Rekey(intent.key, sent.key), sent] if sent.key != intent.key else [sent])
    except StoreError as err:
        raise StoreError(
            f"sent {result.message_id} to {result.phone}, but the cache could not record the "
            f"reply ({err}); it shows as outcome unknown until its status is asked"
        ) from err
    return result, sent
