"""The one resend flow (the UI's through the engine, and `smstui resend`): policy, gate, journal."""

from __future__ import annotations

from collections.abc import Sequence

from smstui.clock import Clock
from smstui.errors import UsageError
from smstui.model import Message, Rekey, SendResult, Source
from smstui.policy import resend_advice
from smstui.poller.gate import Gate
from smstui.poller.send import send
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

    async def journal(items: Sequence[Message | Rekey]) -> None:
        await store.apply_async(items, source=Source.SEND)

    return await send(gate, journal, original.phone, original.text, clock,
                      sender=original.sender, resend_of=original.message_id)  # fmt: skip
