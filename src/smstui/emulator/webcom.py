"""Webcom JSON (/json, /json/state.php, /json/balance.php) and GET (/sendsms.php) interfaces."""

from __future__ import annotations

import json
import random
from decimal import Decimal

from aiohttp import web

from smstui.emulator import limits as L
from smstui.emulator import numbering
from smstui.emulator.campaign import SENDERS
from smstui.emulator.core import Emulator

E1_JSON, E1_XML = "Неправильный формат JSON документа", "Неправильный формат XML документа"
E2 = "Ваш аккаунт заблокирован"
E3 = "Неправильный логин или пароль"
E4 = "POST данные отсутствуют"
M4, M5, M6 = (
    "Укажите номер телефона.",
    "Номер телефона присутствует в стоп-листе.",
    ("Данное направление закрыто для вас."),
)
M2, M10 = "Закончились SMS.", "Нет отправителя."
M11 = (
    "Отправитель не должен превышать 15 символов для цифровых номеров и 11 символов для "
    "буквенно-числовых."
)
M12, M13, M16 = (
    "Номер телефона должен быть меньше 15 символов.",
    "Нет текста сообщения.",
    ("Такого отправителя Нет."),
)
GET_LIMIT_TEXT = "error: Попытка отправки более одного одинакового запроса в течение минуты"
STOP_LIST = frozenset({"79990000000", "79161111111"})
WEBCOM_SENDERS = frozenset({*SENDERS, "SMS-INFO"})
ERROR_CODES = {E1_JSON: "E1", E1_XML: "E1", E2: "E2", E3: "E3", E4: "E4"}
VALIDITY_DEFAULT_S = 2 * 86400


def login_of(emu: Emulator, login: str, password: str, token: str) -> str | None:
    """The account proved by login+password or token."""
    if token:
        return emu.tokens.get(token)
    expected = emu.credentials.get(login)
    return login if expected is not None and password and password == expected else None


def json_error(emu: Emulator, text: str) -> web.Response:
    """Request-level error {"error": "<Russian text>"}, HTTP 400 by default."""
    emu.stats_counters.error(f"webcom.{ERROR_CODES.get(text, 'E?')}")
    body = json.dumps({"error": text}, ensure_ascii=False)
    return web.Response(
        status=emu.opts.webcom_error_status,
        text=body,
        content_type="application/json",
        charset="utf-8",
    )


def json_reply(body: object) -> web.Response:
    """A UTF-8 JSON success reply."""
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), content_type="application/json", charset="utf-8"
    )


async def read_json(emu: Emulator, request: web.Request) -> tuple[dict | None, web.Response | None]:
    """Parse the JSON body (object or a one-element array) and authenticate it."""
    raw = await request.read()
    if not raw.strip():
        return None, json_error(emu, E4)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, json_error(emu, E1_JSON)
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        return None, json_error(emu, E1_JSON)
    login = login_of(
        emu, str(body.get("login", "")), str(body.get("password", "")), str(body.get("token", ""))
    )
    if login is None:
        return None, json_error(emu, E3)
    body["__login__"] = login
    return body, None


def send_one(
    emu: Emulator,
    login: str,
    phone_raw: object,
    text: str,
    sender: str,
    client_id: object,
    validity: str,
    now: float,
) -> dict:
    """One recipient of a send: {"state": "send", "id_sms"} or {"error": "<Russian text>"}."""
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
    try:
        valid_s = numbering.parse_msk_iso(validity) - now if validity else VALIDITY_DEFAULT_S
    except ValueError:
        valid_s = VALIDITY_DEFAULT_S
    emu.api_sends += 1
    rng = random.Random(f"{emu.opts.seed}:webcom-api:{emu.api_sends}")
    msg = emu.campaign.add_webcom(login, phone, text, sender, now, max(60.0, valid_s), rng, key)
    return {"state": "send", "id_sms": msg.id_sms}


async def handle_send(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json: one `information` entry per recipient, in request order."""
    body, error = await read_json(emu, request)
    if error is not None:
        return error
    message = body.get("message")
    if isinstance(message, list) and message:
        message = message[0]
    if not isinstance(message, dict):
        return json_error(emu, E1_JSON)
    phones = message.get("phones", [])
    phones = [phones] if isinstance(phones, dict) else phones
    if not isinstance(phones, list) or not all(isinstance(p, dict) for p in phones):
        return json_error(emu, E1_JSON)
    now = emu.now()
    text, sender = str(message.get("text", "")), str(message.get("sender", ""))
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
        )
        for p in phones or [{}]
    ]
    return json_reply({"information": info})


def state_of(emu: Emulator, login: str, id_sms: object, now: float):
    """The Webcom message with this id owned by `login`, or None."""
    try:
        key = int(str(id_sms).strip())
    except ValueError:
        return None
    msg = emu.campaign.webcom_by_id.get(key)
    return msg if msg is not None and msg.login == login and msg.sent <= now else None


async def handle_state(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json/state.php: a top-level array; unknown ids left out; detail=1 adds parts/price."""
    body, error = await read_json(emu, request)
    if error is not None:
        return error
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
    text = _unquote_numbers(json.dumps(rows, ensure_ascii=False))
    return web.Response(text=text, content_type="application/json", charset="utf-8")


def _unquote_numbers(text: str) -> str:
    """Turn "__num__12.3400000" placeholders into bare JSON numbers."""
    out, marker = [], '"__num__'
    while marker in text:
        head, _, rest = text.partition(marker)
        number, _, text = rest.partition('"')
        out += [head, number]
    return "".join(out) + text


def balance_info(emu: Emulator, login: str) -> tuple[Decimal, list[tuple[str, int]]]:
    """Money and, per direction, how many single-part SMS it buys (alternatives, not a sum)."""
    money = emu.campaign.money.get(login, Decimal(0))
    areas = [("Россия", Decimal("2.45"))] + [
        (op.name, op.price + Decimal("0.35")) for op in numbering.OPERATORS
    ]
    return money, [(area, max(0, int(money // price))) for area, price in areas]


async def handle_balance(emu: Emulator, request: web.Request) -> web.Response:
    """POST /json/balance.php: money and counts as strings, currency RUR."""
    body, error = await read_json(emu, request)
    if error is not None:
        return error
    money, areas = balance_info(emu, body["__login__"])
    info = [{"type_sms": "sms", "area": a, "num_sms": str(n)} for a, n in areas]
    return json_reply({"money": f"{money:.2f}", "currency": "RUR", "information": info})


async def handle_get(emu: Emulator, request: web.Request) -> web.Response:
    """GET /sendsms.php: status by smsid (bare word), balance=1, or send (comma ids)."""
    q = request.query
    plain = lambda text, status=200: web.Response(  # noqa: E731
        text=text, status=status, content_type="text/plain", charset="utf-8"
    )
    login = login_of(emu, q.get("user", ""), q.get("pwd", ""), q.get("token", ""))
    if login is None:
        emu.stats_counters.error("webcom.E3")
        return plain(E3, emu.opts.webcom_error_status)
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
