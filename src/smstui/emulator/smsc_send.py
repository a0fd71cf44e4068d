"""SMSC send.php: validation, part counting, pricing, cost modes and the phones[] report (§2)."""

from __future__ import annotations

import random
import re
from datetime import datetime
from decimal import Decimal

from aiohttp import web

from smstui.emulator import numbering
from smstui.emulator.paths import SmscMessage
from smstui.emulator.scenario import SENDERS
from smstui.emulator.smsc import Call, is_flag
from smstui.emulator.smsc_wire import reply, xml_fields
from smstui.moscow import MSK

REGISTERED_SENDERS = frozenset({*SENDERS, "SMSC.RU", ""})
FORBIDDEN_WORDS = ("казино", "casino", "ставки на спорт")
_STR_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")


def parse_id(raw: str) -> str | None:
    """A client id: integer 1…2147483647 or a ≤40-character [A-Za-z0-9._-] string."""
    raw = raw.strip()
    if raw.isdigit():
        return raw if 1 <= int(raw) <= 2_147_483_647 else None
    return raw if _STR_ID.match(raw) else None


def parse_valid(raw: str) -> float | None:
    """Lifetime 1…24 h as whole hours ("5") or hh:mm ("01:30"); seconds, or None if bad."""
    raw = raw.strip()
    if not raw:
        return 24 * 3600.0
    try:
        if ":" in raw:
            hours, minutes = raw.split(":", 1)
            seconds = int(hours) * 3600 + int(minutes) * 60
        else:
            seconds = int(raw) * 3600
    except ValueError:
        return None
    return float(seconds) if 60 <= seconds <= 24 * 3600 else None


def parse_time(raw: str, now: float) -> float | None:
    """Delivery time (DDMMYYhhmm, DD.MM.YY hh:mm, 0<unix>, +minutes, h1-h2); None if bad."""
    raw = raw.strip()
    if raw in ("", "0"):
        return now
    try:
        if raw.startswith("+"):
            return now + int(raw[1:]) * 60
        if raw.startswith("0") and raw.isdigit():
            return max(now, float(int(raw)))
        if re.fullmatch(r"\d{1,2}-\d{1,2}", raw):
            h1, h2 = (int(x) for x in raw.split("-"))
            local = datetime.fromtimestamp(now, MSK)
            if h1 <= local.hour < h2:
                return now
            start = local.replace(hour=h1 % 24, minute=0, second=0, microsecond=0)
            ts = start.timestamp()
            return ts if ts > now else ts + 86400
        fmt = "%d%m%y%H%M" if raw.isdigit() else "%d.%m.%y %H:%M"
        when = datetime.strptime(raw, fmt).replace(tzinfo=MSK).timestamp()
        return max(now, when)
    except ValueError:
        return None


def handle_send(call: Call) -> web.Response:
    """send.php and /rest/send/."""
    p, emu = call.params, call.emu
    mes = p.get("mes", "")
    hlr = is_flag(call, "hlr") or mes.startswith("__HLR__")
    cost_mode = p.get("cost", "0").strip() or "0"
    raw_id = p.get("id", "").strip()
    # The official libraries always send `id`, 0 by default: 0 means "no client id" (smsc.md §11).
    no_id = not raw_id or (raw_id.isdigit() and int(raw_id) == 0)
    client_id = None if no_id else parse_id(raw_id)
    if cost_mode not in ("0", "1", "2", "3") or (not no_id and not client_id):
        return call.error(1)
    lines = _recipients(p, mes)
    if not lines or any(not text and not hlr for _, text in lines) or len(mes) > 1000:
        return call.error(1)
    valid = parse_valid(p.get("valid", ""))
    if valid is None:
        return call.error(1)
    begin = parse_time(p.get("time", ""), call.now)
    if begin is None:
        return call.error(5)
    shown_id = int(client_id) if client_id and client_id.isdigit() else client_id
    shown_id = shown_id if shown_id is not None else emu.campaign._next_id
    phones = [(raw, numbering.normalize_phone(raw), text) for raw, text in lines]
    good = [(norm, text) for _, norm, text in phones if norm and numbering.is_mobile(norm)]
    if not any(norm for _, norm, _ in phones):
        return call.error(7, shown_id)
    if not good:
        return call.error(8, shown_id)
    if any(w in text.lower() for _, text in good for w in FORBIDDEN_WORDS):
        return call.error(6, shown_id)
    total, cnt = Decimal(0), 0
    for norm, text in good:
        plan = numbering.lookup(norm)
        parts = 1 if hlr else numbering.count_parts(text)
        total += (numbering.HLR_PRICE if hlr else plan.operator.price) * parts  # type: ignore[union-attr]
        cnt += parts
    total = total.quantize(Decimal("0.01"))
    if cost_mode == "1":
        return _priced(call, total, cnt)
    if total > emu.campaign.balance.get(call.login, Decimal(0)):
        return call.error(3, shown_id)
    sender = p.get("sender", "").strip() or "SMSC.RU"  # the account's default sender
    # An HLR query sends nothing to the handset, so the sender is never checked (§5.1).
    registered = hlr or sender in REGISTERED_SENDERS or sender == "."
    reject = None if registered else (23, 254)
    emu.api_sends += 1
    rng = random.Random(f"{emu.opts.seed}:api:{emu.api_sends}")
    msgs = []
    for norm, text in good:
        msgs += emu.campaign.add_smsc(
            call.login,
            [norm],
            text,
            sender,
            call.now,
            valid,
            rng,
            client_id=client_id,
            begin=begin,
            hlr=hlr,
            reject=reject,
        )
        client_id = client_id or msgs[0].id  # every line of a list send shares one id
    body = _sent_body(call, msgs, phones, cnt, cost_mode)
    return _render_sent(call, body)


def _recipients(p: dict[str, str], mes: str) -> list[tuple[str, str]]:
    """(phone, text) pairs from phones+mes or from list lines "phone:message"."""
    if p.get("list", "").strip():
        pairs = []
        for line in p["list"].splitlines():
            phone, sep, text = line.partition(":")
            if sep:
                pairs.append((phone.split("|")[-1].strip(), text))
        return pairs
    raw = p.get("phones", "").replace(";", ",")
    return [(x.strip(), mes) for x in raw.split(",") if x.strip()]


def _priced(call: Call, total: Decimal, cnt: int) -> web.Response:
    """cost=1: the price only, nothing sent."""
    if call.fmt == 3:
        return reply({"cost": str(total), "cnt": cnt}, 3, call.charset)
    if call.fmt == 2:
        return reply(xml_fields("result", {"cost": total, "cnt": cnt}), 2, call.charset)
    if call.fmt == 1:
        return reply(f"{total},{cnt}", 1, call.charset)
    return reply(f"OK - {cnt} SMS, COST - {total}", 0, call.charset)


def _sent_body(
    call: Call,
    msgs: list[SmscMessage],
    phones: list[tuple[str, str | None, str]],
    cnt: int,
    cost_mode: str,
) -> dict[str, object]:
    """The fmt=3 reply object; the other formats are rendered from it."""
    body: dict[str, object] = {"id": msgs[0].id_value, "cnt": cnt}
    spent = sum((m.cost for m in msgs), Decimal(0))
    if cost_mode in ("2", "3"):
        body["cost"] = str(spent.quantize(Decimal("0.01")))
    if cost_mode == "3":
        body["balance"] = str(call.emu.campaign.balance[call.login].quantize(Decimal("0.01")))
    op, err = is_flag(call, "op"), is_flag(call, "err")
    if op or err:
        sent = {m.phone: m for m in msgs}
        items: list[dict[str, object]] = []
        for raw, norm, _ in phones:
            m = sent.get(norm or "")
            if m is not None and op:
                mccmnc = m.plan.mccmnc if m.plan else ""
                items.append({"phone": m.phone, "mccmnc": mccmnc, "cost": str(m.cost)})
            elif m is None:
                status, code = (22, 249) if norm is None else (25, 248)
                items.append(
                    {
                        "phone": norm or raw,
                        "mccmnc": "",
                        "cost": "0",
                        "status": status,
                        "error": code,
                    }
                )
        body["phones"] = items
    return body


def _render_sent(call: Call, body: dict[str, object]) -> web.Response:
    """The success reply in the request's fmt."""
    if call.fmt == 3:
        return reply(body, 3, call.charset)
    if call.fmt == 2:
        flat = {k: v for k, v in body.items() if k != "phones"}
        return reply(xml_fields("result", flat), 2, call.charset)
    extra = [str(body[k]) for k in ("cost", "balance") if k in body]
    if call.fmt == 1:
        return reply(",".join([str(body["id"]), str(body["cnt"]), *extra]), 1, call.charset)
    text = f"OK - {body['cnt']} SMS, ID - {body['id']}"
    if extra:
        text += f", COST - {extra[0]}" + (f", BALANCE - {extra[1]}" if len(extra) > 1 else "")
    return reply(text, 0, call.charset)
