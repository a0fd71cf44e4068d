"""Webcom client against httpx.MockTransport: JSON/XML/GET shapes, Russian errors, 200 or 400."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import ApiError, AuthError, BadPayload, ConfigError, RateLimited
from smstui.gateways.base import UnsupportedOperation, make_gateway
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret

PASSWORD = "Webcom-PASS-777"
E3 = "Неправильный логин или пароль"


def account(**kw) -> Account:
    base = dict(
        name="wc",
        provider=Provider.WEBCOM,
        base_url="https://wc.test",
        login="demo",
        password=Secret(PASSWORD),
        timeout_s=1.0,
    )
    return Account(**{**base, **kw})


class Fake:
    """A scripted Webcom keyed by path, recording (method, path, headers, body)."""

    def __init__(self, replies: dict) -> None:
        self.replies = replies
        self.calls: list[tuple[str, str, httpx.Headers, bytes, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        self.calls.append(
            (request.method, request.url.path, request.headers, body, dict(request.url.params))
        )
        reply = self.replies[request.url.path]
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, str):
            return httpx.Response(200, content=reply.encode())
        return httpx.Response(200, json=reply)

    def json_body(self, index: int = 0) -> dict:
        return json.loads(self.calls[index][3])


def gateway(fake: Fake, **kw):
    return make_gateway(
        account(**kw), clock=FakeClock(1763722991), transport=httpx.MockTransport(fake)
    )


async def test_balance_json_with_header_and_directions():
    reply = {
        "money": "19023.9",
        "currency": "RUR",
        "information": [
            {"type_sms": "sms", "area": "Tele2", "num_sms": "72029"},
            {"type_sms": "sms", "area": "Россия", "sms": "Безлимит"},
        ],
    }
    fake = Fake({"/json/balance.php": reply})
    balance = await gateway(fake).balance()
    method, _, headers, _, _ = fake.calls[0]
    assert method == "POST" and headers["content-type"] == "text/json; charset=utf-8"
    assert fake.json_body() == {"login": "demo", "password": PASSWORD}
    assert balance.amount == Decimal("19023.9") and balance.currency == "RUR"
    assert balance.details == (("Tele2", "72029"), ("Россия", "Безлимит"))


@pytest.mark.parametrize("information", [True, 5, "Tele2", {"area": "Tele2"}])
async def test_balance_directions_that_are_not_a_list_are_a_bad_payload(information):
    """Found by hypothesis: `information: true` used to escape as a TypeError."""
    fake = Fake({"/json/balance.php": {"money": "1.0", "information": information}})
    with pytest.raises(BadPayload, match="information"):
        await gateway(fake).balance()


async def test_token_replaces_login_and_password():
    fake = Fake({"/json/balance.php": {"money": 150, "currency": "RUR"}})
    await gateway(fake, password=None, login="", token=Secret("tok-abcdef")).balance()
    assert fake.json_body() == {"token": "tok-abcdef"}


@pytest.mark.parametrize("status", [200, 400])
async def test_russian_auth_error_with_200_or_400_is_auth_error(status):
    fake = Fake({"/json/balance.php": httpx.Response(status, json={"error": E3})})
    with pytest.raises(AuthError) as info:
        await gateway(fake).balance()
    assert info.value.provider == "webcom" and "Wrong login or password" in str(info.value)
    assert info.value.text == E3


async def test_400_with_unknown_error_text_keeps_the_text():
    fake = Fake({"/json/balance.php": httpx.Response(400, json={"error": "Что-то новое"})})
    with pytest.raises(ApiError, match="Что-то новое"):
        await gateway(fake).balance()


async def test_400_without_error_body_is_bad_payload():
    fake = Fake({"/json/balance.php": httpx.Response(400, json={"money": "1"})})
    with pytest.raises(BadPayload, match="HTTP 400"):
        await gateway(fake).balance()


async def test_send_json_shape_and_fresh_client_ids():
    fake = Fake({"/json": {"information": [{"state": "send", "id_sms": "1179038981"}]}})
    gw = gateway(fake)
    first = await gw.send("+7 900 123-45-67", "Код 4821", sender="MyShop")
    await gw.send("79001234567", "Код 4821", sender="MyShop")
    body = fake.json_body(0)
    message = body["message"]
    assert message["type_send_1"] == "sms" and message["text"] == "Код 4821"
    assert message["phones"][0]["phone"] == 79001234567
    assert first.message_id == "1179038981" and first.phone == "79001234567"
    ids = {fake.json_body(i)["message"]["phones"][0]["client_id_sms"] for i in (0, 1)}
    assert len(ids) == 2  # a resend never reuses the idempotency key
    assert fake.calls[0][2]["content-type"].startswith("text/json; charset=utf-8")


async def test_send_per_recipient_error_is_api_error():
    stop = "Номер телефона присутствует в стоп-листе."
    fake = Fake({"/json": {"information": [{"error": stop}]}})
    with pytest.raises(ApiError) as info:
        await gateway(fake).send("79001234567", "x", sender="S")
    assert "STOP list" in info.value.explanation and info.value.text == stop


async def test_any_client_id_becomes_a_stable_integer_key():
    fake = Fake({"/json": {"information": [{"state": "send", "id_sms": 5}]}})
    gw = gateway(fake)
    for client_id in ("abc123def4567890", "abc123def4567890", "42"):
        await gw.send("79001234567", "x", sender="S", client_id=client_id)
    keys = [fake.json_body(i)["message"]["phones"][0]["client_id_sms"] for i in range(3)]
    assert keys[0] == keys[1] and isinstance(keys[0], int) and 0 < keys[0] < 2**31
    assert keys[2] == 42


async def test_empty_phone_is_a_usage_error():
    with pytest.raises(ConfigError):
        await gateway(Fake({})).send("+", "x")


async def test_identical_get_rate_limit_text_is_rate_limited():
    text = "error: Попытка отправки более одного одинакового запроса в течение минуты"
    fake = Fake({"/json/balance.php": {"error": text}})
    with pytest.raises(RateLimited):
        await gateway(fake).balance()


async def test_batch_status_is_one_xml_request_and_missing_ids_are_not_found():
    reply = (
        '<?xml version="1.0" encoding="utf-8" ?><response>'
        '<state id_sms="11" time="2025-03-01 12:57:46" sms="deliver">deliver</state>'
        '<state id_sms="12" time="" viber="send">send</state>'
        '<state id_sms="13" time="2025-03-01 12:58:10" sms="not_deliver">not_deliver</state>'
        "</response>"
    )
    fake = Fake({"/xml/state.php": reply})
    gw = gateway(fake)
    got = await gw.statuses([("11", ""), ("12", ""), ("13", ""), ("14", "")])
    assert len(fake.calls) == 1 and fake.calls[0][2]["content-type"].startswith("text/xml")
    body = fake.calls[0][3].decode()
    assert "<id_sms>11</id_sms>" in body and "<id_sms>14</id_sms>" in body
    assert f'<password value="{PASSWORD}"/>' in body
    states = [m.state for m in got]
    assert states == [
        DeliveryState.DELIVERED,
        DeliveryState.SENT,
        DeliveryState.FAILED,
        DeliveryState.NOT_FOUND,
    ]
    assert got[0].updated_at == 1740823066 and got[1].updated_at is None
    assert got[2].raw_status == "not_deliver"


async def test_xml_error_response_is_typed():
    reply = "<response><error>Неправильный логин или пароль</error></response>"
    fake = Fake({"/xml/state.php": httpx.Response(400, content=reply.encode())})
    with pytest.raises(AuthError):
        await gateway(fake).statuses([("1", ""), ("2", "")])


async def test_xml_disabled_falls_back_to_json_per_id():
    fake = Fake(
        {
            "/xml/state.php": httpx.Response(404, content=b"Not Found"),
            "/json/state.php": lambda r: [
                {
                    "id_sms": json.loads(r.content)["id_sms"],
                    "state": "expired",
                    "time_change_state": "",
                }
            ],
        }
    )
    got = await gateway(fake).statuses([("1", ""), ("2", "")])
    assert [m.state for m in got] == [DeliveryState.EXPIRED] * 2
    assert [c[1] for c in fake.calls] == ["/xml/state.php", "/json/state.php", "/json/state.php"]


async def test_single_status_json_detail_numbers_as_strings_or_ints():
    reply = [
        {
            "id_sms": "82216",
            "time_change_state": "2021-04-26 15:15:03",
            "state": "deliver",
            "num_parts": "2",
            "price": 10.6000000,
        }
    ]
    fake = Fake({"/json/state.php": reply})
    message = await gateway(fake).status("82216", "79001234567")
    assert fake.json_body() == {"login": "demo", "password": PASSWORD, "id_sms": 82216, "detail": 1}
    assert message.state is DeliveryState.DELIVERED and message.parts == 2
    assert message.cost == Decimal("21.2") and message.phone == "79001234567"


async def test_single_status_empty_list_is_not_found():
    message = await gateway(Fake({"/json/state.php": []})).status("5")
    assert message.state is DeliveryState.NOT_FOUND


async def test_json_state_missing_falls_back_to_get_state_word():
    fake = Fake({"/json/state.php": httpx.Response(404), "/sendsms.php": "not_deliver\n"})
    message = await gateway(fake).status("5")
    assert message.state is DeliveryState.FAILED
    assert fake.calls[1][4] == {"user": "demo", "pwd": PASSWORD, "smsid": "5"}


@pytest.mark.parametrize(
    ("body", "state"), [("", DeliveryState.SENT), ("partly_deliver", DeliveryState.EXPIRED)]
)
async def test_get_state_word_forms(body, state):
    fake = Fake({"/json/state.php": httpx.Response(404), "/sendsms.php": body})
    assert (await gateway(fake).status("5")).state is state


async def test_webcom_has_no_history_and_no_hlr():
    gw = gateway(Fake({}))
    assert gw.supports_history is False
    with pytest.raises(UnsupportedOperation):
        await gw.history()
    with pytest.raises(UnsupportedOperation):
        await gw.lookup("79001234567", hlr=True)


async def test_lookup_via_def_xml():
    reply = (
        '<response><phone operator="Beeline" region="Novosibirsk region" time_zone="4">'
        "79001234567</phone></response>"
    )
    info = await gateway(Fake({"/xml/def.php": reply})).lookup("+7 900 123 45 67")
    # time_zone counts from Moscow: 4 → UTC+7, the meaning NumberInfo.timezone holds
    assert (info.phone, info.operator, info.timezone) == ("79001234567", "Beeline", "+7")


async def test_incoming_xml_filters_after_id():
    reply = (
        '<response><sms id_sms="5521" date_receive="2025-03-01 12:55:55" '
        'originator="79001234567" prefix="PROMO" phone="79009998877">Да</sms>'
        '<sms id_sms="5520" date_receive="2025-03-01 12:50:00" originator="7" phone="7">'
        "old</sms></response>"
    )
    fake = Fake({"/xml/incoming.php": reply})
    got = await gateway(fake).incoming(hours=2, after_id="5520")
    assert '<time start="2025-11-21 12:03:11"/>' in fake.calls[0][3].decode()
    assert [(m.incoming_id, m.text, m.to_phone) for m in got] == [("5521", "Да", "79009998877")]


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>oops</body></html>",
        b"<response><state id_sms=",
        "<r>ё</r>".encode("cp1251"),
        b'<response><state id_sms="x">deliver</state></response>',
    ],
)
async def test_bad_xml_replies_are_bad_payload(body):
    fake = Fake({"/xml/state.php": httpx.Response(200, content=body)})
    with pytest.raises(BadPayload):
        await gateway(fake).statuses([("1", ""), ("2", "")])


@pytest.mark.parametrize(
    "reply", [{"information": "send"}, {"information": []}, [], {"information": [{"id_sms": []}]}]
)
async def test_bad_send_replies_are_bad_payload(reply):
    with pytest.raises(BadPayload):
        await gateway(Fake({"/json": reply})).send("79001234567", "x")
