"""SMSC read endpoints: status.php, balance.php, get.php (history, answers, stat), info.php."""

from __future__ import annotations

from decimal import Decimal

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.numbering import msk_date
from smstui.emulator.paths import SmscMessage
from smstui.emulator.smsc import Call, is_flag
from smstui.emulator.smsc_wire import reply, xml_fields

STATUS_NAMES = {
    -3: "Сообщение не найдено",
    -2: "Остановлено",
    -1: "Ожидает отправки",
    0: "Передано оператору",
    1: "Доставлено",
    2: "Прочитано",
    3: "Просрочено",
    4: "Нажата ссылка",
    20: "Невозможно доставить",
    22: "Неверный номер",
    23: "Запрещено",
    24: "Недостаточно средств",
    25: "Недоступный номер",
}
SIX_MONTHS_S = 183 * 86400


def _int(raw: str | None, default: int, lo: int, hi: int) -> int | None:
    """An integer parameter inside [lo, hi], the default when absent, None when bad."""
    if raw is None or not raw.strip():
        return default
    raw = raw.strip()
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        return None
    return int(raw)


def _render(call: Call, rows: list[dict], single: bool, tag: str = "sms") -> web.Response:
    """Object (single) or list in fmt 3; tagged XML; `k = v` or comma lines otherwise."""
    if call.fmt == 3:
        return reply(rows[0] if single else rows, 3, call.charset)
    if call.fmt == 2:
        inner = "".join(xml_fields(tag, r) for r in rows)
        return reply(inner if single else f"<result>{inner}</result>", 2, call.charset)
    if call.fmt == 1:
        return reply("\n".join(",".join(str(v) for v in r.values()) for r in rows), 1, call.charset)
    lines = [", ".join(f"{k} = {v}" for k, v in r.items()) for r in rows]
    return reply("\n".join(lines), 0, call.charset)


def message_fields(m: SmscMessage, now: float, level: int) -> dict:
    """status.php / history fields of one message at `now` (§3.4, §6.2)."""
    changed, status, err = m.at(now)
    row: dict[str, object] = {
        "status": status,
        "last_date": msk_date(changed),
        "last_timestamp": int(changed),
        "flag": m.type,
        "err": err,
    }
    if level >= 1:
        row.update(
            {
                "send_date": msk_date(m.sent),
                "send_timestamp": int(m.sent),
                "phone": m.phone,
                "cost": str(m.cost),
                "sender_id": m.sender,
                "status_name": STATUS_NAMES[status],
                "message": m.text,
                "comment": "",
                "type": m.type,
                "sms_cnt": m.parts,
                "mccmnc": m.plan.mccmnc if m.plan else "",
            }
        )
    if level >= 2:
        op = m.plan.operator.name if m.plan else ""
        row.update(
            {
                "country": "Россия",
                "operator": op,
                "operator_orig": op,
                "region": m.plan.region if m.plan else "",
            }
        )
    if m.hlr and status in (1, 20):
        row.update(m.hlr)
    return row


def _find(call: Call, msg_id: str, phone: str) -> SmscMessage | None:
    norm = numbering.normalize_phone(phone) or phone.strip()
    m = call.emu.campaign.by_key.get((call.login, msg_id.strip(), norm))
    if m is None or m.deleted_at is not None or m.sent > call.now:
        return None
    return m


def handle_status(call: Call) -> web.Response:
    """status.php: single → object, comma lists → array; del=1 deletes."""
    ids = [x for x in call.params.get("id", "").split(",")]
    phones = [x for x in call.params.get("phone", "").split(",")]
    mass = len(ids) > 1 or len(phones) > 1
    if mass and ids[-1] == "" and phones[-1] == "":  # a trailing comma only forces the list
        ids, phones = ids[:-1], phones[:-1]
    level = _int(call.params.get("all"), 0, 0, 2)
    if level is None or not ids or len(ids) != len(phones) or not all(ids) or not all(phones):
        return call.error(1)
    cap = call.emu.opts.mass_status_max
    if cap is not None and len(ids) > cap:
        return call.error(1)
    if is_flag(call, "del"):
        m = _find(call, ids[0], phones[0]) if not mass else None
        if m is None or m.archived(call.now):
            return call.error(5)
        m.deleted_at = call.now
        return reply("OK", 0, call.charset)
    rows = []
    for msg_id, phone in zip(ids, phones, strict=True):
        m = _find(call, msg_id, phone)
        archived = m is not None and call.emu.opts.archive and m.archived(call.now)
        if archived and not mass and call.emu.opts.archived_as_error:
            return call.error(3)
        if m is None or archived:
            row: dict = {"status": -3, "last_date": "", "last_timestamp": 0, "flag": 0, "err": 0}
        else:
            row = message_fields(m, call.now, level)
        if mass:
            shown = int(msg_id) if msg_id.strip().isdigit() else msg_id.strip()
            row = {"id": shown, "phone": numbering.normalize_phone(phone) or phone, **row}
        rows.append(row)
    if call.fmt in (0, 1):  # text forms keep the documented field order
        rows = [_text_status(r, level, call.fmt) for r in rows]
    return _render(call, rows, single=not mass)


def _text_status(row: dict, level: int, fmt: int) -> dict:
    """fmt 0/1 field order: status, check_time/timestamp, err, then the all=1/2 fields."""
    out = {"Status" if fmt == 0 else "status": row["status"]}
    if fmt == 0:
        out.update({"check_time": row["last_date"], "err": row["err"]})
    else:
        out.update({"last_timestamp": row["last_timestamp"], "err": row["err"]})
    keys = (
        [
            "send_date" if fmt == 0 else "send_timestamp",
            "phone",
            "cost",
            "sender_id",
            "status_name",
            "message",
        ]
        if level >= 1
        else []
    )
    keys += ["comment", "type"] if level >= 1 and fmt == 0 else []
    keys += ["country", "operator", "region"] if level >= 2 else []
    out.update({k: row.get(k, "") for k in keys})
    if "id" in row:
        out = {"id": row["id"], "phone": row["phone"], **out}
    return out


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
    cnt = _int(p.get("cnt"), 10, 1, 1000)
    prev_id = _int(p.get("prev_id"), 0, 0, 10**15)
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
    rows = []
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
    return _render(call, rows, single=False)


def handle_answers(call: Call) -> web.Response:
    """get.php?get_answers: incoming SMS of the last `hour` hours, after_id, to_phone."""
    p = call.params
    hour = _int(p.get("hour"), 24, 1, 168)
    cnt = _int(p.get("cnt"), 100, 1, 10000)
    after = _int(p.get("after_id"), 0, 0, 10**15)
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
    return _render(call, rows, single=False)


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
    return _render(call, [row], single=False)


def handle_operator(call: Call) -> web.Response:
    """info.php?get_operator: country, operator, region, mcc, mnc, tz (strings); 3 if unknown."""
    raw = [x for x in call.params.get("phone", "").split(",") if x.strip()]
    if not raw:
        return call.error(1)
    rows = []
    for phone in raw:
        plan = numbering.lookup(numbering.normalize_phone(phone) or "")
        if plan is None:
            return call.error(3)
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
    return _render(call, rows, single=len(raw) == 1, tag="operator")
