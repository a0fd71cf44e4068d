"""Webcom costs: only the per-id state detail carries a price; the poller asks it once."""

from __future__ import annotations

import pytest

from smstui.model import DeliveryState, Message, Provider, Source, StatusChange


@pytest.fixture
async def webcom(make_engine):
    async with make_engine(provider="webcom", name="wc", seed=3, messages=50) as pair:
        yield pair


def state_requests(emu) -> int:
    return emu.stats()["requests"].get("webcom.state", 0)


async def test_a_pushed_final_state_gets_its_price_from_the_state_detail(webcom) -> None:
    engine, emu = webcom
    poller = engine.pollers["wc"]
    await poller.cycle()  # an empty cache looked through: from now on only news is priced
    now = emu.clock.now()
    final = [w for w in emu.campaign.webcom if w.at(now)[1] in ("deliver", "not_deliver")][:3]
    assert len(final) == 3
    # What smstui recorded when it sent them (phone, text, no price: Webcom's send gives none).
    engine.store.apply([
        Message("wc", Provider.WEBCOM, str(w.id_sms), w.phone, DeliveryState.QUEUED, w.text,
                w.sender, w.sent, updated_at=w.sent)
        for w in final
    ], source=Source.SEND)  # fmt: skip
    # The push: id, state and time only.
    await engine.ingest.push_changes([
        StatusChange("wc", str(w.id_sms), DeliveryState.DELIVERED if w.at(now)[1] == "deliver"
                     else DeliveryState.FAILED, w.at(now)[1], w.at(now)[0] or now)
        for w in final
    ])  # fmt: skip
    await poller.cycle()
    for w in final:
        got = engine.store.get(("wc", str(w.id_sms), w.phone))
        assert got is not None and got.cost == w.price * w.parts, (got, w.price, w.parts)
        assert got.parts == w.parts and got.phone == w.phone and got.text == w.text
    assert state_requests(emu) == 3  # one state detail per message
    await poller.cycle()  # asked once each: nothing more to ask
    assert state_requests(emu) == 3
    assert "webcom.state_xml" not in emu.stats()["requests"]  # final: no status polling
