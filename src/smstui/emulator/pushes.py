"""Status pushes: SMSC form posts with a control hash, Webcom JSON batches with partial acks."""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import json
import logging
import zlib
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp

from smstui.emulator.core import Emulator
from smstui.emulator.numbering import msk_date, msk_iso
from smstui.emulator.paths import SmscMessage, WebcomMessage
from smstui.emulator.smsc_wire import CHARSETS
from smstui.emulator.xmltext import escape_text
from smstui.secrets import mask_text

log = logging.getLogger(__name__)
HASH_KEYS = ("md5", "sha1", "crc32")
BATCH = 100


def control_hash(kind: str, text: bytes, crc_hex: bool = False) -> str:
    """md5/sha1 as lowercase hex; crc32 as unsigned decimal (or 8-digit hex)."""
    if kind == "md5":
        return hashlib.md5(text).hexdigest()
    if kind == "sha1":
        return hashlib.sha1(text).hexdigest()
    value = zlib.crc32(text) & 0xFFFFFFFF
    return f"{value:08x}" if crc_hex else str(value)


def smsc_push_request(
    url: str, fields: dict[str, str], *, crc_hex: bool = False, form_only: bool = False
) -> tuple[bytes, str]:
    """(body, Content-Type) SMSC would POST to this handler URL for these status fields."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    charset = query.get("charset", "windows-1251").lower()
    codec = CHARSETS.get(charset, "cp1251")
    body = {**query, **fields}
    for kind in HASH_KEYS:
        if kind in query:  # the URL carries the secret; the body carries the hash instead
            signed = f"{fields['id']}:{fields['phone']}:{fields['status']}:{query[kind]}"
            body[kind] = control_hash(kind, signed.encode(codec, "replace"), crc_hex)
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
    """The standard status fields of one change (form values are strings)."""
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


class Pusher:
    """Watches the campaign's timelines and posts each due status change to the webhook."""

    def __init__(self, emu: Emulator, url: str, provider: str) -> None:
        self.emu, self.url, self.provider = emu, url, provider
        self.due: list[tuple[float, int, int, object]] = []
        self._seq = 0
        self._tasks: set[asyncio.Task] = set()
        start = emu.clock.now()
        for msg in emu.campaign.smsc if provider == "smsc" else emu.campaign.webcom:
            self.on_message(msg, after=start)
        emu.campaign.listeners.append(self.on_message)

    def on_message(self, msg: SmscMessage | WebcomMessage, after: float | None = None) -> None:
        """Queue a new message's future changes (web-UI SMSC sends never push)."""
        if self.provider == "smsc" and isinstance(msg, SmscMessage) and msg.via_api:
            for i, (t, status, _) in enumerate(msg.timeline):
                if status != -1 and (after is None or t > after):
                    self._push((t, i, msg))
        elif self.provider == "webcom" and isinstance(msg, WebcomMessage):
            for i, (t, state) in enumerate(msg.timeline):
                if state != "send" and (after is None or t > after):
                    self._push((t, i, msg))

    def _push(self, item: tuple[float, int, object]) -> None:
        self._seq += 1
        heapq.heappush(self.due, (item[0], self._seq, item[1], item[2]))

    def pop_due(self, now: float) -> list[tuple[int, object]]:
        """(timeline index, message) of every change due by `now`."""
        out = []
        while self.due and self.due[0][0] <= now:
            _, _, index, msg = heapq.heappop(self.due)
            out.append((index, msg))
        return out

    def retry_pause(self) -> float:
        """Real seconds between attempts (the option is in emulated seconds)."""
        speed = self.emu.opts.speed if self.emu.opts.clock is None else 1.0
        return self.emu.opts.push_retry_interval / max(speed, 1e-9)

    async def run(self) -> None:
        """Scan for due changes every tick; each batch is posted by its own task."""
        timeout = aiohttp.ClientTimeout(total=self.emu.opts.push_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
                    self.emu.now()  # materialize live messages so their changes are queued
                    due = self.pop_due(self.emu.clock.now())
                    if self.provider == "smsc":
                        for index, msg in due:
                            self._spawn(self._smsc(session, msg, index))  # type: ignore[arg-type]
                    else:
                        for i in range(0, len(due), BATCH):
                            self._spawn(self._webcom(session, due[i : i + BATCH]))  # type: ignore[arg-type]
                    await asyncio.sleep(self.emu.opts.push_tick)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, session: aiohttp.ClientSession, body: bytes, ctype: str) -> str | None:
        """One POST; the reply text on 2xx, None on any failure."""
        self.emu.stats_counters.pushes["sent"] += 1
        try:
            async with session.post(self.url, data=body, headers={"Content-Type": ctype}) as r:
                text = await r.text(errors="replace")
                return text if 200 <= r.status < 300 else None
        except (aiohttp.ClientError, TimeoutError) as err:
            log.info("push to %s failed: %s", mask_text(self.url), err)
            return None

    async def _smsc(self, session: aiohttp.ClientSession, msg: SmscMessage, index: int) -> None:
        if msg.deleted_at is not None:
            return
        when, status, err = msg.timeline[index]
        opts = self.emu.opts
        body, ctype = smsc_push_request(
            self.url,
            smsc_fields(msg, when, status, err),
            crc_hex=opts.crc32_hex,
            form_only=opts.smsc_push_form_only,
        )
        for attempt in range(opts.smsc_push_attempts):
            if await self._post(session, body, ctype) is not None:
                self.emu.stats_counters.pushes["acked"] += 1
                return
            if attempt + 1 < opts.smsc_push_attempts:
                await asyncio.sleep(self.retry_pause())
        self.emu.stats_counters.pushes["failed"] += 1

    async def _webcom(self, session: aiohttp.ClientSession, due: list) -> None:
        """POST [{id_sms, time, state}]; ids missing from the answer go again, 5 attempts."""
        pending = {}
        for index, msg in due:
            when, state = msg.timeline[index]
            pending[msg.id_sms] = {"id_sms": msg.id_sms, "time": msk_iso(when), "state": state}
        for attempt in range(self.emu.opts.webcom_push_attempts):
            body = json.dumps(list(pending.values()), ensure_ascii=False).encode("utf-8")
            answer = await self._post(session, body, "text/json; charset=utf-8")
            for id_sms in _acked_ids(answer) & set(pending):
                del pending[id_sms]
                self.emu.stats_counters.pushes["acked"] += 1
            if not pending:
                return
            if attempt + 1 < self.emu.opts.webcom_push_attempts:
                await asyncio.sleep(self.retry_pause())
        self.emu.stats_counters.pushes["failed"] += len(pending)


def _acked_ids(answer: str | None) -> set[int]:
    """Ids echoed back in [{"id_sms": …}, …]; nothing when the answer is unusable."""
    try:
        items = json.loads(answer) if answer else []
    except json.JSONDecodeError:
        return set()
    out = set()
    for item in items if isinstance(items, list) else []:
        raw = item.get("id_sms") if isinstance(item, dict) else item
        if str(raw).strip().isdigit():
            out.add(int(str(raw).strip()))
    return out
