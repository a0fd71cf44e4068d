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


def message_fields(m: SmscMessage, now: float, level: int) -> dict[str, object]:
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


def _ids(raw: str) -> list[str]:
    """A comma list; one trailing comma (`id=1,2,`) only forces the list shape (§3.1)."""
    items = raw.split(",")
    return items[:-1] if len(items) > 1 and not items[-1].strip() else items


def handle_status(call: Call) -> web.Response:
    """status.php: single → object (error 3 when unknown), comma lists → array; del=1 deletes."""
    raw_ids, raw_phones = call.params.get("id", ""), call.params.get("phone", "")
    mass = "," in raw_ids or "," in raw_phones
    ids, phones = _ids(raw_ids), _ids(raw_phones)
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
    opts = call.emu.opts
    rows = []
    for msg_id, phone in zip(ids, phones, strict=True):
        m = _find(call, msg_id, phone)
        archived = m is not None and opts.archive and m.archived(call.now)
        if m is None or archived:
            # The real gateway answers a single request for an unknown message with error 3;
            # only list-shaped requests get status −3 rows (smsc.md §11).
            single_error = opts.status_not_found_error or (archived and opts.archived_as_error)
            if not mass and single_error:
                return call.error(3, text="message not found")
            row = _not_found_fields(level)
        else:
            row = message_fields(m, call.now, level)
        if mass:
            # Captured mass rows carry id and phone last, the phone without "+" (smsc.md §11).
            shown = int(msg_id) if msg_id.strip().isdigit() else msg_id.strip()
            row = {**row, "id": shown, "phone": numbering.normalize_phone(phone) or phone}
        if call.fmt in (0, 1):  # text forms keep the vendor libraries' field positions
            row = _text_status(row, level, call.fmt, hlr=m is not None and bool(m.hlr), mass=mass)
        rows.append(row)
    return render(call, rows, single=not mass)


def _not_found_fields(level: int) -> dict[str, object]:
    """A −3 row: with status_name (a published client indexes it) and null dates, no message."""
    row: dict[str, object] = {
        "status": -3,
        "last_date": None,
        "last_timestamp": 0,
        "flag": 0,
        "err": 0,
        "status_name": STATUS_NAMES[-3],
    }
    if level >= 1:
        row.update({"send_date": None, "send_timestamp": 0})
    return row


HLR_KEYS = ("imsi", "msc", "mcc", "mnc", "cn", "net", "rcn", "rnet")
GEO_KEYS = ("country", "operator", "region")


def _text_status(
    row: dict[str, object], level: int, fmt: int, *, hlr: bool, mass: bool
) -> dict[str, object]:
    """fmt 0/1 field order as the official libraries index it (PHP/C#/Python `get_status`).

    status, time, err; the 8 HLR fields for an HLR query; country, operator, region (all=2);
    then send time, phone, cost, sender, status name and the message text last (all≥1), so
    `split(",", 9)` (all=1) and `split(",", 12)` (all=2) keep a text with commas whole, and the
    sender `HLR` lands at index 14 (all=1) or 17 (all=2). Mass rows end with id (and phone).
    """
    out = {"Status" if fmt == 0 else "status": row["status"]}
    if fmt == 0:
        out.update({"check_time": row["last_date"], "err": row["err"]})
    else:
        out.update({"last_timestamp": row["last_timestamp"], "err": row["err"]})
    keys: list[str] = list(HLR_KEYS) if hlr else []
    keys += list(GEO_KEYS) if level >= 2 else []
    if level >= 1:
        keys += ["send_date" if fmt == 0 else "send_timestamp", "phone", "cost", "sender_id"]
        keys += ["status_name", "message"] + (["comment", "type"] if fmt == 0 else [])
    out.update({k: row.get(k) for k in keys})
    if mass:
        out["id"] = row["id"]
        out.setdefault("phone", row["phone"])
    return {k: "" if v is None else v for k, v in out.items()}
