"""What each gateway POSTs to a webhook: SMSC status / incoming-SMS bodies, Webcom batches.

Pure functions (no I/O), so tests can check bodies byte for byte. The SMSC control hash is the
receiver's own `smsc_hash`, so sender and verifier cannot drift apart.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.sax.saxutils import quoteattr

from smstui.emulator.numbering import msk_date, msk_iso
from smstui.emulator.paths import SmscMessage
from smstui.emulator.scenario import Inbound
from smstui.emulator.smsc_wire import CHARSETS
from smstui.emulator.xmltext import escape_text
from smstui.webhook.signature import ALGORITHMS, smsc_hash

XML_HEAD = '<?xml version="1.0" encoding="utf-8" ?>'
WEBCOM_FORMATS = ("json", "xml")
WEBCOM_XML_ROOTS = ("response", "request")  # Webcom documents <response>, siblings <request>


def smsc_push_request(
    url: str,
    fields: dict[str, str],
    signed: Sequence[str] | None = None,
    *,
    crc_hex: bool = False,
    form_only: bool = False,
) -> tuple[bytes, str]:
    """(body, Content-Type) SMSC would POST to this handler URL for these fields.

    `signed` are the values hashed before the secret; by default a status's id, phone, status
    (smsc.md §10.6). Every query parameter of the URL is posted back, the secret replaced by
    the hash; values travel in the URL's charset (windows-1251 by default).
    """
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    charset = query.get("charset", "windows-1251").lower()
    codec = CHARSETS.get(charset, "cp1251")
    parts = (
        list(signed) if signed is not None else [fields["id"], fields["phone"], fields["status"]]
    )
    body = {**query, **fields}
    for algo in ALGORITHMS:
        if algo in query:  # the URL carries the secret; the body carries the hash instead
            # Hash the values as the handler will read them: a character the charset lacks
            # becomes "?" in the body, so it must be "?" in the hashed string too.
            posted = [p.encode(codec, "replace").decode(codec) for p in parts]
            secret = query[algo].encode(codec, "replace").decode(codec)
            body[algo] = smsc_hash(algo, posted, secret, encoding=codec, crc32_hex=crc_hex)
            break
    fmt = "" if form_only else query.get("fmt", "")
    if fmt == "3":
        data = json.dumps(body, ensure_ascii=False).encode(codec, "replace")
        return data, f"application/json; charset={charset}"
    if fmt == "2":
        inner = "".join(f"<{k}>{escape_text(str(v))}</{k}>" for k, v in body.items())
        return f"<status>{inner}</status>".encode(codec, "replace"), f"text/xml; charset={charset}"
    return urlencode(body, encoding=codec, errors="replace").encode("ascii"), (
        "application/x-www-form-urlencoded"
    )


def smsc_fields(m: SmscMessage, when: float, status: int, err: int) -> dict[str, str]:
    """The standard fields of one status change (form values are strings; HLR adds its own)."""
    plan = m.plan
    fields = {
        "id": m.id,
        "phone": m.phone,
        "status": str(status),
        "err": str(err),
        "time": msk_date(when),
        "ts": str(int(when)),
        "cnt": str(m.parts),
        "type": str(m.type),
        "cost": str(m.cost),
        "flag": str(m.type),
        "sender": m.sender,
        "mccmnc": plan.mccmnc if plan else "",
        "message": m.text,
        "country": "Россия" if plan else "",
        "operator": plan.operator.name if plan else "",
        "operator_orig": plan.operator.name if plan else "",
        "region": plan.region if plan else "",
    }
    if m.hlr and status in (1, 20):
        fields.update(m.hlr)
    return fields


def smsc_incoming_fields(sms: Inbound) -> tuple[dict[str, str], list[str]]:
    """(fields, hashed values) of an incoming-SMS push: `mes` marks the event (§10.4, §10.5)."""
    fields = {
        "id": str(sms.id),
        "phone": sms.phone,
        "mes": sms.text,
        "to": sms.to_phone,
        "sent": str(int(sms.sent)),
        "time": msk_date(sms.received),
        "ts": str(int(sms.received)),
    }
    return fields, [sms.phone, sms.text, sms.to_phone]  # phone:mes:to:secret (open question 5)


def webcom_batch(
    items: Sequence[tuple[int, float, str]], fmt: str = "json", root: str = "response"
) -> tuple[bytes, str]:
    """(body, Content-Type) of one Webcom push of (id_sms, change time, state) items.

    JSON: `[{"id_sms", "time", "state"}]` (§3.3); XML: `<response>` (or the sibling `<request>`)
    with one `<state id_sms time sms>word</state>` per item (§5.3).
    """
    if fmt == "xml":
        states = "".join(
            f'<state id_sms="{id_sms}" time="{msk_iso(when)}" sms={quoteattr(state)}>'
            f"{escape_text(state)}</state>"
            for id_sms, when, state in items
        )
        text = f"{XML_HEAD}\n<{root}>{states}</{root}>"
        return text.encode("utf-8"), "text/xml; charset=utf-8"
    rows = [{"id_sms": i, "time": msk_iso(when), "state": state} for i, when, state in items]
    return json.dumps(rows, ensure_ascii=False).encode("utf-8"), "text/json; charset=utf-8"


def acked_ids(answer: str | None) -> set[int]:
    """Ids a Webcom handler acknowledged: `[{"id_sms": …}]` JSON or `<id_sms>` XML elements.

    An unusable answer acknowledges nothing, so the whole batch is tried again.
    """
    if not answer or not answer.strip():
        return set()
    raw: list[object] = []
    if answer.lstrip().startswith("<"):
        try:
            root = ET.fromstring(answer.strip().encode("utf-8"))
        except ET.ParseError:
            return set()
        raw = [el.text or el.get("id_sms", "") for el in root.iter("id_sms")]
    else:
        try:
            items = json.loads(answer)
        except json.JSONDecodeError:
            return set()
        for item in items if isinstance(items, list) else []:
            raw.append(item.get("id_sms") if isinstance(item, dict) else item)
    return {int(str(r).strip()) for r in raw if str(r).strip().isdigit()}
