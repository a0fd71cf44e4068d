"""SMSC handler pushes: tell the event kind apart, check the control hash, map to model values."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from smstui import codes
from smstui.model import IncomingMessage, Source, StatusChange
from smstui.secrets import Secret
from smstui.webhook.errors import ForgedPush, MalformedPush
from smstui.webhook.signature import ALGORITHMS, DEFAULT_ALGORITHMS, verify_smsc_hash
from smstui.webhook.smsc_decode import decode_smsc_body
from smstui.webhook.times import parse_any_time, parse_unix


class SmscEvent(enum.StrEnum):
    """What an SMSC push reports (smsc.md §10.4)."""

    STATUS = "status"  # delivery status (also HLR results)
    INCOMING = "incoming"  # `mes` present: a subscriber's SMS to our number
    WAITCALL = "waitcall"  # `waitcall` present: "confirm number by call"


class Verdict(enum.StrEnum):
    """How a push passed the signature check."""

    VERIFIED = "verified"
    UNSIGNED_ALLOWED = "unsigned_allowed"  # no secret configured and allow_unsigned=True
    MISMATCH_TOLERATED = "mismatch_tolerated"  # incoming/waitcall: 🟡 formula, open question 5


@dataclass(frozen=True, slots=True)
class CallConfirmation:
    """A subscriber called to confirm their number (SMSC `waitcall` event)."""

    account: str
    phone: str
    at: float


@dataclass(frozen=True, slots=True)
class SmscPush:
    """One decoded SMSC push: its kind, its text fields and the charset they came in."""

    kind: SmscEvent
    fields: Mapping[str, str]
    charset: str

    def require(self, *names: str) -> list[str]:
        """The named fields' values; MalformedPush naming the first one missing or empty."""
        values = []
        for name in names:
            value = self.fields.get(name, "").strip()
            if not value:
                raise MalformedPush(f"SMSC {self.kind} push without {name!r}")
            values.append(value)
        return values

    def hash_parts(self) -> list[str]:
        """The values the control hash covers, in order, as posted (the secret is appended)."""
        f = self.fields
        if self.kind is SmscEvent.STATUS:
            return [f.get("id", ""), f.get("phone", ""), f.get("status", "")]
        if self.kind is SmscEvent.INCOMING:
            return [f.get("phone", ""), f.get("mes", ""), f.get("to", "")]
        return [f.get("phone", ""), f.get("ts", "")]


def event_kind(fields: Mapping[str, str]) -> SmscEvent:
    """`mes` → incoming SMS, `waitcall` → call confirmation, neither → delivery status."""
    if "mes" in fields:
        return SmscEvent.INCOMING
    if "waitcall" in fields:
        return SmscEvent.WAITCALL
    return SmscEvent.STATUS


def decode_smsc_push(body: bytes, content_type: str, raw_query: str = "") -> SmscPush:
    """Bytes of an SMSC push (form, JSON or XML) → SmscPush with the fields it must carry."""
    fields, charset = decode_smsc_body(body, content_type, raw_query)
    push = SmscPush(event_kind(fields), fields, charset)
    required = {
        SmscEvent.STATUS: ("id", "phone", "status"),  # open question 6: only these are sure
        SmscEvent.INCOMING: ("phone",),
        SmscEvent.WAITCALL: ("phone",),
    }[push.kind]
    push.require(*required)
    return push


def check_signature(
    push: SmscPush,
    secret: Secret | None,
    *,
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    allow_unsigned: bool = False,
) -> Verdict:
    """Verify the control value; ForgedPush when the push must be refused.

    Only `algorithms` count (default md5 and sha1: crc32 is forgeable), and every one of them
    present must match. A missing hash is always refused when a secret
    is configured; a wrong one is refused for statuses and only reported for incoming SMS and
    call confirmations, whose formulas are not from the vendor (open question 5).
    """
    if secret is None:
        if allow_unsigned:
            return Verdict.UNSIGNED_ALLOWED
        raise ForgedPush("no SMSC secret configured: refusing an unverifiable push")
    present = [a for a in algorithms if a in ALGORITHMS and push.fields.get(a, "").strip()]
    if not present:
        allowed = "/".join(algorithms)
        others = [a for a in ALGORITHMS if a not in algorithms and push.fields.get(a, "").strip()]
        if others:  # say so: a handler URL with ?crc32= needs [webhook] smsc_hashes to list it
            raise ForgedPush(f"SMSC {push.kind} push signed with {others[0]}, which is not "
                             f"accepted (smsc_hashes: {allowed})")  # fmt: skip
        raise ForgedPush(f"SMSC {push.kind} push without a control hash ({allowed})")
    parts = push.hash_parts()
    ok = all(
        verify_smsc_hash(a, parts, secret, push.fields[a], encoding=push.charset) for a in present
    )
    if ok:
        return Verdict.VERIFIED
    if push.kind is SmscEvent.STATUS:
        raise ForgedPush(f"SMSC status push with a wrong {'/'.join(present)} control hash")
    return Verdict.MISMATCH_TOLERATED


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def _phone(text: str) -> str:
    return text.strip().lstrip("+")


def _first_time(fields: Mapping[str, str], names: Sequence[str], default: float) -> float:
    """The first readable time among the named fields, else `default`."""
    for name in names:
        value = fields.get(name, "").strip()
        if not value:
            continue
        try:
            return parse_unix(value) if name == "ts" else parse_any_time(value)
        except MalformedPush:
            continue  # a lenient reader: one unreadable field does not lose the push
    return default


def to_status_change(push: SmscPush, account: str, observed_at: float) -> StatusChange:
    """A delivery-status push → StatusChange (source webhook, `at` from `ts` or MSK `time`)."""
    message_id, phone, raw_status = push.require("id", "phone", "status")
    try:
        code = int(raw_status)
    except ValueError:
        raise MalformedPush(f"SMSC status is not an integer: {raw_status[:20]!r}") from None
    return StatusChange(
        account=account,
        message_id=message_id,
        state=codes.smsc_status(code).state,
        raw_status=str(code),
        at=_first_time(push.fields, ("ts", "time"), observed_at),
        source=Source.WEBHOOK,
        error_code=_int_or_none(push.fields.get("err")),
        phone=_phone(phone),
        observed_at=observed_at,
    )


def incoming_id(fields: Mapping[str, str]) -> str:
    """SMSC's id when it sends one; else a stable digest, so a retried push dedups."""
    given = fields.get("id", "").strip()
    if given:
        return given
    basis = "\x1f".join(fields.get(k, "") for k in ("phone", "to", "mes", "ts", "sent", "time"))
    return "h" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def to_incoming(push: SmscPush, account: str, observed_at: float) -> IncomingMessage:
    """An incoming-SMS push (`mes`) → IncomingMessage."""
    return IncomingMessage(
        account=account,
        incoming_id=incoming_id(push.fields),
        phone=_phone(push.require("phone")[0]),
        text=push.fields.get("mes", ""),
        to_phone=_phone(push.fields.get("to", "")),
        received_at=_first_time(push.fields, ("ts", "sent", "time", "received"), observed_at),
    )


def to_call(push: SmscPush, account: str, observed_at: float) -> CallConfirmation:
    """A `waitcall` push → CallConfirmation."""
    at = _first_time(push.fields, ("ts", "time"), observed_at)
    return CallConfirmation(account=account, phone=_phone(push.require("phone")[0]), at=at)
