"""The SMSC client against the real emulator over loopback HTTP: every operation, batching."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smstui.config import Account
from smstui.errors import ApiError, AuthError, IpBlocked, RateLimited
from smstui.gateways.base import make_gateway
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret


def smsc_account(emu, **kw) -> Account:
    base = dict(
        name="smsc",
        provider=Provider.SMSC,
        base_url=emu.base_url,
        login="demo",
        password=Secret("demo"),
        timeout_s=5.0,
    )
    return Account(**{**base, **kw})


@pytest.fixture
async def gw(emulator):
    gateway = make_gateway(smsc_account(emulator), clock=emulator.clock)
    yield gateway
    await gateway.aclose()


def truth(emu) -> dict[tuple[str, str], dict]:
    return {(str(r["id"]), r["phone"]): r for r in emu.truth() if r["provider"] == "smsc"}


async def test_balance_matches_the_emulator(gw, emulator):
    balance = await gw.balance()
    assert balance.currency == "RUR" and balance.amount == Decimal(
        emulator.campaign.balance["demo"]
    )


async def test_apikey_auth_and_wrong_password(emulator):
    ok = make_gateway(smsc_account(emulator, password=None, login="", apikey=Secret("demo-apikey")))
    bad = make_gateway(smsc_account(emulator, password=Secret("wrong")))
    try:
        assert (await ok.balance()).amount > 0
        with pytest.raises(AuthError) as info:
            await bad.balance()
        assert info.value.code == 2 and "wrong" not in str(info.value)
    finally:
        await ok.aclose()
        await bad.aclose()


async def test_history_pages_cover_the_seeded_campaign_without_overlap(gw, emulator):
    first = await gw.history(limit=20)
    second = await gw.history(limit=20, before=first.next_before)
    assert len(first.messages) == 20 and first.next_before
    keys = [m.key for m in first.messages + second.messages]
    assert len(set(keys)) == len(keys) == 40
    sent = [m.sent_at for m in first.messages + second.messages]
    assert sent == sorted(sent, reverse=True)  # newest first, across pages
    known = truth(emulator)
    for m in first.messages:
        row = known[(m.message_id, m.phone)]
        assert str(m.raw_status) == str(row["status"]) and m.sender == row["sender"]
        assert m.text and m.cost == Decimal(row["cost"]) and m.parts == row["parts"]


async def test_statuses_for_many_messages_cost_one_request(gw, emulator):
    page = await gw.history(limit=40)
    refs = [(m.message_id, m.phone) for m in page.messages] + [("999999", "79990000000")]
    before = emulator.stats()["requests"].get("smsc.status_mass", 0)
    got = await gw.statuses(refs)
    assert emulator.stats()["requests"]["smsc.status_mass"] == before + 1
    assert [m.key[1:] for m in got] == refs
    assert got[-1].state is DeliveryState.NOT_FOUND
    known = truth(emulator)
    for m in got[:-1]:
        assert m.raw_status == str(known[m.key[1:]]["status"])


async def test_status_of_1000_messages_is_exactly_one_http_request(make_emulator):
    async with make_emulator(seed=3, messages=1000) as emu:
        gateway = make_gateway(smsc_account(emu), clock=emu.clock)
        refs = [(str(r["id"]), r["phone"]) for r in emu.truth() if r["provider"] == "smsc"]
        assert len(refs) >= 1000
        refs = refs[:1000]
        before = dict(emu.stats()["requests"])
        got = await gateway.statuses(refs)
        after = emu.stats()["requests"]
        await gateway.aclose()
    spent = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    assert spent == {"smsc.status_mass": 1}
    assert gateway.requests_made == {"smsc.status_mass": 1}
    assert len(got) == 1000 and not any(m.state is DeliveryState.NOT_FOUND for m in got)


async def test_single_status_has_full_detail(gw, emulator):
    row = next(iter(truth(emulator).values()))
    message = await gw.status(str(row["id"]), row["phone"])
    assert message.raw_status == str(row["status"]) and message.sent_at
    assert message.operator and message.region and message.text


async def test_unknown_message_is_not_found(gw):
    message = await gw.status("123", "79990000000")
    assert message.state is DeliveryState.NOT_FOUND


async def test_send_then_status_then_resend_is_not_identical(gw, emulator):
    sent = await gw.send("+7 916 123-45-67", "integration hello", sender="Promo")
    assert sent.phone == "79161234567" and sent.parts == 1 and sent.cost and sent.balance
    status = await gw.status(sent.message_id, sent.phone)
    assert status.state is not DeliveryState.NOT_FOUND and status.text == "integration hello"
    again = await gw.send(sent.phone, "integration hello", sender="Promo", client_id="4242")
    assert again.message_id == "4242"


async def test_operator_lookup_and_incoming(gw):
    info = await gw.lookup("79161234567")
    assert info.operator and info.mcc == "250"
    incoming = await gw.incoming(hours=24)
    assert all(m.incoming_id and m.phone for m in incoming)


async def test_operator_lookup_of_a_landline_explains_error_3(gw):
    """info.php's error 3 means "operator not found", not the send error "not enough money"."""
    with pytest.raises(ApiError) as info:
        await gw.lookup("74956869633")
    assert info.value.code == 3 and "no operator" in info.value.explanation
    assert "money" not in str(info.value) + info.value.explanation


async def test_hlr_lookup_resolves_on_the_emulated_clock(gw):
    info = await gw.lookup("79161234567", hlr=True)
    assert dict(info.extra)["hlr_id"]
    assert info.reachable is not None  # FakeClock: the client's waits move emulated time


async def test_second_mass_request_within_a_minute_is_rate_limited(gw, emulator):
    refs = [(str(i), p) for i, p in list(truth(emulator))[:3]]
    await gw.statuses(refs)
    with pytest.raises(RateLimited) as info:
        await gw.statuses(refs)
    assert info.value.code == 9
    emulator.clock.advance(61)
    assert len(await gw.statuses(refs)) == 3  # the window slid


async def test_repeated_auth_failures_end_in_ip_block(emulator, gw):
    bad = make_gateway(smsc_account(emulator, password=Secret("wrong-again")), retries=0)
    try:
        for _ in range(5):
            with pytest.raises(AuthError):
                await bad.balance()
    finally:
        await bad.aclose()
    with pytest.raises(IpBlocked) as info:  # now even the right password is refused
        await gw.balance()
    assert info.value.code == 4 and info.value.explanation


async def test_cyrillic_text_round_trips_in_utf8(gw):
    sent = await gw.send("79161234567", "Привет, мир — ёжик", sender="Promo")
    status = await gw.status(sent.message_id, sent.phone)
    assert status.text == "Привет, мир — ёжик"
