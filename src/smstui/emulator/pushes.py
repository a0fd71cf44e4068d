"""Webhook sender: posts each due status change (and SMSC incoming SMS) as the gateway would.

SMSC: one POST per event, retried on non-2xx (3 attempts by default). Webcom: batches of up to
100 statuses as JSON or XML, ids not echoed back are retried, 5 attempts in all.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
from collections.abc import Coroutine

import aiohttp

from smstui.emulator.core import Emulator
from smstui.emulator.paths import SmscMessage, WebcomMessage
from smstui.emulator.push_bodies import (
    acked_ids,
    smsc_fields,
    smsc_incoming_fields,
    smsc_push_request,
    webcom_batch,
)
from smstui.emulator.scenario import Inbound
from smstui.secrets import mask_text

log = logging.getLogger(__name__)
BATCH = 100
Event = SmscMessage | WebcomMessage | Inbound


class Pusher:
    """Watches the campaign's timelines and posts each due event to one webhook URL."""

    def __init__(self, emu: Emulator, url: str, provider: str) -> None:
        self.emu, self.url, self.provider = emu, url, provider
        self.due: list[tuple[float, int, int, Event]] = []
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        start = emu.clock.now()
        # Only what happens after start is pushed: earlier events predate the handler.
        for msg in emu.campaign.smsc if provider == "smsc" else emu.campaign.webcom:
            self.on_message(msg, after=start)
        for sms in emu.campaign.inbound:
            self.on_message(sms, after=start)
        emu.campaign.listeners.append(self.on_message)

    def on_message(self, msg: Event, after: float | None = None) -> None:
        """Queue an event's future pushes (web-UI SMSC sends never push; Webcom MO never does)."""
        if isinstance(msg, Inbound):
            if self.provider == "smsc" == msg.provider and (after is None or msg.received > after):
                self._push((msg.received, -1, msg))
        elif self.provider == "smsc" and isinstance(msg, SmscMessage) and msg.via_api:
            for i, (t, status, _) in enumerate(msg.timeline):
                if status != -1 and (after is None or t > after):
                    self._push((t, i, msg))
        elif self.provider == "webcom" and isinstance(msg, WebcomMessage):
            for i, (t, state) in enumerate(msg.timeline):
                if state != "send" and (after is None or t > after):
                    self._push((t, i, msg))

    def _push(self, item: tuple[float, int, Event]) -> None:
        self._seq += 1
        heapq.heappush(self.due, (item[0], self._seq, item[1], item[2]))

    def pop_due(self, now: float) -> list[tuple[int, Event]]:
        """(timeline index, event) of everything due by `now`, in time order."""
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
        """Scan for due events every tick; each push (or batch) is posted by its own task."""
        timeout = aiohttp.ClientTimeout(total=self.emu.opts.push_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                while True:
                    self.emu.now()  # materialize live messages so their changes are queued
                    due = self.pop_due(self.emu.clock.now())
                    if self.provider == "smsc":
                        for index, msg in due:
                            self._spawn(self._smsc(session, msg, index))
                    else:
                        for i in range(0, len(due), BATCH):
                            self._spawn(self._webcom(session, due[i : i + BATCH]))
                    await asyncio.sleep(self.emu.opts.push_tick)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
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

    async def _smsc(self, session: aiohttp.ClientSession, msg: Event, index: int) -> None:
        """One SMSC event: a status change, or (`mes` present) an incoming SMS."""
        opts = self.emu.opts
        if isinstance(msg, Inbound):
            fields, signed = smsc_incoming_fields(msg)
        elif isinstance(msg, SmscMessage) and msg.deleted_at is None:
            when, status, err = msg.timeline[index]
            fields, signed = smsc_fields(msg, when, status, err), None
        else:
            return  # deleted messages report nothing more
        body, ctype = smsc_push_request(
            self.url, fields, signed, crc_hex=opts.crc32_hex, form_only=opts.smsc_push_form_only
        )
        for attempt in range(opts.smsc_push_attempts):
            if await self._post(session, body, ctype) is not None:
                self.emu.stats_counters.pushes["acked"] += 1
                return
            if attempt + 1 < opts.smsc_push_attempts:
                await asyncio.sleep(self.retry_pause())
        self.emu.stats_counters.pushes["failed"] += 1

    async def _webcom(self, session: aiohttp.ClientSession, due: list[tuple[int, Event]]) -> None:
        """POST one batch; ids missing from the answer go again, up to 5 attempts in all."""
        opts = self.emu.opts
        pending: dict[int, tuple[int, float, str]] = {}
        for index, msg in due:
            # Only Webcom messages are queued for a Webcom hook (on_message); a deleted
            # scheduled send never reaches the operator.
            if not isinstance(msg, WebcomMessage) or msg.cancelled:
                continue
            when, state = msg.timeline[index]
            pending[msg.id_sms] = (msg.id_sms, when, state)
        if not pending:
            return
        for attempt in range(opts.webcom_push_attempts):
            body, ctype = webcom_batch(
                list(pending.values()), opts.webcom_push_format, opts.webcom_push_root
            )
            answer = await self._post(session, body, ctype)
            for id_sms in acked_ids(answer) & set(pending):
                del pending[id_sms]
                self.emu.stats_counters.pushes["acked"] += 1
            if not pending:
                return
            if attempt + 1 < opts.webcom_push_attempts:
                await asyncio.sleep(self.retry_pause())
        self.emu.stats_counters.pushes["failed"] += len(pending)
