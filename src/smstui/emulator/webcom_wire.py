"""Webcom wire basics: Russian error texts, authentication, JSON request parsing and replies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

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
ERROR_CODES = {E1_JSON: "E1", E1_XML: "E1", E2: "E2", E3: "E3", E4: "E4"}


def login_of(emu: Emulator, login: str, password: str, token: str) -> str | None:
    """The account proved by login+password or token."""
    if token:
        return emu.tokens.get(token)
    expected = emu.credentials.get(login)
    return login if expected is not None and password and password == expected else None


def is_blocked(emu: Emulator, login: str) -> bool:
    """True for accounts the options mark as blocked: every request gets E2 (webcom.md §1.4)."""
    return login in emu.opts.webcom_blocked


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


async def read_json(emu: Emulator, request: web.Request) -> dict[str, Any] | web.Response:
    """Parse the JSON body (object or a one-element array) and authenticate it; or the error
    reply to send."""
    raw = await request.read()
    if not raw.strip():
        return json_error(emu, E4)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return json_error(emu, E1_JSON)
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    if not isinstance(body, dict):
        return json_error(emu, E1_JSON)
    login = login_of(
        emu, str(body.get("login", "")), str(body.get("password", "")), str(body.get("token", ""))
    )
    if login is None:
        return json_error(emu, E3)
    if is_blocked(emu, login):
        return json_error(emu, E2)
    body["__login__"] = login
    return body


def unquote_numbers(text: str) -> str:
    """Turn "__num__12.3400000" placeholders into bare JSON numbers."""
    out, marker = [], '"__num__'
    while marker in text:
        head, _, rest = text.partition(marker)
        number, _, text = rest.partition('"')
        out += [head, number]
    return "".join(out) + text
