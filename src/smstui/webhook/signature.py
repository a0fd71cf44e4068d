"""SMSC control hash (md5 / sha1 / crc32 of `a:b:c:<secret>`): compute and verify.

Pure functions with no smstui imports beyond Secret and the hash names, so the emulator's push
sender can reuse them.
Formulas (seed page 003, smsc.md §10.6): status `id:phone:status:secret`, incoming SMS
`phone:mes:to:secret`, call confirmation `phone:ts:secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Sequence

from smstui.secrets import Secret
from smstui.smsc_hashes import ALGORITHMS, DEFAULT_ALGORITHMS

__all__ = ["ALGORITHMS", "DEFAULT_ALGORITHMS", "hash_input", "smsc_hash", "verify_smsc_hash"]


def _secret_text(secret: Secret | str) -> str:
    return secret.reveal() if isinstance(secret, Secret) else secret


def hash_input(parts: Sequence[str], secret: Secret | str) -> str:
    """The colon-joined string SMSC hashes: the parts, then the secret."""
    return ":".join([*parts, _secret_text(secret)])


def smsc_hash(
    algo: str,
    parts: Sequence[str],
    secret: Secret | str,
    *,
    encoding: str = "utf-8",
    crc32_hex: bool = False,
) -> str:
    """The control value SMSC posts under `algo`: lowercase hex, or crc32 as unsigned decimal.

    `encoding` is the handler's charset: values are hashed as posted (smsc.md §10.6).
    `crc32_hex=True` gives the 8-digit lowercase hex form (open question 4).
    """
    data = hash_input(parts, secret).encode(encoding)
    if algo == "md5":
        return hashlib.md5(data).hexdigest()
    if algo == "sha1":
        return hashlib.sha1(data).hexdigest()
    if algo == "crc32":
        value = zlib.crc32(data) & 0xFFFFFFFF
        return f"{value:08x}" if crc32_hex else str(value)
    raise ValueError(f"unknown SMSC hash algorithm {algo!r} (use md5, sha1 or crc32)")


def _normalise(algo: str, given: str) -> str | None:
    """The given value in the canonical form smsc_hash produces, or None if it cannot be one."""
    given = given.strip().lower()
    if algo != "crc32":
        return given
    # crc32 may arrive as unsigned decimal or as 8-digit hex; compare as the decimal form.
    if len(given) == 8 and all(c in "0123456789abcdef" for c in given) and not given.isdigit():
        return str(int(given, 16))
    if given.isdigit() and len(given) <= 10:
        # An 8-digit all-decimal string is ambiguous; the decimal reading is tried first and
        # the hex reading is tried by verify_smsc_hash as a second candidate.
        return str(int(given))
    return None


def verify_smsc_hash(
    algo: str,
    parts: Sequence[str],
    secret: Secret | str,
    given: str,
    *,
    encoding: str = "utf-8",
) -> bool:
    """True when `given` is the control value for these parts and secret (constant-time compare)."""
    if algo not in ALGORITHMS:
        return False
    try:
        expected = smsc_hash(algo, parts, secret, encoding=encoding)
    except (UnicodeEncodeError, LookupError):
        return False  # a value the handler's charset cannot carry was never hashed by SMSC
    candidates = [_normalise(algo, given)]
    if algo == "crc32" and len(given.strip()) == 8 and given.strip().isdigit():
        candidates.append(str(int(given.strip(), 16)))
    ok = False
    for candidate in candidates:
        if candidate is not None:
            # compare_digest on every candidate, so timing does not reveal which one matched
            ok |= hmac.compare_digest(candidate.encode(), expected.encode())
    return ok
