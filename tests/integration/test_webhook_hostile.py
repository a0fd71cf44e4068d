"""Hostile pushes over real loopback HTTP: charsets, XML tricks, future dates, huge batches."""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
from urllib.parse import urlencode

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret
from smstui.webhook import server as server_module
from smstui.webhook.counters import health_line
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.signature import smsc_hash
from smstui.webhook.sink import MemorySink

SECRET = Secret("s3cr3t-smsc")
ACCOUNTS = {"main": Provider.SMSC, "wc": Provider.WEBCOM}
NOW = 1_763_723_000.0  # 2025-11-21 11:03:20 UTC
Y2099 = 4_070_908_800  # 2099-01-01 00:00:00 UTC
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def signed(mid: str = "1001", status: str = "1", ts: int = 1_763_722_991, **extra: str) -> str:
    fields = {"id": mid, "phone": "79991234567", "status": status, "err": "0", "ts": str(ts)}
    fields.update(extra)
    fields["md5"] = smsc_hash("md5", [mid, "79991234567", status], SECRET)
    return urlencode(fields)


@pytest.fixture
async def receiver():
    opts = ReceiverOptions(smsc_secret=SECRET, accounts=ACCOUNTS, body_timeout_s=30)
    async with WebhookReceiver(opts, sink=MemorySink(), clock=FakeClock(NOW)) as rec:
        yield rec


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.mark.parametrize(
    "charset", ["%00", "undefined", "punycode", "rot13", "base64", "utf-16", "x%FF", "latin-1"]
)
async def test_hostile_charset_is_400_before_the_signature_check(receiver, http, charset) -> None:
    unsigned = "id=1&phone=79991234567&status=1"  # would be a 403 if it got that far
    response = await http.post(f"{receiver.url}/smsc?charset={charset}", content=unsigned,
                               headers=FORM)  # fmt: skip
    assert response.status_code == 400 and response.text.startswith("malformed push")
    assert receiver.counters["bad_400"] == 1 and receiver.counters["rejected_403"] == 0
    assert receiver.sink.changes == []


async def test_hostile_charset_is_refused_before_the_body_is_read(receiver) -> None:
    # The body is announced but never sent: an answer at all proves nobody waited for it
    # (body_timeout_s is 30 s here; the test would hang on the 408 path otherwise).
    host, port = receiver.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /smsc?charset=rot13 HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n")
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    writer.close()
    assert b" 400 " in status_line


async def test_allowed_charsets_and_aliases_still_verify(receiver, http) -> None:
    for n, charset in enumerate(["utf-8", "UTF8", "windows-1251", "cp1251", "koi8-r", ""]):
        body = signed(mid=str(n))
        response = await http.post(f"{receiver.url}/smsc?charset={charset}", content=body,
                                   headers=FORM)  # fmt: skip
        assert response.status_code == 200, (charset, response.text)
    assert len(receiver.sink.changes) == 6


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
async def test_utf16_xml_entities_are_400_and_store_nothing(receiver, http, codec) -> None:
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY d "deliver">]>'
        '<response><state id_sms="7" time="2025-03-01 12:57:46">&d;</state></response>'
    )
    for ctype in ("text/xml", "application/xml", ""):
        response = await http.post(f"{receiver.url}/webcom", content=doc.encode(codec),
                                   headers={"Content-Type": ctype} if ctype else {})  # fmt: skip
        assert response.status_code == 400
    assert receiver.sink.changes == [] and receiver.counters["statuses"] == 0


async def test_utf8_bom_xml_with_entity_is_400_for_both_gateways(receiver, http) -> None:
    doc = codecs.BOM_UTF8 + (
        b'<!DOCTYPE r [<!ENTITY s "1">]><status><id>1</id><phone>79991234567</phone>'
        b"<status>&s;</status></status>"
    )
    for path in ("/webcom", "/smsc?fmt=2&charset=utf-8"):
        response = await http.post(f"{receiver.url}{path}", content=doc,
                                   headers={"Content-Type": "text/xml"})  # fmt: skip
        assert response.status_code == 400 and "malformed" in response.text
    assert receiver.sink.changes == []


async def test_push_dated_2099_is_clamped_and_does_not_freeze_the_state(receiver, http) -> None:
    forged_future = signed(status="20", ts=Y2099)  # ts is not covered by the hash
    response = await http.post(f"{receiver.url}/smsc", content=forged_future, headers=FORM)
    assert response.status_code == 200
    [clamped] = receiver.sink.changes
    assert clamped.at == NOW and clamped.claimed_at == Y2099  # marked for the timeline
    assert clamped.state is DeliveryState.FAILED and receiver.counters["future_clamped"] == 1
    again = await http.post(f"{receiver.url}/smsc", content=forged_future, headers=FORM)
    assert again.status_code == 200 and receiver.counters["duplicates"] == 1  # a retry dedups
    receiver.clock.advance(60)
    truth = signed(status="1", ts=int(NOW) + 30)  # the real delivery report, after receipt
    assert (await http.post(f"{receiver.url}/smsc", content=truth, headers=FORM)).is_success
    latest = receiver.sink.latest[("main", "1001", "79991234567")]
    assert latest.state is DeliveryState.DELIVERED and latest.claimed_at is None


async def test_webcom_future_time_is_clamped_but_small_skew_is_kept(receiver, http) -> None:
    batch = [
        {"id_sms": 1, "time": "2099-01-01 03:00:00", "state": "deliver"},
        {"id_sms": 2, "time": "2025-11-21 14:06:20", "state": "deliver"},  # NOW + 3 min (MSK)
    ]
    response = await http.post(f"{receiver.url}/webcom", json=batch)
    assert response.json() == [{"id_sms": 1}, {"id_sms": 2}]
    first, second = receiver.sink.changes
    assert (first.at, first.claimed_at) == (NOW, Y2099)
    assert (second.at, second.claimed_at) == (NOW + 180, None)
    assert "1 future-dated" in health_line(receiver.counters)


def webcom_batch(n: int) -> bytes:
    """n statuses, each id twice in a row (as a retried batch may), compact like Webcom's JSON.

    Half `send` (no time), half `deliver`: 18,000 entries come to ~950 KB, like the measured push.
    """
    items = []
    for i in range(n):
        mid = 10_000 + i // 2
        time, state = ("", "send") if mid % 2 else ("2025-03-01 12:57:46", "deliver")
        items.append({"id_sms": mid, "time": time, "state": state})
    return json.dumps(items, separators=(",", ":")).encode()


async def test_18000_id_webcom_push_is_handled_whole_and_once(receiver, http) -> None:
    body = webcom_batch(18_000)
    assert len(body) < 1_000_000  # inside the default body limit, like the measured 936 KB push
    response = await http.post(f"{receiver.url}/webcom", content=body,
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200 and len(response.json()) == 9_000
    assert len(receiver.sink.changes) == 9_000 and receiver.counters["duplicates"] == 9_000
    retry = await http.post(f"{receiver.url}/webcom", content=body)
    assert len(retry.json()) == 9_000 and len(receiver.sink.changes) == 9_000


class CountingId(str):
    """A message id that counts equality tests, to see how the receiver's dedupe scales."""

    calls = 0
    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        CountingId.calls += 1
        return str.__eq__(self, other)


async def test_receiver_dedupe_work_is_linear_in_the_batch(receiver, http, monkeypatch) -> None:
    real = server_module.webcom_push.decode_webcom_push

    def counted(body: bytes, ctype: str):
        batch = real(body, ctype)
        batch.entries = [e.__class__(e.raw_id, CountingId(e.message_id), e.state_word,
                                     e.time_text, e.at) for e in batch.entries]  # fmt: skip
        return batch

    monkeypatch.setattr(server_module.webcom_push, "decode_webcom_push", counted)
    calls = []
    for n in (2_000, 18_000):
        CountingId.calls = 0
        response = await http.post(f"{receiver.url}/webcom/wc", content=webcom_batch(n))
        assert response.status_code == 200
        calls.append(CountingId.calls)
    # The list scan this replaces made ~n²/8 tests (over 40 million at 18,000 ids).
    assert calls[1] <= 4 * 18_000 and calls[1] <= 12 * max(calls[0], 1)


async def test_malformed_http_is_one_masked_line_not_an_error_with_the_secret(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    opts = ReceiverOptions(smsc_secret=SECRET, path_secret=Secret("hidden-seg"), accounts=ACCOUNTS)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        host, port = rec.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        # Bare LF line ends: aiohttp's parser refuses the request and quotes its bytes.
        writer.write(
            b"POST /hidden-seg/smsc?md5=" + SECRET.reveal().encode() + b" HTTP/1.1\nHost: x\n\n"
        )
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        writer.close()
    assert b" 400 " in status_line and rec.counters["bad_400"] == 1
    assert "hidden-seg" not in caplog.text and SECRET.reveal() not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert "malformed HTTP" in caplog.text
