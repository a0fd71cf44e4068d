"""The webhook receiver's counters by name, in words and summed: plain data the UI may read."""

from __future__ import annotations

from collections.abc import Mapping

# Every key exists from the start, so readers never need .get().
COUNTER_NAMES = (
    "accepted",  # pushes answered 200 after the sink took them
    "statuses",  # status changes handed to the sink
    "incoming",  # incoming SMS handed to the sink
    "waitcall",  # call confirmations seen
    "duplicates",  # retried pushes / entries already accepted (answered OK, not re-sent)
    "unacked",  # Webcom entries left out of an ack because they were malformed
    "hash_mismatch",  # incoming/waitcall with a wrong hash, accepted per open question 5
    "rejected_403",
    "bad_400",
    "not_found_404",
    "method_405",
    "timeouts",  # headers (connection closed) or bodies (408) not received within their deadline
    "future_clamped",  # push times too far ahead of receipt, clamped to the receipt time
    "too_large_413",
    "sink_errors",  # the sink refused; answered 503 so the gateway retries
)

# Every counter in words, for people (the dashboard's health screen); same order as above.
COUNTER_WORDS = {
    "accepted": "pushes received and acknowledged",
    "statuses": "status changes taken",
    "incoming": "incoming SMS taken",
    "waitcall": "call confirmations seen",
    "duplicates": "repeated pushes (already had them)",
    "unacked": "malformed entries left unacknowledged",
    "hash_mismatch": "incoming SMS with a wrong signature (kept)",
    "rejected_403": "rejected: wrong secret or signature",
    "bad_400": "rejected: unreadable request",
    "not_found_404": "rejected: unknown address",
    "method_405": "rejected: wrong HTTP method",
    "timeouts": "rejected: sender too slow",
    "future_clamped": "push times in the future (set to arrival)",
    "too_large_413": "rejected: request too large",
    "sink_errors": "refused: cache could not write (gateway retries)",
}
REJECTED = (
    "rejected_403",
    "bad_400",
    "not_found_404",
    "method_405",
    "timeouts",
    "too_large_413",
    "sink_errors",
)


def received(counters: Mapping[str, int]) -> int:
    """Pushes received and acknowledged."""
    return counters.get("accepted", 0)


def rejected(counters: Mapping[str, int]) -> int:
    """Requests the receiver turned away, for any reason."""
    return sum(counters.get(name, 0) for name in REJECTED)


def fresh_counters() -> dict[str, int]:
    """A dict with every counter at zero."""
    return dict.fromkeys(COUNTER_NAMES, 0)
