"""Phone numbers as smstui stores and compares them: the one normalisation everything calls."""

from __future__ import annotations

MIN_DIGITS, MAX_DIGITS = 10, 15  # E.164 allows at most 15; a Russian mobile has 11


def digits(phone: str) -> str:
    """`+7 (916) 123-45-67` → `79161234567`; a Russian trunk `8…` of 11 digits → `7…`.

    Both gateways name numbers by their digits; a person pastes them with `+`, spaces, dashes
    or the domestic 8 prefix, and all of those are the same number.
    """
    out = "".join(ch for ch in phone if ch.isdigit())
    if len(out) == 11 and out[0] == "8":
        return "7" + out[1:]
    return out


def full_number(text: str) -> str | None:
    """The digits of `text` when it can only be one whole phone number, else None."""
    cleaned = text.strip()
    if not cleaned or any(ch not in "0123456789+-() ." for ch in cleaned):
        return None
    out = digits(cleaned)
    return out if MIN_DIGITS <= len(out) <= MAX_DIGITS else None
