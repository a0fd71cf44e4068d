"""Webcom XML interface: /xml (send), /xml/state.php, /xml/balance.php, def.php, incoming.php."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.core import Emulator
from smstui.emulator.webcom import balance_info, state_of
from smstui.emulator.webcom_send import parse_time_send, send_one
from smstui.emulator.webcom_wire import E1_XML, E2, E3, E4, ERROR_CODES, is_blocked, login_of
from smstui.emulator.xmltext import escape_text

HEAD = '<?xml version="1.0" encoding="utf-8" ?>'


def xml_reply(inner: str, status: int = 200) -> web.Response:
    """<response>…</response> in UTF-8."""
    return web.Response(
        text=f"{HEAD}\n<response>{inner}</response>",
        status=status,
        content_type="text/xml",
        charset="utf-8",
    )


def xml_error(emu: Emulator, text: str) -> web.Response:
    """<response><error>text</error></response>, HTTP 400 by default."""
    emu.stats_counters.error(f"webcom.{ERROR_CODES.get(text, 'E?')}")
    return xml_reply(f"<error>{escape_text(text)}</error>", emu.opts.webcom_error_status)


async def read_xml(emu: Emulator, request: web.Request) -> tuple[ET.Element, str] | web.Response:
    """Parse and authenticate an XML request; (root, login), or the error reply to send."""
    raw = await request.read()
    if not raw.strip():
        return xml_error(emu, E4)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return xml_error(emu, E1_XML)
    sec = root.find("security")
    creds = {
        tag: el.get("value", "")
        for tag in ("login", "password", "token")
        if sec is not None and (el := sec.find(tag)) is not None
    }
    login = login_of(emu, creds.get("login", ""), creds.get("password", ""), creds.get("token", ""))
    if login is None:
        return xml_error(emu, E3)
    if is_blocked(emu, login):
        return xml_error(emu, E2)
    return root, login


async def handle_state(emu: Emulator, request: web.Request) -> web.Response:
    """Batch status: one <state id_sms time sms>word</state> per known id."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    root, login = parsed
    now, out = emu.now(), []
    for el in root.iter("id_sms"):
        msg = state_of(emu, login, el.text or "", now)
        if msg is None:
            continue
        changed, state = msg.at(now)
        when = "" if state == "send" else numbering.msk_iso(changed)
        out.append(f'<state id_sms="{msg.id_sms}" time="{when}" sms="{state}">{state}</state>')
    return xml_reply("".join(out))


async def handle_balance(emu: Emulator, request: web.Request) -> web.Response:
    """<money currency="RUR">…</money> and one <sms area="…">count</sms> per direction."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    money, areas = balance_info(emu, parsed[1])
    sms = "".join(f"<sms area={quoteattr(a)}>{n}</sms>" for a, n in areas)
    return xml_reply(f'<money currency="RUR">{money:.2f}</money>{sms}')


async def handle_def(emu: Emulator, request: web.Request) -> web.Response:
    """Number lookup: <phone operator region time_zone>number</phone> (unknown: empty attrs)."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    out = []
    for el in parsed[0].iter("phone"):
        number = (el.text or el.get("phone") or "").strip()
        plan = numbering.lookup(numbering.normalize_phone(number) or "")
        op, region = (plan.operator.name, plan.region) if plan else ("", "")
        tz = str(int(plan.tz) - 3) if plan else ""
        out.append(
            f"<phone operator={quoteattr(op)} region={quoteattr(region)} "
            f'time_zone="{tz}">{escape_text(number)}</phone>'
        )
    return xml_reply("".join(out))


async def handle_incoming(emu: Emulator, request: web.Request) -> web.Response:
    """Incoming SMS between exclusive start/end bounds (YYYY-MM-DD HH:MM:SS, Moscow)."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    root, login = parsed
    span = root.find("time")
    try:
        start = numbering.parse_msk_iso(span.get("start", "")) if span is not None else None
        end_raw = span.get("end", "") if span is not None else ""
        end = numbering.parse_msk_iso(end_raw) if end_raw else None
    except ValueError:
        start = None
    if start is None:
        return xml_error(emu, E1_XML)
    now = emu.now()
    out = [
        f'<sms id_sms="{i.id}" date_receive="{numbering.msk_iso(i.received)}" '
        f'originator="{i.phone}" prefix="" phone="{i.to_phone}">{escape_text(i.text)}</sms>'
        for i in emu.campaign.inbound
        if i.provider == "webcom"
        and i.login == login
        and start < i.received <= now
        and (end is None or i.received < end)
    ]
    return xml_reply("".join(out))


async def handle_send(emu: Emulator, request: web.Request) -> web.Response:
    """/xml send: <information number_sms id_sms parts>send</information> per abonent."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    root, login = parsed
    try:  # a malformed time_send refuses the whole document before anything is sent
        when = {id(ab): parse_time_send(ab.get("time_send")) for ab in root.iter("abonent")}
    except ValueError:
        return xml_error(emu, E1_XML)
    now, out = emu.now(), []
    for message in root.iter("message"):
        text = (message.findtext("text") or "").strip()
        sender = (message.findtext("sender") or "").strip()
        name = (message.findtext("name_delivery") or "").strip()
        parts = numbering.count_parts(text) if text else 0
        for ab in message.iter("abonent"):
            result = send_one(
                emu,
                login,
                ab.get("phone"),
                text,
                sender,
                ab.get("client_id_sms"),
                ab.get("validity_period", ""),
                now,
                send_at=when[id(ab)],
                name_delivery=name,
            )
            num = quoteattr(ab.get("number_sms", ""))
            if "id_sms" in result:
                out.append(
                    f'<information number_sms={num} id_sms="{result["id_sms"]}" '
                    f'parts="{parts}">send</information>'
                )
            else:
                out.append(
                    f"<information number_sms={num}>{escape_text(result['error'])}</information>"
                )
    return xml_reply("".join(out))
