"""The merge rules: what wins when two observations of one message disagree."""

from __future__ import annotations

from dataclasses import replace

from smstui.model import DeliveryState, Message, StatusChange

_NEG = float("-inf")
FINAL = frozenset(s for s in DeliveryState if s.is_final)
# Descriptive fields: a later observation that lacks them (e.g. a status poll has no text)
# must not blank out what an earlier one (the send, the history) told us.
# resend_of too: a push may name a resend's new id before the send's own record lands.
_DESCRIPTIVE = (
    "text", "sender", "sent_at", "cost", "parts", "country", "operator", "region", "resend_of",
)  # fmt: skip
_STATUS = ("state", "raw_status", "error_code", "updated_at")


def _rank(state: DeliveryState) -> int:
    """Smstui's own "outcome unknown" < anything a gateway said < a final state."""
    if state is DeliveryState.OUTCOME_UNKNOWN:
        return 0
    return 2 if state in FINAL else 1


def status_wins(
    old: DeliveryState, old_at: float | None, new: DeliveryState, new_at: float | None
) -> bool:
    """Whether a new status replaces the current one.

    Rank goes before time. A final state is never replaced by a non-final one (a late
    "queued" poll answer after a "delivered" push is stale), and a final one always replaces
    a non-final one, whatever the times say: neither gateway signs a push's time, so a forged
    or skewed "sent" clamped to its receipt time must not outrank the true delivery report
    that follows it. Below both sits a send's "outcome unknown": smstui's own placeholder,
    which any word from the gateway settles, whatever its clock says. Within a rank, the
    newer observation wins; on a tie, the new one.
    """
    o_rank, n_rank = _rank(old), _rank(new)
    if o_rank != n_rank:
        return n_rank > o_rank
    o = _NEG if old_at is None else old_at
    n = _NEG if new_at is None else new_at
    return n >= o


def merge_message(old: Message, new: Message) -> Message:
    """Upsert rule for a Message seen again (history, send, poll)."""
    changes: dict[str, object] = {}
    for name in _DESCRIPTIVE:
        value = getattr(new, name)
        if value is not None and value != "" and value != getattr(old, name):
            changes[name] = value
    if old.seen_at is None and new.seen_at is not None:  # the first sighting stays first
        changes["seen_at"] = new.seen_at
    # A bare record (no state, no time: e.g. built from a send result) only adds details.
    bare = new.state is DeliveryState.UNKNOWN and new.updated_at is None
    if not bare and status_wins(old.state, old.updated_at, new.state, new.updated_at):
        for name in _STATUS:
            value = getattr(new, name)
            if name == "updated_at" and value is None:
                continue
            if value != getattr(old, name):
                changes[name] = value
    return replace(old, **changes) if changes else old  # type: ignore[arg-type]


def apply_status(m: Message, c: StatusChange) -> Message:
    """The message after a status change, or the same object when the change loses."""
    state = c.state
    if not status_wins(m.state, m.updated_at, state, c.at):
        return m
    if (
        m.state == state
        and m.raw_status == c.raw_status
        and m.error_code == c.error_code
        and m.updated_at == c.at
    ):
        return m
    # The constructor, not dataclasses.replace: this runs for every change of every cycle, and
    # replace() re-inspects the dataclass's fields each call (three times the cost).
    return Message(
        m.account, m.provider, m.message_id, m.phone, state, m.text, m.sender, m.sent_at,
        c.raw_status, c.error_code, m.cost, m.parts, m.country, m.operator, m.region, c.at,
        m.resend_of, m.seen_at,
    )  # fmt: skip
