"""SMSC status.php: single and mass status, all=0/1/2 field sets, del=1, archive (smsc.md §3)."""

from __future__ import annotations

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.numbering import msk_date
from smstui.emulator.paths import SmscMessage
from smstui.emulator.smsc import Call, is_flag
from smstui.emulator.smsc_rows import int_param, render
from smstui.emulator.smsc_wire import reply

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
    level = int_param(call.params.get("all"), 0, 0, 2)
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
    return render(call, rows, single=not mass)


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
