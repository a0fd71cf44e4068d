"""Resend lineage: which message was resent as which, derived from `Message.resend_of`.

The link is stored once, on the new message (`resend_of`), in the same durable record as the
send itself: a crash can never leave half a link, and another process's `smstui resend` needs
to write nothing but its own new message. The original's "resent →" side is this index over
the loaded messages, kept current from the store's batches.
"""

from __future__ import annotations

from collections.abc import Iterable

from smstui.model import Message

Key = tuple[str, str, str]


def original_key(message: Message) -> Key | None:
    """The key of the message this one resends (same account and phone), or None."""
    if not message.resend_of:
        return None
    return (message.account, message.resend_of, message.phone)


def _same(key: Key) -> Key:
    # A gateway may echo the phone in another form (`+7 916…` sent, `7916…` answered): the
    # digits decide, so the link holds whichever form each side was stored with.
    account, message_id, phone = key
    return (account, message_id, "".join(ch for ch in phone if ch.isdigit()) or phone)


class Lineage:
    """original key → the ids it was resent as (oldest first); no I/O, no Textual."""

    def __init__(self, messages: Iterable[Message] = ()) -> None:
        # (send time, id) pairs in send order: the cache is read newest first, batches come
        # oldest first, and either way the last one is the latest resend.
        self._resent_as: dict[Key, tuple[tuple[float, str], ...]] = {}
        self.add_all(messages)

    def add(self, message: Message) -> bool:
        """Record one message's link; True when the index changed."""
        original = original_key(message)
        if original is None:
            return False
        original = _same(original)
        known = self._resent_as.get(original, ())
        if any(message_id == message.message_id for _, message_id in known):
            return False
        entry = (message.sent_at or 0.0, message.message_id)
        self._resent_as[original] = tuple(sorted((*known, entry)))
        return True

    def add_all(self, messages: Iterable[Message]) -> bool:
        """Record every link among `messages`; True when any was new."""
        changed = False
        for message in messages:
            changed = self.add(message) or changed
        return changed

    def resent_as(self, key: Key) -> tuple[str, ...]:
        """The ids this message was resent as, oldest first (empty: never resent)."""
        return tuple(message_id for _, message_id in self._resent_as.get(_same(key), ()))

    def was_resent(self, key: Key) -> bool:
        """Has this message been resent already (by any smstui process)?"""
        return _same(key) in self._resent_as

    def __len__(self) -> int:
        return len(self._resent_as)


def lineage_text(message: Message, resent_as: tuple[str, ...]) -> str:
    """`resent → 5123` / `resend of 5120` (both when a resend was resent again); '' if none."""
    parts = []
    if message.resend_of:
        parts.append(f"resend of {message.resend_of}")
    if resent_as:
        more = f" (+{len(resent_as) - 1} earlier)" if len(resent_as) > 1 else ""
        parts.append(f"resent → {resent_as[-1]}{more}")
    return " · ".join(parts)


def lineage_mark(message: Message, resent_as: tuple[str, ...]) -> str:
    """The history row's short form: `↻→5123` (resent as 5123), `↻←5120` (a resend of 5120)."""
    parts = []
    if message.resend_of:
        parts.append(f"↻←{message.resend_of}")
    if resent_as:
        parts.append(f"↻→{resent_as[-1]}")
    return " ".join(parts)
