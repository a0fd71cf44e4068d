"""SMSC incoming-SMS pushes and Webcom XML pushes, checked with the real receiver's decoders."""

from __future__ import annotations

import asyncio
from random import Random

import pytest
from aiohttp import web

from smstui.emulator.options import EmulatorOptions
from smstui.emulator.push_bodies import acked_ids, webcom_batch
from smstui.errors import ConfigError
from smstui.secrets import Secret
from smstui.webhook.smsc_push import (
    SmscEvent,
    Verdict,
    check_signature,
    decode_smsc_push,
    to_incoming,
)
from smstui.webhook.webcom_push import ack_body, decode_webcom_push


class Hook:
    """A webhook endpoint recording (query, body, content type); Webcom acks in the batch format."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes, str]] = []
        self.seen: dict[str, int] = {}

    async def smsc(self, request: web.Request) -> web.Response:
        self.posts.append((request.query_string, await request.read(), request.content_type))
        return web.Response(text="OK")

    async def webcom(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.posts.append(("", body, request.headers["Content-Type"]))
        batch = decode_webcom_push(body, request.headers["Content-Type"])
        acked = []
        for entry in batch.entries:
            n = self.seen[entry.message_id] = self.seen.get(entry.message_id, 0) + 1
            if int(entry.message_id) % 2 == 0 or n >= 2:  # odd ids only on their second try
                acked.append(entry.raw_id)
        data, ctype = ack_body(acked, batch.fmt)
        return web.Response(body=data, headers={"Content-Type": ctype})


async def serve(hook: Hook) -> tuple[web.AppRunner, int]:
    app = web.Application()
    app.router.add_post("/smsc", hook.smsc)
    app.router.add_post("/webcom", hook.webcom)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def wait_for(predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_smsc_incoming_sms_pushed_with_mes_to_and_verified_hash(make_emulator):
    hook = Hook()
    runner, port = await serve(hook)
    url = f"http://127.0.0.1:{port}/smsc?md5=s3cr3t"  # windows-1251, the default charset
    try:
        async with make_emulator(seed=5, messages=5, rate=30.0, smsc_webhook=url) as emu:
            emu.clock.advance(1800)  # a live inbound SMS every 40 s
            start, now = emu.campaign.start, emu.now()  # now() materializes the live campaign
            due = [
                i
                for i in emu.campaign.inbound
                if i.provider == "smsc" and start < i.received <= now
            ]
            decoded = []

            def incoming():
                decoded.extend(decode_smsc_push(b, c, q) for q, b, c in hook.posts[len(decoded) :])
                return sum(p.kind is SmscEvent.INCOMING for p in decoded) == len(due)

            await wait_for(incoming)
        pushes = [p for p in decoded if p.kind is SmscEvent.INCOMING]
        assert len(due) >= 30
        assert all(check_signature(p, Secret("s3cr3t")) is Verdict.VERIFIED for p in pushes)
        got = {
            m.incoming_id: (m.phone, m.text, m.to_phone, m.received_at)
            for m in (to_incoming(p, "main", 0.0) for p in pushes)
        }
        want = {str(i.id): (i.phone, i.text, i.to_phone, float(int(i.received))) for i in due}
        assert got == want
        assert any(any("а" <= ch <= "я" for ch in t[1]) for t in got.values())  # Cyrillic, cp1251
        statuses = [p for p in decoded if p.kind is SmscEvent.STATUS]
        assert statuses and all(check_signature(p, Secret("s3cr3t")) for p in statuses)
    finally:
        await runner.cleanup()


async def test_webcom_xml_pushes_acked_as_xml_and_unacked_retried(make_emulator):
    hook = Hook()
    runner, port = await serve(hook)
    url = f"http://127.0.0.1:{port}/webcom"
    try:
        async with make_emulator(
            seed=4, messages=40, rate=0, webcom_webhook=url, webcom_push_format="xml"
        ) as emu:
            for k in range(12):
                emu.campaign.add_webcom(
                    "demo", f"7916123{k:04d}", "Hi", "MyShop", emu.now(), 600, Random(k)
                )
            emu.clock.advance(3 * 86400)
            start, now = emu.campaign.start, emu.clock.now()
            final = {
                w.id_sms: w.timeline[-1][1]
                for w in emu.campaign.webcom
                if start < w.timeline[-1][0] <= now
            }
            await wait_for(lambda: emu.stats()["pushes"]["acked"] >= len(final))
            stats = emu.stats()["pushes"]
        assert final and stats["failed"] == 0 and stats["acked"] == len(final)
        assert {c for _, _, c in hook.posts} == {"text/xml; charset=utf-8"}
        assert all(b.decode().split("\n")[1].startswith("<response>") for _, b, _ in hook.posts)
        last = {}
        for _, body, ctype in hook.posts:
            batch = decode_webcom_push(body, ctype)
            assert batch.fmt == "xml" and batch.rejected == 0
            last.update({int(e.message_id): e.state_word for e in batch.entries})
        assert {i: s for i, s in last.items() if i in final} == final
        odd = [i for i in final if i % 2]
        assert odd and all(hook.seen[str(i)] == 2 for i in odd)
    finally:
        await runner.cleanup()


def test_webcom_batch_bodies_and_ack_parsing():
    items = [(11, 1763715600.0, "deliver"), (12, 1763715660.0, "not_deliver")]
    body, ctype = webcom_batch(items, "xml", "request")
    batch = decode_webcom_push(body, ctype)
    assert body.decode().endswith("</request>") and [e.state_word for e in batch.entries] == [
        "deliver",
        "not_deliver",
    ]
    assert batch.entries[0].time_text == "2025-11-21 12:00:00"  # Moscow time
    body, ctype = webcom_batch(items)
    assert ctype == "text/json; charset=utf-8" and decode_webcom_push(body, ctype).fmt == "json"
    assert acked_ids('[{"id_sms": 11}, {"id_sms": "12"}, 13, {"x": 1}]') == {11, 12, 13}
    assert acked_ids("<response><id_sms>11</id_sms><id_sms> 12 </id_sms></response>") == {11, 12}
    for junk in (None, "", "OK", "<response><id_sms>", '{"id_sms": 11}', "[true, null]"):
        assert acked_ids(junk) == set()


def test_push_format_options_are_checked():
    with pytest.raises(ConfigError):
        EmulatorOptions(webcom_push_format="yaml")
    with pytest.raises(ConfigError):
        EmulatorOptions(webcom_push_root="root")


async def test_deleted_scheduled_send_is_never_pushed(make_emulator):
    hook = Hook()
    runner, port = await serve(hook)
    try:
        async with make_emulator(
            seed=6,
            messages=0,
            webcom_messages=0,
            rate=0,
            webcom_webhook=f"http://127.0.0.1:{port}/webcom",
        ) as emu:
            now = emu.now()
            kept, dropped = (
                emu.campaign.add_webcom(
                    "demo", phone, "Hi", "MyShop", now + 600, 600, Random(1), queued_at=now
                )
                for phone in ("79161234567", "79161234568")
            )
            emu.campaign.cancel_webcom(dropped)
            emu.clock.advance(3 * 3600)
            await wait_for(lambda: emu.stats()["pushes"]["acked"] >= 1)
            await asyncio.sleep(0.1)  # a push of the deleted one would have been due too
        pushed = {e.message_id for _, b, c in hook.posts for e in decode_webcom_push(b, c).entries}
        assert pushed == {str(kept.id_sms)}
    finally:
        await runner.cleanup()
