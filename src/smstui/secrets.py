"""Secret values that never show themselves in reprs, logs or exceptions."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Query/form keys that carry credentials in either gateway's API.
SECRET_KEYS = frozenset({"psw", "password", "apikey", "token", "pwd", "md5", "sha1", "crc32"})
_KEYS = "|".join(sorted(SECRET_KEYS))
# "password": "a b" (JSON/XML-ish, quoted: anything up to the closing quote) …
_QUOTED_RE = re.compile(
    r'(?P<k>["\']?\b(?:' + _KEYS + r')["\']?\s*[:=]\s*)(?P<q>["\'])(?P<v>.*?)(?P=q)', re.I
)
# … and psw=abc (query strings and form bodies: up to the next separator).
_PLAIN_RE = re.compile(r"(?P<k>\b(?:" + _KEYS + r")\s*=\s*)(?P<v>[^&\"'\s,;}]*)", re.I)


class Secret:
    """A string that prints as *** everywhere; call `reveal()` at the one place it is sent."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for putting on the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:  # pickling would carry it off the machine unmasked
        raise TypeError("Secret values cannot be pickled")


def mask_text(text: str, secrets: Iterable[Secret | str | None] = ()) -> str:
    """Mask credential parameters (psw=…, "token": "…") and every given secret value in text."""
    masked = _QUOTED_RE.sub(lambda m: f"{m['k']}{m['q']}{MASK}{m['q']}", text)
    masked = _PLAIN_RE.sub(lambda m: m["k"] + (MASK if m["v"] else ""), masked)
    return mask_values(masked, secrets)


def mask_values(text: str, secrets: Iterable[Secret | str | None] = ()) -> str:
    """Every given secret value in text replaced by ***, wherever it stands (message fields)."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value and len(value) >= 3:  # a 1–2 character secret would mask half the text
            text = text.replace(value, MASK)
    return text
