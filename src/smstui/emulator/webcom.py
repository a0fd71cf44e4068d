"""Webcom JSON status and balance (/json/state.php, /json/balance.php) and GET /sendsms.php."""

from __future__ import annotations

import json
from decimal import Decimal

from aiohttp import web

from smstui.emulator import limits as L
from smstui.emulator import numbering
from smstui.emulator.core import Emulator
from smstui.emulator.paths import WebcomMessage
from smstui.emulator.webcom_send import send_one
from smstui.emulator.webcom_wire import (
    E2,
    E3,
    GET_LIMIT_TEXT,
    is_blocked,
    json_reply,
    login_of,
    read_json,
    unquote_numbers,
)


def state_of(emu: Emulator, login: str, id_sms: object, now: float) -> WebcomMessage | None:
    """The Webcom message with this id owned by `login`, or None."""
    try:
        key = int(str(id_sms).strip())
    except ValueError:
        return None
    msg = emu.campaign.webcom_by_id.get(key)
    return msg if msg is not None and msg.login == login and msg.sent <= now else None


async def handle_state(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json/state.php: a top-level array; unknown ids left out; detail=1 adds parts/price."""
    body = await read_json(emu, request)
    if isinstance(body, web.Response):
        return body
    ids = body.get("id_sms")
    ids = ids if isinstance(ids, list) else [ids]
    detail = str(body.get("detail", "0")).strip() == "1"
    now, rows = emu.now(), []
    for raw in ids:
        msg = state_of(emu, body["__login__"], raw, now)
        if msg is None:
            continue
        changed, state = msg.at(now)
        row = {
            "id_sms": msg.id_sms,
            "time_change_state": "" if state == "send" else numbering.msk_iso(changed),
            "state": state,
        }
        if detail:
            row["num_parts"] = msg.parts
            row["price"] = f"__num__{msg.price:.7f}"
        rows.append(row)
    # price is a JSON number with 7 decimals (10.6000000); json.dumps cannot keep the zeros.
    text = unquote_numbers(json.dumps(rows, ensure_ascii=False))
    return web.Response(text=text, content_type="application/json", charset="utf-8")


def balance_info(emu: Emulator, login: str) -> tuple[Decimal, list[tuple[str, int]]]:
    """Money and, per direction, how many single-part SMS it buys (alternatives, not a sum)."""
    money = emu.campaign.money.get(login, Decimal(0))
    areas = [("Россия", Decimal("2.45"))] + [
        (op.name, op.price + Decimal("0.35")) for op in numbering.OPERATORS
    ]
    return money, [(area, max(0, int(money // price))) for area, price in areas]


async def handle_balance(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json/balance.php: money and counts as strings, currency RUR."""
    body = await read_json(emu, request)
    if isinstance(body, web.Response):
        return body
    money, areas = balance_info(emu, body["__login__"])
    info = [{"type_sms": "sms", "area": a, "num_sms": str(n)} for a, n in areas]
    return json_reply({"money": f"{money:.2f}", "currency": "RUR", "information": info})


def plain(text: str, status: int = 200) -> web.Response:
    """A UTF-8 text/plain reply, as every GET /sendsms.php answer is."""
    return web.Response(text=text, status=status, content_type="text/plain", charset="utf-8")


async def handle_get(emu: Emulator, request: web.Request) -> web.Response:
    """GET /sendsms.php: status by smsid (bare word), balance=1, or send (comma ids)."""
    q = request.query
    login = login_of(emu, q.get("user", ""), q.get("pwd", ""), q.get("token", ""))
    if login is None:
        emu.stats_counters.error("webcom.E3")
        return plain(E3, emu.opts.webcom_error_status)
    if is_blocked(emu, login):
        emu.stats_counters.error("webcom.E2")
        return plain(E2, emu.opts.webcom_error_status)
    now = emu.now()
    if emu.opts.webcom_get_limit:
        identity = "&".join(sorted(f"{k}={v}" for k, v in q.items()))
        if emu.limiter.allows([(L.WEBCOM_GET_SAME, identity)], now) is not None:
            emu.stats_counters.error("webcom.get_limit", limit=True)
            return plain(GET_LIMIT_TEXT)
    if "smsid" in q:
        msg = state_of(emu, login, q["smsid"], now)
        if msg is None:
            return plain("")
        changed, state = msg.at(now)
        if emu.opts.webcom_get_time and state != "send":
            return plain(f"{state} {numbering.msk_iso(changed)}")
        return plain(state)
    if "balance" in q:
        money, areas = balance_info(emu, login)
        return plain(f"{money:.2f} RUR " + ",".join(f"{a}:{n}" for a, n in areas))
    ids = []
    for phone in q.get("dadr", "").split(","):
        result = send_one(
            emu,
            login,
            phone,
            q.get("text", ""),
            q.get("sadr", ""),
            None,
            q.get("validity_period", ""),
            now,
        )
        if "error" in result and len(q.get("dadr", "").split(",")) == 1:
            return plain(result["error"])
        ids.append(str(result.get("id_sms", "")))
    return plain(",".join(ids))
