"""SMSC client against httpx.MockTransport: every reply shape the emulator can't easily make."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest

from smstui.clock import FakeClock
from smstui.config import Account
from smstui.errors import (
    ApiError,
    AuthError,
    BadPayload,
    ConfigError,
    GatewayTimeout,
    IpBlocked,
    RateLimited,
    TransportError,
)
from smstui.gateways.base import Gateway, make_gateway
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret

PSW = "Pa55-smsc-SECRET"


def account(**kw) -> Account:
    base = dict(
        name="main",
        provider=Provider.SMSC,
        base_url="https://smsc.test",
        login="user",
        password=Secret(PSW),
        timeout_s=1.0,
    )
    return Account(**{**base, **kw})


class Fake:
    """A scripted SMSC: replies per script name, recording every request's parameters."""

    def __init__(self, replies: dict) -> None:
        self.replies = replies
        self.calls: list[tuple[str, str, str, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.method == "POST":
            params.update({k: v[0] for k, v in parse_qs(request.content.decode()).items()})
        script = request.url.path.rsplit("/", 1)[-1]
        self.calls.append((request.method, request.url.host, script, params))
        reply = self.replies[script]
        if callable(reply):
            reply = reply(request, params)
        if isinstance(reply, httpx.Response):
            return reply
        return httpx.Response(200, json=reply)


def gateway(fake: Fake, **kw) -> Gateway:
    return make_gateway(account(**kw), clock=FakeClock(), transport=httpx.MockTransport(fake))


async def test_every_request_asks_for_json_in_utf8_with_login_and_psw():
    fake = Fake({"balance.php": {"balance": "250.80", "currency": "RUR"}})
    gw = gateway(fake)
    balance = await gw.balance()
    assert balance.amount == Decimal("250.80") and balance.currency == "RUR"
    _, _, _, params = fake.calls[0]
    assert params["fmt"] == "3" and params["charset"] == "utf-8" and params["cur"] == "1"
    assert params["login"] == "user" and params["psw"] == PSW
    assert gw.requests_made["smsc.balance"] == 1


async def test_apikey_replaces_login_and_password():
    fake = Fake({"balance.php": {"balance": "1", "credit": "500.00", "currency": "RUB"}})
    gw = gateway(fake, password=None, login="", apikey=Secret("key-123456"))
    balance = await gw.balance()
    assert balance.credit == Decimal("500.00")
    params = fake.calls[0][3]
    assert params["apikey"] == "key-123456" and "psw" not in params and "login" not in params


@pytest.mark.parametrize(
    ("code", "cls"), [(2, AuthError), (4, IpBlocked), (9, RateLimited), (1, ApiError)]
)
async def test_error_envelope_becomes_typed_error_with_explanation(code, cls):
    fake = Fake({"balance.php": {"error": "some text", "error_code": code}})
    with pytest.raises(cls) as info:
        await gateway(fake).balance()
    err = info.value
    assert err.code == code and err.provider == "smsc" and err.text == "some text"
    assert err.explanation and f"smsc error {code}" in str(err)


async def test_error_envelope_is_read_even_with_http_500():
    fake = Fake({"balance.php": httpx.Response(500, json={"error": "x", "error_code": 9})})
    with pytest.raises(RateLimited):
        await gateway(fake).balance()


async def test_502_html_page_is_bad_payload_after_read_retries():
    page = b"<html><head><title>502 Bad Gateway</title></head></html>"
    fake = Fake({"balance.php": httpx.Response(502, content=page)})
    with pytest.raises(BadPayload, match=r"HTTP 502.*502 Bad Gateway"):
        await gateway(fake).balance()
    assert len(fake.calls) == 3  # a read is retried twice


async def test_windows_1251_reply_is_bad_payload():
    body = '{"balance": "10", "currency": "руб"}'.encode("cp1251")
    fake = Fake({"balance.php": httpx.Response(200, content=body)})
    with pytest.raises(BadPayload, match="not UTF-8"):
        await gateway(fake).balance()


@pytest.mark.parametrize(
    "reply",
    [{"balance": {"a": 1}}, {"balance": True}, [], {"currency": "RUR"}, "250.80"],
)
async def test_wrong_balance_types_are_bad_payload(reply):
    with pytest.raises(BadPayload):
        await gateway(Fake({"balance.php": reply})).balance()


async def test_mass_status_is_one_get_request_with_all_ids_in_order():
    def reply(request, params):
        return [
            {
                "id": 1001,
                "phone": "79991234567",
                "status": 1,
                "err": 0,
                "last_date": "21.11.2025 14:03:11",
                "last_timestamp": 1763722991,
                "send_timestamp": "1763722985",
                "cost": "1.90",
                "sender_id": "MyShop",
                "message": "Code 1234",
                "sms_cnt": "1",
                "country": "Россия",
                "operator": "МТС",
                "region": "Москва",
            },
            {
                "id": "1002",
                "phone": "79997654321",
                "status": -3,
                "err": 0,
                "last_date": "",
                "last_timestamp": 0,
            },
        ]

    fake = Fake({"status.php": reply})
    gw = gateway(fake)
    refs = [("1001", "79991234567"), ("1002", "79997654321"), ("1003", "79990000000")]
    delivered, missing, absent = await gw.statuses(refs)
    method, _, _, params = fake.calls[0]
    assert len(fake.calls) == 1 and method == "GET"
    assert params["id"] == "1001,1002,1003" and params["phone"].startswith("79991234567,")
    assert params["all"] == "2"
    assert delivered.state is DeliveryState.DELIVERED and delivered.cost == Decimal("1.90")
    assert delivered.sent_at == 1763722985 and delivered.updated_at == 1763722991
    assert delivered.text == "Code 1234" and delivered.sender == "MyShop"
    assert delivered.parts == 1 and delivered.operator == "МТС" and delivered.error_code == 0
    assert missing.state is DeliveryState.NOT_FOUND and missing.updated_at is None
    assert absent.state is DeliveryState.NOT_FOUND and absent.key == ("main", "1003", "79990000000")
    assert gw.requests_made == {"smsc.status_mass": 1}


async def test_mass_status_posts_when_the_query_is_long():
    refs = [(str(10_000 + i), f"7999{i:07d}") for i in range(300)]
    fake = Fake({"status.php": []})
    result = await gateway(fake).statuses(refs)
    assert len(fake.calls) == 1 and fake.calls[0][0] == "POST"
    assert fake.calls[0][3]["id"].count(",") == 299
    assert all(m.state is DeliveryState.NOT_FOUND for m in result) and len(result) == 300


async def test_mass_status_is_not_retried_after_a_timeout():
    def boom(request, params):
        raise httpx.ReadTimeout("slow", request=request)

    fake = Fake({"status.php": boom})
    with pytest.raises(GatewayTimeout):
        await gateway(fake).statuses([("1", "7999"), ("2", "7998")])
    assert len(fake.calls) == 1  # a retry would break the 1-mass-request-per-minute limit


async def test_one_ref_uses_the_single_status_request():
    fake = Fake({"status.php": {"status": 0, "err": 0, "last_date": "21.11.2025 14:03:11"}})
    [message] = await gateway(fake).statuses([("77", "+7 (999) 123-45-67")])
    assert fake.calls[0][3]["id"] == "77" and "," not in fake.calls[0][3]["phone"]
    assert message.state is DeliveryState.SENT and message.phone == "+7 (999) 123-45-67"


async def test_single_status_not_found_as_error_3_from_older_docs():
    fake = Fake({"status.php": {"error": "message not found", "error_code": 3}})
    message = await gateway(fake).status("5", "7999")
    assert message.state is DeliveryState.NOT_FOUND


async def test_history_pages_backwards_by_int_id_and_accepts_sender():
    items = [
        {
            "int_id": 900 - i,
            "id": i,
            "phone": "7999",
            "status": "20",
            "err": "1",
            "send_date": "21.11.2025 14:03:05",
            "sender": "Shop",
            "message": "hi",
        }
        for i in range(3)
    ]
    fake = Fake({"get.php": items})
    page = await gateway(fake).history(limit=3, before="1000", phone="+79991234567")
    params = fake.calls[0][3]
    assert params["get_messages"] == "1" and params["cnt"] == "3" and params["prev_id"] == "1000"
    assert params["phone"] == "79991234567"
    assert page.next_before == "898" and len(page.messages) == 3
    first = page.messages[0]
    assert first.state is DeliveryState.FAILED and first.error_code == 1 and first.sender == "Shop"
    assert first.sent_at == 1763722985


async def test_history_short_page_has_no_next_and_limit_is_capped():
    fake = Fake({"get.php": []})
    page = await gateway(fake).history(limit=5000)
    assert fake.calls[0][3]["cnt"] == "1000" and page.next_before is None


async def test_send_posts_cost_3_and_never_retries():
    fake = Fake({"send.php": {"id": 1002, "cnt": 2, "cost": "3.80", "balance": "196.20"}})
    result = await gateway(fake).send("+79991234567", "Привет", sender="Shop", client_id="42")
    method, _, _, params = fake.calls[0]
    assert method == "POST" and params["mes"] == "Привет" and params["cost"] == "3"
    assert params["id"] == "42" and params["sender"] == "Shop" and params["phones"] == "79991234567"
    assert (result.message_id, result.parts, result.cost) == ("1002", 2, Decimal("3.80"))
    assert result.balance == Decimal("196.20")


async def test_send_is_not_retried_on_502_or_reset():
    def reset(request, params):
        raise httpx.ReadError("connection reset", request=request)

    fake = Fake({"send.php": reset})
    with pytest.raises(TransportError):
        await gateway(fake).send("7999", "x")
    assert len(fake.calls) == 1


async def test_send_error_7_carries_code():
    fake = Fake({"send.php": {"error": "invalid number", "error_code": 7, "id": 1004}})
    with pytest.raises(ApiError) as info:
        await gateway(fake).send("7", "x")
    assert info.value.code == 7 and "phone number" in info.value.explanation


async def test_operator_lookup():
    reply = {
        "country": "Россия",
        "operator": "МегаФон",
        "region": "Москва",
        "mcc": 250,
        "mnc": "02",
        "tz": 3,
    }
    info = await gateway(Fake({"info.php": reply})).lookup("79261234567")
    assert (info.operator, info.mcc, info.mnc, info.timezone) == ("МегаФон", "250", "02", "+3")


async def test_hlr_lookup_sends_then_polls_status_until_final():
    statuses = iter(
        [
            {"status": -1, "err": 0},
            {
                "status": 1,
                "err": 0,
                "imsi": "250011234567890",
                "mcc": 250,
                "mnc": 1,
                "cn": "Russia",
                "net": "MTS",
                "rcn": "",
                "rnet": "",
            },
        ]
    )
    fake = Fake({"send.php": {"id": 55, "cnt": 1}, "status.php": lambda r, p: next(statuses)})
    info = await gateway(fake).lookup("79161234567", hlr=True)
    assert fake.calls[0][3]["hlr"] == "1" and len(fake.calls) == 3
    assert info.reachable is True and info.operator == "MTS" and info.mcc == "250"
    assert ("imsi", "250011234567890") in info.extra


async def test_incoming_with_unix_and_date_times():
    items = [
        {"id": 1, "received": 1763723300, "phone": "7999", "message": "STOP", "to_phone": "7900"},
        {"id": "2", "received": "21.11.2025 14:03:11", "phone": "7998", "message": "да"},
    ]
    fake = Fake({"get.php": items})
    got = await gateway(fake).incoming(hours=500, after_id="0")
    assert fake.calls[0][3]["hour"] == "168" and fake.calls[0][3]["get_answers"] == "1"
    assert [m.received_at for m in got] == [1763723300, 1763722991]


async def test_reads_fail_over_to_the_backup_host_on_transport_errors():
    def flaky(request, params):
        if request.url.host == "smsc.test":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"balance": "5"})

    fake = Fake({"balance.php": flaky})
    gw = gateway(fake, backup_urls=("https://www2.smsc.test",))
    assert (await gw.balance()).amount == 5
    assert [c[1] for c in fake.calls] == ["smsc.test", "www2.smsc.test"]


async def test_on_request_hook_sees_every_http_request():
    seen = []
    fake = Fake({"balance.php": httpx.Response(503, content=b"busy")})
    gw = make_gateway(
        account(), clock=FakeClock(), transport=httpx.MockTransport(fake), on_request=seen.append
    )
    with pytest.raises(BadPayload):
        await gw.balance()
    assert seen == ["smsc.balance"] * 3 and gw.requests_made["smsc.balance"] == 3
    await gw.aclose()


async def test_history_since_stops_paging_and_respects_the_6_month_window():
    clock = FakeClock(1763722991.0)  # 21.11.2025 14:03:11 MSK
    items = [
        {"int_id": 9, "id": 1, "phone": "7999", "status": 1, "send_timestamp": 1763722000},
        {"int_id": 8, "id": 2, "phone": "7999", "status": 1, "send_timestamp": 1763000000},
    ]
    fake = Fake({"get.php": items})
    gw = make_gateway(account(), clock=clock, transport=httpx.MockTransport(fake))
    page = await gw.history(limit=2, since=1763700000)
    assert [m.message_id for m in page.messages] == ["1"] and page.next_before is None
    await gw.history(limit=2, since=0)
    assert fake.calls[0][3]["start"] == "21.11.2025"
    assert fake.calls[1][3]["start"] == "25.05.2025"  # clamped to 180 days back


@pytest.mark.parametrize("text", ["", "x" * 1001])
async def test_send_refuses_empty_or_too_long_text_without_a_request(text):
    fake = Fake({})
    with pytest.raises(ConfigError, match="1–1000 characters"):
        await gateway(fake).send("79991234567", text)
    assert fake.calls == []


async def test_incoming_asks_for_a_full_window():
    fake = Fake({"get.php": []})
    assert await gateway(fake).incoming(hours=0) == []
    assert fake.calls[0][3]["hour"] == "1" and fake.calls[0][3]["cnt"] == "1000"
