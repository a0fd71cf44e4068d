"""Webcom scheduled sends: /xml/list_scheduled.php and /xml/scheduled.php (webcom.md §5.15–16)."""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.core import Emulator
from smstui.emulator.paths import WebcomMessage
from smstui.emulator.webcom_wire import E1_XML
from smstui.emulator.webcom_xml import read_xml, xml_error, xml_reply


def _scheduled_row(w: WebcomMessage) -> str:
    """One <scheduled …/> element with the documented attributes."""
    attrs = {
        "id_sms": str(w.id_sms),
        "time_put_turn": numbering.msk_iso(w.queued_at or w.sent),
        "originator": w.sender,
        "phone": w.phone,
        "type_sms": "sms",
        "text_sms": w.text,
        "count_sms": str(w.parts),
        "name_delivery": w.name_delivery,
        "time_send": numbering.msk_iso(w.sent)[:16],  # YYYY-MM-DD HH:MM, as it was given
        "validity_period": numbering.msk_iso(w.valid_until),
    }
    return "<scheduled " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>"


async def handle_list(emu: Emulator, request: web.Request) -> web.Response:
    """`<scheduled page="N"/>` → one page of the account's waiting sends, soonest first."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    root, login = parsed
    ask = root.find("scheduled")
    raw = (ask.get("page", "") if ask is not None else "").strip()
    if not raw.isdigit() or int(raw) < 1:
        return xml_error(emu, E1_XML)  # page is required and counts from 1
    page, size = int(raw), max(1, emu.opts.webcom_page_size)
    waiting = emu.campaign.scheduled(login, emu.now())
    pages = max(1, -(-len(waiting) // size))
    rows = "".join(_scheduled_row(w) for w in waiting[(page - 1) * size : page * size])
    return xml_reply(f'<phones page="{page}" num_pages="{pages}">{rows}</phones>')


async def handle_delete(emu: Emulator, request: web.Request) -> web.Response:
    """`<delete_schedule><schedule id_sms/>…` → delete, or not_found (unknown, sent, not ours)."""
    parsed = await read_xml(emu, request)
    if isinstance(parsed, web.Response):
        return parsed
    root, login = parsed
    now, out = emu.now(), []
    for item in root.iter("schedule"):
        raw = (item.get("id_sms") or item.text or "").strip()
        msg = emu.campaign.webcom_by_id.get(int(raw)) if raw.isdigit() else None
        word = "not_found"  # unknown, another account's, or already sent
        if msg is not None and msg.login == login and msg.queued_at is not None and msg.sent > now:
            emu.campaign.cancel_webcom(msg)
            word = "delete"
        out.append(f"<scheduled id_sms={quoteattr(raw)}>{word}</scheduled>")
    return xml_reply("".join(out))
