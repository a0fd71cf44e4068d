"""Webcom JSON and XML replies → model values; Russian error texts → typed ApiErrors."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from smstui.codes import webcom_error, webcom_send_error_code, webcom_state
from smstui.errors import ApiError, AuthError, BadPayload, RateLimited
from smstui.gateways.parse import (
    Secrets,
    decode_utf8,
    require_dict,
    snippet,
    to_decimal,
    to_int,
    to_str,
    to_time,
    utc_offset,
)
from smstui.model import DeliveryState, IncomingMessage, Message, NumberInfo, Provider

P = "webcom"
_AUTH_TEXTS = ("неправильный логин или пароль", "incorrect login or password")
_RATE_TEXTS = ("более одного одинакового запроса",)
_STATE_WORD = re.compile(r"\b(not_deliver|partly_deliver|deliver|expired|read|send)\b")


def phone_digits(phone: str) -> str:
    """A phone as Webcom takes and names it: its digits only ("+7 916 …" → "7916…")."""
    return "".join(ch for ch in phone if ch.isdigit())


def api_error(text: str, *, account: str, secrets: Secrets = ()) -> ApiError:
    """The typed error for a Webcom `{"error": text}`: E3 (bad login) → AuthError.

    A per-recipient send error keeps its catalogue number (M1–M18) as the code: a refused
    send's record then says why, as an SMSC one does.
    """
    info = webcom_error(text)  # on the whole text: a long one no longer matches once cut
    code = webcom_send_error_code(text)
    text = snippet(text, secrets) if text else "(no text)"
    lowered = text.lower()
    cls: type[ApiError] = ApiError
    if any(t in lowered for t in _AUTH_TEXTS):
        cls = AuthError
    elif any(t in lowered for t in _RATE_TEXTS):
        cls = RateLimited
    explanation = info.en if not info.en.startswith("Gateway error") else text
    return cls(
        f"webcom error: {explanation} (gateway said: {text})",
        provider=P,
        account=account,
        code=code,
        text=text,
        explanation=explanation,
        error_class=info.error_class,
    )


def xml_request(security: dict[str, str], inner: str) -> bytes:
    """A Webcom XML request document with the <security> block."""
    fields = "".join(f"<{k} value={quoteattr(v)}/>" for k, v in security.items())
    doc = (
        '<?xml version="1.0" encoding="utf-8" ?>'
        f"<request><security>{fields}</security>{inner}</request>"
    )
    return doc.encode("utf-8")


def xml_text(value: str) -> str:
    """Escape text for an XML element."""
    return escape(value)


def load_xml(body: bytes, *, account: str, status: int = 200, secrets: Secrets = ()) -> ET.Element:
    """Parse an XML reply; `<response><error>` raises the ApiError, junk a BadPayload."""
    text = decode_utf8(body, provider=P, secrets=secrets).strip()
    if not text:
        raise BadPayload(f"webcom: empty reply (HTTP {status})", provider=P)
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError) as err:
        raise BadPayload(
            f"webcom: invalid or truncated XML (HTTP {status}): {snippet(text, secrets)}",
            provider=P,
        ) from err
    error = root.find("error") if root.tag != "error" else root
    if error is not None:
        raise api_error((error.text or "").strip(), account=account, secrets=secrets)
    if root.tag.lower() == "html":
        raise BadPayload(
            f"webcom: HTML page instead of XML (HTTP {status}): {snippet(text, secrets)}",
            provider=P,
        )
    return root


def parse_state_word(body: bytes) -> str | None:
    """GET /sendsms.php?smsid= → the state word; empty body = `send`; None = not a state."""
    try:
        text = body.decode("utf-8").strip().lower()
    except UnicodeDecodeError:
        return None
    if not text:
        return "send"
    match = _STATE_WORD.search(text)
    return match.group(1) if match and len(text) <= 80 else None


def message_from_json(item: Any, *, account: str, phone: str = "") -> Message:
    """One /json/state.php record → Message (price is per part; cost = price × parts)."""
    item = require_dict(item, "a state record", provider=P)
    word = to_str(item.get("state"), "state", provider=P).strip()
    if not word:
        raise BadPayload("webcom: state record without a state", provider=P)
    message_id = to_int(item.get("id_sms"), "id_sms", provider=P)
    if message_id is None:
        raise BadPayload("webcom: state record without id_sms", provider=P)
    parts = to_int(item.get("num_parts"), "num_parts", provider=P)
    price = to_decimal(item.get("price"), "price", provider=P)
    cost = price * parts if price is not None and parts else price
    return Message(
        account=account,
        provider=Provider.WEBCOM,
        message_id=str(message_id),
        phone=phone,
        state=webcom_state(word).state,
        raw_status=word,
        updated_at=to_time(item.get("time_change_state") or item.get("time"), "time", provider=P),
        cost=cost,
        parts=parts,
    )


def states_from_xml(root: ET.Element) -> dict[str, tuple[str, float | None]]:
    """`<state id_sms time sms viber>word</state>` elements → {id: (word, changed_at)}."""
    out: dict[str, tuple[str, float | None]] = {}
    for element in root.iter("state"):
        message_id = to_int(element.get("id_sms"), "id_sms", provider=P)
        word = (element.text or "").strip() or element.get("sms") or element.get("viber") or ""
        if message_id is None or not word:
            raise BadPayload("webcom: <state> without id_sms or state word", provider=P)
        out[str(message_id)] = (word, to_time(element.get("time"), "time", provider=P))
    return out


def message_from_state(
    account: str, message_id: str, phone: str, word: str, at: float | None
) -> Message:
    """A state word for one id → Message."""
    return Message(
        account=account,
        provider=Provider.WEBCOM,
        message_id=message_id,
        phone=phone,
        state=webcom_state(word).state,
        raw_status=word.strip().lower(),
        updated_at=at,
    )


def not_found(account: str, message_id: str, phone: str = "") -> Message:
    """An id Webcom left out of its reply (unknown to it)."""
    return Message(
        account=account,
        provider=Provider.WEBCOM,
        message_id=message_id,
        phone=phone,
        state=DeliveryState.NOT_FOUND,
    )


def numbers_from_xml(root: ET.Element) -> list[NumberInfo]:
    """def.php `<phone operator region time_zone>number</phone>` → NumberInfo list.

    `time_zone` counts hours from Moscow (webcom.md §5.8): "4" is UTC+7, as SMSC says it.
    """
    return [
        NumberInfo(
            phone=(el.text or "").strip(),
            operator=el.get("operator", ""),
            region=el.get("region", ""),
            timezone=utc_offset(el.get("time_zone"), "time_zone", provider=P, from_moscow=True),
        )
        for el in root.iter("phone")
    ]


def incoming_from_xml(root: ET.Element, *, account: str) -> list[IncomingMessage]:
    """incoming.php `<sms id_sms date_receive originator prefix phone>text</sms>` → list."""
    return [
        IncomingMessage(
            account=account,
            incoming_id=el.get("id_sms", ""),
            phone=el.get("originator", ""),
            text=el.text or "",
            to_phone=el.get("phone", ""),
            received_at=to_time(el.get("date_receive"), "date_receive", provider=P),
        )
        for el in root.iter("sms")
    ]
