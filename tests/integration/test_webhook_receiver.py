"""The receiver over real loopback HTTP: routing, verification, limits, acks, idempotency."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlencode

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret
from smstui.webhook.counters import health_line
from smstui.webhook.server import ReceiverOptions, WebhookReceiver
from smstui.webhook.signature import smsc_hash
from smstui.webhook.sink import MemorySink

SECRET = Secret("s3cr3t-smsc")
ACCOUNTS = {"main": Provider.SMSC, "wc": Provider.WEBCOM}


def signed_status(mid: str = "1001", phone: str = "79991234567", status: str = "1", **extra):
    fields = {"id": mid, "phone": phone, "status": status, "err": "0", "ts": "1763722991"}
    fields.update(extra)
    fields["md5"] = smsc_hash("md5", [mid, phone, status], SECRET)
    return urlencode(fields)


@pytest.fixture
async def receiver():
    sink = MemorySink()
    opts = ReceiverOptions(smsc_secret=SECRET, accounts=ACCOUNTS, body_timeout_s=0.3)
    async with WebhookReceiver(opts, sink=sink, clock=FakeClock(1_763_723_000.0)) as rec:
        yield rec


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_signed_status_push_reaches_the_sink(receiver, http) -> None:
    response = await http.post(f"{receiver.url}/smsc", content=signed_status(), headers=FORM)
    assert response.status_code == 200 and response.text == "OK"
    [change] = receiver.sink.changes
    assert change.account == "main" and change.state is DeliveryState.DELIVERED
    assert change.observed_at == 1_763_723_000.0
    assert receiver.counters["accepted"] == 1 and receiver.counters["statuses"] == 1


async def test_forged_and_unsigned_pushes_are_403_and_store_nothing(receiver, http) -> None:
    forged = signed_status().replace("status=1", "status=20")
    unsigned = "id=1&phone=79991234567&status=1"
    for body in (forged, unsigned):
        response = await http.post(f"{receiver.url}/smsc", content=body, headers=FORM)
        assert response.status_code == 403
    assert receiver.sink.changes == [] and receiver.counters["rejected_403"] == 2
    assert "2 forged" in health_line(receiver.counters)


async def test_retried_push_is_answered_ok_and_counted_once(receiver, http) -> None:
    for _ in range(3):
        response = await http.post(f"{receiver.url}/smsc/main", content=signed_status(),
                                   headers=FORM)  # fmt: skip
        assert response.status_code == 200
    assert len(receiver.sink.changes) == 1
    assert receiver.counters["duplicates"] == 2 and receiver.counters["accepted"] == 3


async def test_query_parameters_and_get_are_accepted(receiver, http) -> None:
    response = await http.get(f"{receiver.url}/smsc?{signed_status(mid='55')}")
    assert response.status_code == 200
    assert receiver.sink.changes[0].message_id == "55"


async def test_windows_1251_incoming_sms(receiver, http) -> None:
    parts = ["79991234567", "Отписаться", "79000000000"]
    fields = dict(zip(["phone", "mes", "to"], parts, strict=True))
    fields["md5"] = smsc_hash("md5", parts, SECRET, encoding="windows-1251")
    body = urlencode(fields, encoding="windows-1251")
    response = await http.post(f"{receiver.url}/smsc", content=body, headers=FORM)
    assert response.status_code == 200
    [message] = receiver.sink.incoming.values()
    assert message.text == "Отписаться" and receiver.counters["incoming"] == 1


async def test_utf8_json_push_with_charset_in_url(receiver, http) -> None:
    body = json.dumps(
        {
            "phone": "79991234567",
            "mes": "Привет",
            "to": "7900",
            "id": "9",
            "md5": smsc_hash("md5", ["79991234567", "Привет", "7900"], SECRET),
        }
    )
    response = await http.post(f"{receiver.url}/smsc?charset=utf-8&fmt=3", content=body,
                               headers={"Content-Type": "application/json"})  # fmt: skip
    assert response.status_code == 200
    assert receiver.sink.incoming[("main", "9")].text == "Привет"


async def test_waitcall_goes_to_push_calls(receiver, http) -> None:
    body = urlencode(
        {
            "phone": "79991234567",
            "ts": "1763722991",
            "waitcall": "1",
            "sha1": smsc_hash("sha1", ["79991234567", "1763722991"], SECRET),
        }
    )
    response = await http.post(f"{receiver.url}/smsc", content=body, headers=FORM)
    assert response.status_code == 200
    assert receiver.sink.calls[0].phone == "79991234567" and receiver.counters["waitcall"] == 1


async def test_no_secret_means_403_unless_allow_unsigned(http) -> None:
    for allow, expected in ((False, 403), (True, 200)):
        opts = ReceiverOptions(accounts=ACCOUNTS, allow_unsigned=allow)
        async with WebhookReceiver(opts, sink=MemorySink()) as rec:
            response = await http.post(f"{rec.url}/smsc", content=signed_status(), headers=FORM)
            assert response.status_code == expected
            assert len(rec.sink.changes) == (1 if allow else 0)


async def test_webcom_partial_ack_json(receiver, http) -> None:
    batch = [
        {"id_sms": 1179038981, "time": "2025-03-01 12:57:46", "state": "deliver"},
        {"id_sms": "oops", "time": "2025-03-01 12:57:46", "state": "deliver"},
        {"id_sms": 1179038982, "time": "", "state": "send"},
    ]
    response = await http.post(f"{receiver.url}/webcom", json=batch)
    assert response.status_code == 200
    assert response.json() == [{"id_sms": 1179038981}, {"id_sms": 1179038982}]
    assert [c.message_id for c in receiver.sink.changes] == ["1179038981", "1179038982"]
    assert receiver.counters["unacked"] == 1
    again = await http.post(f"{receiver.url}/webcom/wc", json=batch[:1])
    assert again.json() == [{"id_sms": 1179038981}]  # a retry is acked again, stored once
    assert len(receiver.sink.changes) == 2 and receiver.counters["duplicates"] == 1


async def test_webcom_xml_push_gets_xml_ack(receiver, http) -> None:
    body = ('<?xml version="1.0" encoding="utf-8" ?>\n<response>'
            '<state id_sms="77" time="2025-03-01 12:57:46" sms="deliver">deliver</state>'
            "</response>")  # fmt: skip
    response = await http.post(f"{receiver.url}/webcom", content=body,
                               headers={"Content-Type": "text/xml; charset=utf-8"})  # fmt: skip
    assert response.status_code == 200
    assert "<response><id_sms>77</id_sms></response>" in response.text


@pytest.mark.parametrize(
    ("method", "path", "status", "counter"),
    [
        ("POST", "/nowhere", 404, "not_found_404"),
        ("POST", "/smsc/nobody", 404, "not_found_404"),
        ("POST", "/smsc/wc", 404, "not_found_404"),  # a Webcom account on the SMSC path
        ("POST", "/smsc/main/extra", 404, "not_found_404"),
        ("GET", "/webcom", 405, "method_405"),
        ("PUT", "/smsc", 405, "method_405"),
    ],
)
async def test_routing_errors(receiver, http, method, path, status, counter) -> None:
    response = await http.request(method, f"{receiver.url}{path}", content=signed_status())
    assert response.status_code == status
    assert receiver.counters[counter] == 1 and receiver.sink.changes == []


async def test_malformed_bodies_are_400(receiver, http) -> None:
    for path, body, ctype in (
        ("/webcom", b"[{", "application/json"),
        ("/smsc", b"{]", "application/json"),
        ("/smsc", b"phone=7999", "application/x-www-form-urlencoded"),
    ):
        response = await http.post(f"{receiver.url}{path}", content=body,
                                   headers={"Content-Type": ctype})  # fmt: skip
        assert response.status_code == 400
    assert receiver.counters["bad_400"] == 3


async def test_bodies_over_the_limit_are_413(http) -> None:
    opts = ReceiverOptions(smsc_secret=SECRET, accounts=ACCOUNTS, max_body=1000)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        response = await http.post(f"{rec.url}/webcom", content=b"[" + b" " * 2000 + b"]")
        assert response.status_code == 413

        async def chunks():  # no Content-Length: the limit is enforced while reading
            for _ in range(5):
                yield b" " * 400

        response = await http.post(f"{rec.url}/webcom", content=chunks())
        assert response.status_code == 413
        assert rec.counters["too_large_413"] == 2


async def test_default_limit_is_one_megabyte(receiver, http) -> None:
    response = await http.post(f"{receiver.url}/webcom", content=b" " * 1_000_001)
    assert response.status_code == 413


async def test_slow_client_times_out_and_the_server_lives_on(receiver, http) -> None:
    host, port = receiver.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /webcom HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n[{")
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    writer.close()
    assert b" 408 " in status_line and receiver.counters["timeouts"] == 1
    response = await http.post(f"{receiver.url}/smsc", content=signed_status(), headers=FORM)
    assert response.status_code == 200


async def test_sink_failure_is_503_and_the_retry_succeeds(http) -> None:
    class FlakySink(MemorySink):
        fail = True

        async def push_changes(self, changes):
            if self.fail:
                raise RuntimeError("disk full")
            await super().push_changes(changes)

    sink = FlakySink()
    opts = ReceiverOptions(smsc_secret=SECRET, accounts=ACCOUNTS)
    async with WebhookReceiver(opts, sink=sink) as rec:
        first = await http.post(f"{rec.url}/smsc", content=signed_status(), headers=FORM)
        wc = await http.post(f"{rec.url}/webcom", json=[{"id_sms": 1, "time": "", "state": "send"}])
        assert first.status_code == 503 and wc.status_code == 503
        sink.fail = False
        second = await http.post(f"{rec.url}/smsc", content=signed_status(), headers=FORM)
        assert second.status_code == 200 and len(sink.changes) == 1
        assert rec.counters["sink_errors"] == 2 and rec.counters["duplicates"] == 0


async def test_path_secret_segment(http, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="smstui")
    opts = ReceiverOptions(smsc_secret=SECRET, path_secret=Secret("hidden-seg"), accounts=ACCOUNTS)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        assert rec.endpoint(Provider.SMSC, "main") == f"{rec.url}/hidden-seg/smsc/main"
        ok = await http.post(f"{rec.url}/hidden-seg/smsc", content=signed_status(), headers=FORM)
        assert ok.status_code == 200
        for path in ("/smsc", "/wrong-seg/smsc", "/hidden-seg"):
            response = await http.post(f"{rec.url}{path}", content=signed_status(), headers=FORM)
            assert response.status_code == 404
        bad = await http.post(f"{rec.url}/hidden-seg/smsc?md5={SECRET.reveal()}", content=b"id=1")
        assert bad.status_code == 400
    assert "hidden-seg" not in caplog.text and SECRET.reveal() not in caplog.text
    assert "403" not in caplog.text and "404" in caplog.text


async def test_ambiguous_default_account_needs_the_name_in_the_path(http) -> None:
    accounts = {"a": Provider.SMSC, "b": Provider.SMSC}
    opts = ReceiverOptions(smsc_secret=SECRET, accounts=accounts)
    async with WebhookReceiver(opts, sink=MemorySink()) as rec:
        assert (await http.post(f"{rec.url}/smsc", content=signed_status())).status_code == 404
        response = await http.post(f"{rec.url}/smsc/b", content=signed_status(), headers=FORM)
        assert response.status_code == 200 and rec.sink.changes[0].account == "b"
