"""SMSC JSON replies (fmt=3) → model values; the error envelope → typed ApiErrors."""

from __future__ import annotations

import re
from typing import Any

from smstui.codes import smsc_api_error, smsc_status
from smstui.errors import ApiError, AuthError, BadPayload, IpBlocked, RateLimited
from smstui.gateways.parse import (
    Secrets,
    require_dict,
    to_decimal,
    to_int,
    to_str,
    to_time,
    utc_offset,
)
from smstui.model import (
    DeliveryState,
    IncomingMessage,
    Message,
    NumberInfo,
    Provider,
    SendResult,
)

P = "smsc"
_ERROR_CLASSES: dict[int, type[ApiError]] = {2: AuthError, 4: IpBlocked, 9: RateLimited}
_PHONE_CHARS = re.compile(r"[\s()+\-]")


def normalize_phone(phone: str) -> str:
    """Digits only for a phone written with +, spaces, dashes or brackets; other values as is."""
    stripped = _PHONE_CHARS.sub("", phone.strip())
    return stripped if stripped.isdigit() else phone.strip()


def is_error_envelope(payload: Any) -> bool:
    """True for `{"error": …, "error_code": N}`, SMSC's refusal on every endpoint."""
    return isinstance(payload, dict) and ("error_code" in payload or "error" in payload)


def api_error(payload: dict[str, Any], *, account: str, secrets: Secrets = ()) -> ApiError:
    """The typed error for an SMSC error envelope: 2 auth, 4 IP blocked, 9 rate limited."""
    from smstui.gateways.parse import snippet

    try:
        code = to_int(payload.get("error_code"), "error_code", provider=P)
    except BadPayload:
        code = None
    text = snippet(str(payload.get("error", "")), secrets) if payload.get("error") else ""
    info = smsc_api_error(code)
    cls = _ERROR_CLASSES.get(code, ApiError) if code is not None else ApiError
    message = f"smsc error {code}: {info.en}" + (f" (gateway said: {text})" if text else "")
    return cls(
        message, provider=P, account=account, code=code, text=text, explanation=info.en,
        error_class=info.error_class,
    )  # fmt: skip


def message_from(
    item: Any, *, account: str, message_id: str | None = None, phone: str | None = None
) -> Message:
    """One status or history record → Message; the requested id/phone win for the key."""
    item = require_dict(item, "a message record", provider=P)
    code = to_int(item.get("status"), "status", provider=P)
    if code is None:
        raise BadPayload("smsc: message record without a status", provider=P)
    return Message(
        account=account,
        provider=Provider.SMSC,
        message_id=message_id or to_str(item.get("id"), "id", provider=P),
        phone=phone or to_str(item.get("phone"), "phone", provider=P),
        state=smsc_status(code).state,
        raw_status=str(code),
        error_code=to_int(item.get("err"), "err", provider=P),
        text=to_str(item.get("message"), "message", provider=P),
        # ❓ history may say `sender` instead of `sender_id`: accept either.
        sender=to_str(item.get("sender_id") or item.get("sender"), "sender_id", provider=P),
        sent_at=_time(item, "send_timestamp", "send_date"),
        updated_at=_time(item, "last_timestamp", "last_date"),
        cost=to_decimal(item.get("cost"), "cost", provider=P),
        parts=to_int(item.get("sms_cnt"), "sms_cnt", provider=P),
        country=to_str(item.get("country"), "country", provider=P),
        operator=to_str(item.get("operator"), "operator", provider=P),
        region=to_str(item.get("region"), "region", provider=P),
    )


def not_found(account: str, message_id: str, phone: str) -> Message:
    """A (id, phone) the gateway does not know (status −3, or missing from a mass reply)."""
    return Message(
        account=account,
        provider=Provider.SMSC,
        message_id=message_id,
        phone=phone,
        state=DeliveryState.NOT_FOUND,
        raw_status="-3",
    )


def _time(item: dict[str, Any], stamp_key: str, date_key: str) -> float | None:
    stamp = to_time(item.get(stamp_key), stamp_key, provider=P)
    return stamp if stamp is not None else to_time(item.get(date_key), date_key, provider=P)


def send_result(payload: Any, *, account: str, phone: str) -> SendResult:
    """`{"id", "cnt", "cost", "balance"}` → SendResult."""
    payload = require_dict(payload, "the send reply", provider=P)
    message_id = to_str(payload.get("id"), "id", provider=P)
    if not message_id:
        raise BadPayload("smsc: send reply carries no message id", provider=P)
    return SendResult(
        account=account,
        message_id=message_id,
        phone=phone,
        parts=to_int(payload.get("cnt"), "cnt", provider=P),
        cost=to_decimal(payload.get("cost"), "cost", provider=P),
        balance=to_decimal(payload.get("balance"), "balance", provider=P),
    )


def operator_info(payload: Any, *, phone: str) -> NumberInfo:
    """info.php?get_operator → NumberInfo (values may be strings or numbers)."""
    payload = require_dict(payload, "the operator reply", provider=P)
    return NumberInfo(
        phone=phone,
        country=to_str(payload.get("country"), "country", provider=P),
        operator=to_str(payload.get("operator"), "operator", provider=P),
        region=to_str(payload.get("region"), "region", provider=P),
        mcc=to_str(payload.get("mcc"), "mcc", provider=P),
        mnc=to_str(payload.get("mnc"), "mnc", provider=P),
        timezone=utc_offset(payload.get("tz"), "tz", provider=P),  # hours from UTC already
    )


def hlr_info(payload: Any, *, phone: str, hlr_id: str) -> NumberInfo:
    """A status reply of an HLR request → NumberInfo; reachable stays None while pending."""
    payload = require_dict(payload, "the HLR status", provider=P)
    code = to_int(payload.get("status"), "status", provider=P)
    state = smsc_status(code).state
    reachable = True if state is DeliveryState.DELIVERED else (False if state.is_final else None)
    extra = [("hlr_id", hlr_id), ("status", str(code))]
    for key in ("imsi", "msc", "err"):
        value = to_str(payload.get(key), key, provider=P)
        if value:
            extra.append((key, value))
    return NumberInfo(
        phone=phone,
        country=to_str(payload.get("cn"), "cn", provider=P),
        operator=to_str(payload.get("net"), "net", provider=P),
        mcc=to_str(payload.get("mcc"), "mcc", provider=P),
        mnc=to_str(payload.get("mnc"), "mnc", provider=P),
        reachable=reachable,
        roaming=" / ".join(
            v for v in (to_str(payload.get(k), k, provider=P) for k in ("rcn", "rnet")) if v
        ),
        extra=tuple(extra),
    )


def incoming_from(item: Any, *, account: str) -> IncomingMessage:
    """One get_answers record → IncomingMessage (`received` as Unix, digits or a date)."""
    item = require_dict(item, "an incoming message", provider=P)
    return IncomingMessage(
        account=account,
        incoming_id=to_str(item.get("id"), "id", provider=P),
        phone=to_str(item.get("phone"), "phone", provider=P),
        text=to_str(item.get("message"), "message", provider=P),
        to_phone=to_str(item.get("to_phone"), "to_phone", provider=P),
        received_at=to_time(item.get("received") or item.get("sent"), "received", provider=P),
    )
