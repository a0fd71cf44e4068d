"""The Webcom client against the real emulator over loopback HTTP: every operation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.config import Account
from smstui.errors import AuthError, GatewayError
from smstui.gateways.base import UnsupportedOperation, make_gateway
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret


def webcom_account(emu, **kw) -> Account:
    base = dict(
        name="wc",
        provider=Provider.WEBCOM,
        base_url=emu.base_url,
        login="demo",
        password=Secret("demo"),
        timeout_s=5.0,
    )
    return Account(**{**base, **kw})


@pytest.fixture
async def gw(emulator):
    gateway = make_gateway(webcom_account(emulator), clock=emulator.clock)
    yield gateway
    await gateway.aclose()


def rows(emu) -> list[dict]:
    return [r for r in emu.truth() if r["provider"] == "webcom"]


async def test_balance_and_directions(gw):
    balance = await gw.balance()
    assert balance.currency == "RUR" and balance.amount > 0
    assert balance.details and all(area for area, _ in balance.details)


@pytest.mark.parametrize("error_status", [400, 200])
async def test_wrong_password_is_auth_error_with_either_http_status(make_emulator, error_status):
    async with make_emulator(seed=1, messages=10, webcom_error_status=error_status) as emu:
        gateway = make_gateway(webcom_account(emu, password=Secret("nope-nope")))
        with pytest.raises(AuthError) as info:
            await gateway.balance()
        await gateway.aclose()
    assert info.value.provider == "webcom" and "nope-nope" not in str(info.value)


async def test_token_auth(emulator):
    gateway = make_gateway(
        webcom_account(emulator, login="", password=None, token=Secret("demo-token"))
    )
    assert (await gateway.balance()).amount > 0
    await gateway.aclose()


async def test_batch_status_is_one_xml_request_matching_the_truth(gw, emulator):
    known = rows(emulator)
    refs = [(str(r["id"]), r["phone"]) for r in known] + [("99999999", "")]
    before = emulator.stats()["requests"].get("webcom.state_xml", 0)
    got = await gw.statuses(refs)
    stats = emulator.stats()
    assert stats["requests"]["webcom.state_xml"] == before + 1
    assert stats["content_types"]["webcom.state_xml"] == {"text/xml; charset=utf-8;": 1}
    assert [m.message_id for m in got] == [i for i, _ in refs]
    assert got[-1].state is DeliveryState.NOT_FOUND
    for message, row in zip(got, known, strict=False):
        assert message.raw_status == row["status"] and message.phone == row["phone"]


async def test_single_status_json_has_parts_and_cost(gw, emulator):
    row = rows(emulator)[0]
    message = await gw.status(str(row["id"]), row["phone"])
    assert message.raw_status == row["status"] and message.parts == row["parts"]
    assert message.cost is not None and message.cost > Decimal(0)
    assert emulator.stats()["content_types"]["webcom.state"] == {"text/json; charset=utf-8": 1}


async def test_send_then_status_and_resend_gets_a_new_id(gw, emulator):
    first = await gw.send("+7 916 123 45 67", "integration привет", sender="Promo")
    second = await gw.send("79161234567", "integration привет", sender="Promo")
    assert first.phone == "79161234567" and first.message_id != second.message_id
    status = await gw.status(first.message_id, first.phone)
    assert status.state is DeliveryState.SENT and status.raw_status == "send"


async def test_same_client_id_is_idempotent(gw):
    first = await gw.send("79161234567", "once", sender="Promo", client_id="777")
    again = await gw.send("79161234567", "once", sender="Promo", client_id="777")
    assert again.message_id == first.message_id


async def test_lookup_incoming_and_unsupported_operations(gw):
    info = await gw.lookup("79161234567")
    assert info.operator and info.region
    incoming = await gw.incoming(hours=48)
    assert all(m.incoming_id.isdigit() and m.received_at for m in incoming)
    with pytest.raises(UnsupportedOperation):
        await gw.history()
    with pytest.raises(UnsupportedOperation):
        await gw.lookup("79161234567", hlr=True)


@pytest.mark.slow
async def test_webcom_faults_become_typed_errors(make_emulator):
    spec = "timeout=0.15,http500=0.2,html=0.2,truncated=0.2,reset=0.2"
    async with make_emulator(seed=4, messages=10, faults=spec, fault_timeout_s=5.0) as emu:
        gateway = make_gateway(webcom_account(emu, timeout_s=0.3), clock=emu.clock, retries=0)
        refs = [(str(r["id"]), r["phone"]) for r in rows(emu)]
        seen: set[str] = set()
        try:
            for _ in range(6):
                for op in (
                    gateway.balance(),
                    gateway.statuses(refs),
                    gateway.status(*refs[0]),
                    gateway.lookup("79161234567"),
                    gateway.incoming(),
                ):
                    try:
                        await op
                        seen.add("ok")
                    except GatewayError as err:
                        seen.add(type(err).__name__)
        finally:
            await gateway.aclose()
    assert {"GatewayTimeout", "TransportError", "BadPayload"} <= seen
