"""Real clients against the real emulator: the reply size cap and the vendor-shaped answers."""

from __future__ import annotations

import httpx
import pytest

from smstui.config import Account
from smstui.errors import BadPayload
from smstui.gateways.smsc import SmscGateway
from smstui.model import DeliveryState, Provider
from smstui.secrets import Secret


def account(emu, login: str = "demo", password: str = "demo") -> Account:
    return Account(
        name="smsc",
        provider=Provider.SMSC,
        base_url=emu.base_url,
        login=login,
        password=Secret(password),
        timeout_s=5.0,
    )


async def test_history_page_over_the_cap_is_bad_payload_and_under_it_is_read(emulator):
    small = SmscGateway(account(emulator), clock=emulator.clock, max_reply_bytes=2048)
    with pytest.raises(BadPayload, match=r"smsc: reply too large .*limit 2048 bytes"):
        await small.history(limit=50)
    await small.aclose()
    normal = SmscGateway(account(emulator), clock=emulator.clock)
    page = await normal.history(limit=50)
    assert len(page.messages) == 50
    await normal.aclose()


async def test_client_reads_the_emulators_error_3_answers(make_emulator):
    async with make_emulator(seed=1, messages=10, rate=0, accounts=("quiet:pw",)) as emu:
        quiet = SmscGateway(account(emu, "quiet", "pw"), clock=emu.clock)
        page = await quiet.history()
        assert page.messages == [] and page.next_before is None
        gone = await quiet.status("424242", "79161234567")  # single unknown id → error 3
        assert gone.state is DeliveryState.NOT_FOUND
        await quiet.aclose()


async def test_xml_minus_3_row_has_empty_dates_not_none(emulator):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        r = await client.get(
            "/sys/status.php",
            params={"login": "demo", "psw": "demo", "fmt": 2, "id": "1,", "phone": "79161234567,"},
        )
    assert "<status>-3</status>" in r.text and "<last_date></last_date>" in r.text
    assert "None" not in r.text
