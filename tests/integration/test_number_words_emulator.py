"""One meaning for a number's time zone, the operator reaching Webcom rows, Webcom's reasons kept.

Real clients against the real emulator over loopback HTTP.
"""

from __future__ import annotations

import pytest

from smstui.codes import explain
from smstui.config import Account
from smstui.emulator import numbering
from smstui.errors import ApiError
from smstui.gateways.base import make_gateway
from smstui.model import DeliveryState, Message, Provider
from smstui.secrets import Secret


def account(emu, provider: Provider) -> Account:
    return Account(name=provider.value, provider=provider, base_url=emu.base_url, login="demo",
                   password=Secret("demo"), timeout_s=5.0)  # fmt: skip


def number_in(region_tz: str) -> str:
    """A mobile number the emulator's plan puts in a region of this UTC offset."""
    for n in range(10_000):
        phone = f"7916{n:07d}"
        plan = numbering.lookup(phone)
        if plan is not None and plan.tz == region_tz:
            return phone
    raise AssertionError(f"no number in UTC+{region_tz}")


async def test_both_gateways_give_one_number_one_utc_offset(emulator):
    phone = number_in("7")  # Novosibirsk: SMSC says 7 (from UTC), Webcom 4 (from Moscow)
    smsc = make_gateway(account(emulator, Provider.SMSC), clock=emulator.clock)
    webcom = make_gateway(account(emulator, Provider.WEBCOM), clock=emulator.clock)
    try:
        by_smsc = await smsc.lookup(phone)
        by_webcom = await webcom.lookup(phone)
    finally:
        await smsc.aclose()
        await webcom.aclose()
    assert by_smsc.timezone == by_webcom.timezone == "+7"


async def test_a_look_up_gives_the_webcom_row_its_operator(make_engine):
    async with make_engine(provider="webcom", name="wc", seed=1, messages=0) as (engine, emu):
        phone = number_in("3")
        sent = Message("wc", Provider.WEBCOM, "900001", phone, DeliveryState.FAILED,
                       text="hi", sent_at=emu.clock.now(), raw_status="not_deliver",
                       updated_at=emu.clock.now())  # fmt: skip
        engine.store.apply([sent])
        assert engine.store.get(sent.key).operator == ""  # Webcom's statuses name none
        info = await engine.lookup("wc", phone)
        row = engine.store.get(sent.key)
        assert info.operator and row.operator == info.operator and row.region == info.region
        assert row.state is DeliveryState.FAILED and row.raw_status == "not_deliver"
        assert len(engine.store.timeline(sent.key)) == 1  # details only: no new status


async def test_a_refused_webcom_send_keeps_its_reason_as_a_code(emulator):
    webcom = make_gateway(account(emulator, Provider.WEBCOM), clock=emulator.clock)
    try:
        with pytest.raises(ApiError) as refused:
            await webcom.send("79161234567", "no sender given")  # M10: "Нет отправителя."
    finally:
        await webcom.aclose()
    assert refused.value.code == 10
    _, error = explain("webcom", "refused", refused.value.code)
    assert error is not None and error.en == "Sender missing"
