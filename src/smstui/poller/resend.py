"""The one resend flow (the UI's through the engine, and `smstui resend`): policy, gate, journal."""

from __future__ import annotations

from smstui.clock import Clock
from smstui.errors import UsageError
from smstui.gateways.base import fresh_client_id
from smstui.model import Message, SendResult, Source, sent_message
from smstui.policy import resend_advice
from smstui.poller.gate import Gate
from smstui.store import Store


async def resend(
    gate: Gate, store: Store, original: Message, clock: Clock, *, override: bool = False
) -> tuple[SendResult, Message]:
    """Send `original`'s text to its phone again; the new message is durable before we return.

    The policy's refusal (a permanent failure, or before an advised wait is over) raises
    ResendRefused unless `override`. The new message carries `resend_of` (the lineage link).
    """
    if not original.text:
        raise UsageError(f"message {original.message_id} has no known text, so it cannot be resent")
    resend_advice(original).check(clock.now(), override=override)
    client_id = fresh_client_id()  # a new id: never an "identical request" (error 9)
    result = await gate.ask(
        "send", ("resend", original.key, client_id),
        lambda: gate.gateway.send(original.phone, original.text,
                                  sender=original.sender or None, client_id=client_id),
    )  # fmt: skip
    sent = sent_message(result, original.provider, original.text, original.sender,
                        original.phone, clock.now(), resend_of=original.message_id)  # fmt: skip
    await store.apply_async([sent], source=Source.SEND)  # durable before anyone is told "sent"
    return result, sent
