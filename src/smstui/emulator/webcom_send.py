"""Webcom sending: per-recipient checks and results, idempotency, POST /json (webcom.md §3.1)."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import NotRequired, TypedDict

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.core import Emulator
from smstui.emulator.scenario import SENDERS
from smstui.emulator.webcom_wire import (
    E1_JSON,
    M2,
    M4,
    M5,
    M6,
    M10,
    M11,
    M12,
    M13,
    M16,
    json_error,
    json_reply,
    read_json,
)

STOP_LIST = frozenset({"79990000000", "79161111111"})
WEBCOM_SENDERS = frozenset({*SENDERS, "SMS-INFO"})
VALIDITY_DEFAULT_S = 2 * 86400


class SendResult(TypedDict):
    """One recipient's `information` entry: sent ({state, id_sms}) or refused ({error})."""

    state: NotRequired[str]
    id_sms: NotRequired[int]
    error: NotRequired[str]


def send_one(
    emu: Emulator,
    login: str,
    phone_raw: object,
    text: str,
    sender: str,
    client_id: object,
    validity: str,
    now: float,
    *,
    send_at: float | None = None,
    name_delivery: str = "",
) -> SendResult:
    """One recipient of a send: {"state": "send", "id_sms"} or {"error": "<Russian text>"}.

    `send_at` (from time_send, later than now) schedules the message instead of sending it.
    """
    phone = str(phone_raw or "").strip().lstrip("+")
    if not phone:
        return {"error": M4}
    if len(phone) >= 15 or not phone.isdigit():
        return {"error": M12}
    if not sender:
        return {"error": M10}
    if len(sender) > (15 if sender.isdigit() else 11):
        return {"error": M11}
    if not text:
        return {"error": M13}
    if sender not in WEBCOM_SENDERS:
        return {"error": M16}
    if phone in STOP_LIST:
        return {"error": M5}
    if not phone.startswith("7"):
        return {"error": M6}
    key = None if client_id in (None, "") else str(client_id)
    earlier = emu.campaign.webcom_by_client.get((login, key)) if key is not None else None
    if earlier is not None:  # idempotency: the earlier id, nothing sent
        return {"state": "send", "id_sms": earlier.id_sms}
    price = Decimal("2.45") * numbering.count_parts(text)
    if emu.campaign.money.get(login, Decimal(0)) < price:
        return {"error": M2}
    start = send_at if send_at is not None and send_at > now else now
    try:
        valid_s = numbering.parse_msk_iso(validity) - start if validity else VALIDITY_DEFAULT_S
    except ValueError:
        valid_s = VALIDITY_DEFAULT_S
    emu.api_sends += 1
    rng = random.Random(f"{emu.opts.seed}:webcom-api:{emu.api_sends}")
    msg = emu.campaign.add_webcom(
        login,
        phone,
        text,
        sender,
        start,
        max(60.0, valid_s),
        rng,
        key,
        queued_at=now if start > now else None,
        name_delivery=name_delivery,
    )
    return {"state": "send", "id_sms": msg.id_sms}


def parse_time_send(raw: object) -> float | None:
    """time_send `YYYY-MM-DD HH:MM[:SS]` (Moscow) → Unix seconds; None when empty.

    ValueError when malformed: the whole request is refused (E1) rather than sending at once
    something the client meant for later.
    """
    text = "" if raw is None else str(raw).strip()
    return numbering.parse_msk_iso(text) if text else None


async def handle_send(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json: one `information` entry per recipient, in request order."""
    body = await read_json(emu, request)
    if isinstance(body, web.Response):
        return body
    message = body.get("message")
    if isinstance(message, list) and message:
        message = message[0]
    if not isinstance(message, dict):
        return json_error(emu, E1_JSON)
    phones = message.get("phones", [])
    phones = [phones] if isinstance(phones, dict) else phones
    if not isinstance(phones, list) or not all(isinstance(p, dict) for p in phones):
        return json_error(emu, E1_JSON)
    try:
        when = [parse_time_send(p.get("time_send")) for p in phones]
    except ValueError:
        return json_error(emu, E1_JSON)
    now = emu.now()
    text, sender = str(message.get("text", "")), str(message.get("sender", ""))
    name = str(message.get("name_delivery", "") or "")
    info = [
        send_one(
            emu,
            body["__login__"],
            p.get("phone"),
            text,
            sender,
            p.get("client_id_sms"),
            str(p.get("validity_period", "")),
            now,
            send_at=send_at,
            name_delivery=name,
        )
        for p, send_at in list(zip(phones, when, strict=True)) or [({}, None)]  # none: M4
    ]
    return json_reply({"information": info})
