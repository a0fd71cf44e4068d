"""SMSC read endpoints: balance.php, get.php (history, answers, stat), info.php (operator)."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.smsc import Call, is_flag
from smstui.emulator.smsc_rows import int_param, render
from smstui.emulator.smsc_status import message_fields
from smstui.emulator.smsc_wire import reply, xml_fields

SIX_MONTHS_S = 183 * 86400


def handle_balance(call: Call) -> web.Response:
    """balance.php: the amount as a string, currency with cur=1."""
    amount = str(call.emu.campaign.balance[call.login].quantize(Decimal("0.01")))
    cur = is_flag(call, "cur")
    if call.fmt == 3:
        return reply({"balance": amount, **({"currency": "RUR"} if cur else {})}, 3, call.charset)
    if call.fmt == 2:
        body = xml_fields("result", {"balance": amount, "currency": "RUR"}) if cur else None
        return reply(body or f"<balance>{amount}</balance>", 2, call.charset)
    if cur:
        return reply(f"{amount} RUR" if call.fmt == 0 else f"{amount},RUR", call.fmt, call.charset)
    return reply(amount, call.fmt, call.charset)


def handle_history(call: Call) -> web.Response:
    """get.php?get_messages: newest first, prev_id paging by int_id, ≤ 6-month window."""
    p = call.params
    cnt = int_param(p.get("cnt"), 10, 1, 1000)
    prev_id = int_param(p.get("prev_id"), 0, 0, 10**15)
    try:
        start = numbering.parse_msk_day(p["start"]) if p.get("start", "").strip() else None
        end = numbering.parse_msk_day(p["end"]) + 86400 if p.get("end", "").strip() else None
    except ValueError:
        return call.error(1)
    if cnt is None or prev_id is None:
        return call.error(1)
    if start is not None and ((end or call.now) - start > SIX_MONTHS_S or (end and end < start)):
        return call.error(1)
    wanted = {numbering.normalize_phone(x) or x.strip() for x in p.get("phone", "").split(",")}
    wanted.discard("")
    rows: list[dict[str, object]] = []
    if p.get("format", "0").strip() in ("", "0"):
        for m in reversed(call.emu.campaign.smsc):
            if len(rows) >= cnt:
                break
            if m.login != call.login or m.deleted_at is not None or m.sent > call.now:
                continue
            if (prev_id and m.int_id >= prev_id) or (wanted and m.phone not in wanted):
                continue
            if (start is not None and m.sent < start) or (end is not None and m.sent >= end):
                continue
            row = message_fields(m, call.now, 2)
            row.pop("comment", None)
            row.pop("operator_orig", None)
            rows.append({"int_id": m.int_id, "id": m.id_value, **row, "format": 0, "crc": 0})
    if not rows and not call.emu.opts.history_empty_list:
        # The real gateway has no empty history page: nothing to return is error 3 (§6.3).
        return call.error(3, text="messages not found")
    return render(call, rows, single=False)


def handle_answers(call: Call) -> web.Response:
    """get.php?get_answers: incoming SMS of the last `hour` hours, after_id, to_phone."""
    p = call.params
    hour = int_param(p.get("hour"), 24, 1, 168)
    cnt = int_param(p.get("cnt"), 100, 1, 10000)
    after = int_param(p.get("after_id"), 0, 0, 10**15)
    if hour is None or cnt is None or after is None:
        return call.error(1)
    to = numbering.normalize_phone(p.get("to_phone", "")) or ""
    found = [
        i
        for i in call.emu.campaign.inbound
        if i.provider == "smsc"
        and i.login == call.login
        and call.now - hour * 3600 <= i.received
        and i.received <= call.now
        and i.id > after
        and (not to or i.to_phone == to)
    ]
    found = found[:cnt] if after else found[-cnt:]
    rows = [
        {
            "id": i.id,
            "received": int(i.received),
            "phone": i.phone,
            "message": i.text,
            "to_phone": i.to_phone,
            "sent": int(i.sent),
        }
        for i in found
    ]
    return render(call, rows, single=False)


def handle_stat(call: Call) -> web.Response:
    """get.php?get_stat: messages and money spent in a period (values as strings)."""
    p = call.params
    try:
        start = numbering.parse_msk_day(p.get("start", ""))
        end = numbering.parse_msk_day(p["end"]) + 86400 if p.get("end", "").strip() else call.now
    except ValueError:
        return call.error(1)
    msgs = [
        m
        for m in call.emu.campaign.smsc
        if m.login == call.login and start <= m.sent < end and m.sent <= call.now
    ]
    spent = sum((m.cost for m in msgs), Decimal(0))
    row = {
        "login": call.login,
        "cnt": str(sum(m.parts for m in msgs)),
        "credit": str(spent),
        "debit": "0.00",
        "currency": "RUR",
    }
    return render(call, [row], single=False)


def handle_operator(call: Call) -> web.Response:
    """info.php?get_operator: country, operator, region, mcc, mnc, tz (strings); 3 if unknown."""
    raw = [x for x in call.params.get("phone", "").split(",") if x.strip()]
    if not raw:
        return call.error(1)
    rows = []
    for phone in raw:
        plan = numbering.lookup(numbering.normalize_phone(phone) or "")
        if plan is None:
            return call.error(3, text="operator not found")
        rows.append(
            {
                "country": "Россия",
                "operator": plan.operator.name,
                "region": plan.region,
                "mcc": "250",
                "mnc": plan.operator.mnc,
                "tz": plan.tz,
            }
        )
    return render(call, rows, single=len(raw) == 1, tag="operator")
