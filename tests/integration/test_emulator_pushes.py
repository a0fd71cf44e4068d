"""Pushes to a real aiohttp receiver: SMSC control hashes and charsets, Webcom partial acks."""

from __future__ import annotations

import asyncio
import hashlib
import json
import zlib
from urllib.parse import parse_qsl, quote

import httpx
from aiohttp import web

from smstui.emulator.push_bodies import smsc_push_request


class Receiver:
    """A tiny webhook endpoint that records every POST and answers as configured."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes, str]] = []  # (query string, body, content type)
        self.webcom_seen: dict[int, int] = {}
        self.fail_first = 0

    async def smsc(self, request: web.Request) -> web.Response:
        self.posts.append((request.query_string, await request.read(), request.content_type))
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503)
        return web.Response(text="OK")

    async def webcom(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.posts.append((request.query_string, raw, request.headers["Content-Type"]))
        items = json.loads(raw)
        acked = []
        for item in items:
            n = self.webcom_seen[item["id_sms"]] = self.webcom_seen.get(item["id_sms"], 0) + 1
            if item["id_sms"] % 2 == 0 or n >= 2:  # odd ids only on their second delivery
                acked.append({"id_sms": item["id_sms"]})
        return web.json_response(acked)


async def serve(receiver: Receiver):
    app = web.Application()
    app.router.add_post("/smsc", receiver.smsc)
    app.router.add_post("/webcom", receiver.webcom)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


async def wait_for(predicate, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def api_sends(emu, n: int) -> None:
    """Send n messages through send.php (windows-1251 default, Cyrillic text)."""
    mes = quote("Привет".encode("cp1251"))
    async with httpx.AsyncClient(base_url=emu.base_url) as client:
        for i in range(n):
            await client.get(
                f"/sys/send.php?login=demo&psw=demo&valid=1&phones=7916123{i:04d}&mes={mes}"
            )


async def webcom_sends(emu, n: int) -> None:
    """Send n messages through POST /json."""
    phones = [{"phone": 79161230000 + i} for i in range(n)]
    body = {
        "login": "demo",
        "password": "demo",
        "message": {"type_send_1": "sms", "sender": "MyShop", "text": "Hi", "phones": phones},
    }
    async with httpx.AsyncClient(base_url=emu.base_url) as client:
        await client.post("/json", content=json.dumps(body))


def expected_smsc_pushes(emu) -> int:
    """Status changes after start of messages sent through the API."""
    return sum(
        1
        for m in emu.campaign.smsc
        if m.via_api
        for t, s, _ in m.timeline
        if s != -1 and emu.campaign.start < t <= emu.clock.now()
    )


def test_worked_example_hashes():
    """smsc.md §10.6 worked example, through the emulator's body builder (receiver's hash)."""
    fields = {"id": "1001", "phone": "79991234567", "status": "1"}
    expected = {
        "md5": "3fb6be5000eec2ba600a3135d1792786",
        "sha1": "b48b683314cc92dc32f4f88bb04572570fe5b82d",
        "crc32": "2343645342",
    }
    for algo, value in expected.items():
        url = f"https://shop.example/smsc/cb?charset=utf-8&{algo}=s3cr3t"
        body, _ = smsc_push_request(url, fields)
        assert dict(parse_qsl(body.decode()))[algo] == value
    body, _ = smsc_push_request("https://x/cb?crc32=s3cr3t&charset=utf-8", fields, crc_hex=True)
    assert dict(parse_qsl(body.decode()))["crc32"] == "8bb1309e"


async def test_smsc_form_push_md5_windows_1251(make_emulator):
    rec = Receiver()
    runner, port = await serve(rec)
    url = f"http://127.0.0.1:{port}/smsc?md5=s3cr3t&src=prod"
    try:
        async with make_emulator(seed=2, messages=30, rate=0, smsc_webhook=url) as emu:
            await api_sends(emu, 6)
            emu.clock.advance(3 * 3600)
            await wait_for(lambda: emu.stats()["pushes"]["acked"] == expected_smsc_pushes(emu))
            web_ui = {str(m.id) for m in emu.campaign.smsc if not m.via_api}
        query, body, ctype = rec.posts[0]
        assert ctype == "application/x-www-form-urlencoded" and "md5=s3cr3t" in query
        for _, body, _ in rec.posts:
            fields = dict(parse_qsl(body.decode("ascii"), encoding="cp1251"))
            assert fields["src"] == "prod" and fields["id"] not in web_ui
            signed = f"{fields['id']}:{fields['phone']}:{fields['status']}:s3cr3t"
            assert fields["md5"] == hashlib.md5(signed.encode("cp1251")).hexdigest()
            assert {"err", "ts", "time", "cnt", "type", "cost", "sender", "mccmnc"} <= set(fields)
        texts = [
            dict(parse_qsl(b.decode("ascii"), encoding="cp1251"))["message"]
            for _, b, _ in rec.posts
        ]
        assert any(any("а" <= ch <= "я" for ch in t) for t in texts)  # Cyrillic survived cp1251
    finally:
        await runner.cleanup()


async def test_smsc_push_crc32_sha1_utf8_json_and_retries(make_emulator):
    rec = Receiver()
    rec.fail_first = 2
    runner, port = await serve(rec)
    try:
        url = f"http://127.0.0.1:{port}/smsc?charset=utf-8&crc32=k-1"
        async with make_emulator(seed=2, messages=5, rate=0, smsc_webhook=url) as emu:
            sent = emu.campaign.add_smsc(
                "demo",
                ["79161234567"],
                "Привет",
                "MyShop",
                emu.clock.now(),
                3600,
                __import__("random").Random(1),
            )
            emu.clock.advance(600)
            await wait_for(lambda: emu.stats()["pushes"]["acked"] >= 2)
            stats = emu.stats()["pushes"]
        assert stats["sent"] >= stats["acked"] + 2  # the two 503s were retried
        mine = [dict(parse_qsl(b.decode(), encoding="utf-8")) for _, b, _ in rec.posts]
        mine = [f for f in mine if f["id"] == sent[0].id]
        assert mine and all(
            f["crc32"]
            == str(zlib.crc32(f"{f['id']}:{f['phone']}:{f['status']}:k-1".encode()) & 0xFFFFFFFF)
            for f in mine
        )
        rec.posts.clear()
        url = f"http://127.0.0.1:{port}/smsc?fmt=3&sha1=x"
        async with make_emulator(seed=2, messages=5, rate=0, smsc_webhook=url) as emu:
            await api_sends(emu, 1)
            emu.clock.advance(3 * 3600)
            await wait_for(lambda: rec.posts)
        _, body, ctype = rec.posts[0]
        doc = json.loads(body.decode("cp1251"))
        assert ctype == "application/json" and doc["fmt"] == "3"
        assert (
            doc["sha1"]
            == hashlib.sha1(f"{doc['id']}:{doc['phone']}:{doc['status']}:x".encode()).hexdigest()
        )
    finally:
        await runner.cleanup()


async def test_webcom_batches_retry_unacked_ids(make_emulator):
    rec = Receiver()
    runner, port = await serve(rec)
    try:
        url = f"http://127.0.0.1:{port}/webcom"
        async with make_emulator(seed=4, messages=40, rate=0, webcom_webhook=url) as emu:
            await webcom_sends(emu, 12)
            emu.clock.advance(3 * 86400)
            final = [
                w.id_sms
                for w in emu.campaign.webcom
                if w.timeline[-1][0] > emu.campaign.start and w.timeline[-1][0] <= emu.clock.now()
            ]
            await wait_for(lambda: emu.stats()["pushes"]["acked"] >= len(final))
            stats = emu.stats()["pushes"]
        assert final and stats["failed"] == 0 and stats["acked"] == len(final)
        assert rec.posts[0][2] == "text/json; charset=utf-8"
        batch = json.loads(rec.posts[0][1])
        assert isinstance(batch, list) and set(batch[0]) == {"id_sms", "time", "state"}
        odd = [i for i in final if i % 2]
        assert odd and all(rec.webcom_seen[i] == 2 for i in odd)
        assert all(rec.webcom_seen[i] == 1 for i in final if i % 2 == 0)
    finally:
        await runner.cleanup()


async def test_webcom_gives_up_after_5_attempts(make_emulator):
    async def never(request: web.Request) -> web.Response:
        calls.append(1)
        return web.json_response([])

    calls: list[int] = []
    app = web.Application()
    app.router.add_post("/w", never)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with make_emulator(
            seed=1,
            messages=0,
            webcom_messages=0,
            rate=0,
            webcom_webhook=f"http://127.0.0.1:{port}/w",
        ) as emu:
            emu.campaign.add_webcom(
                "demo",
                "79161234567",
                "hi",
                "MyShop",
                emu.clock.now(),
                600,
                __import__("random").Random(3),
            )
            emu.clock.advance(7200)
            await wait_for(lambda: emu.stats()["pushes"]["failed"] == 1)
        assert len(calls) == 5
    finally:
        await runner.cleanup()
