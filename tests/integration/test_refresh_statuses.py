"""Re-asking many statuses at once (the stuck-message key) against the real emulator."""

from __future__ import annotations

import pytest

from smstui.codes import smsc_status
from smstui.model import DeliveryState, Message, Provider


@pytest.fixture
async def engine(make_engine):
    async with make_engine(seed=1, messages=6) as pair:
        yield pair


def stale_copies(emu) -> list[Message]:
    """The emulator's SMSC messages as a cache that last saw them 'sent' (a stale view)."""
    return [
        Message(
            account="main",
            provider=Provider.SMSC,
            message_id=str(t["id"]),
            phone=t["phone"],
            state=DeliveryState.SENT,
            raw_status="0",
            sent_at=t["sent_at"],
            updated_at=t["sent_at"],
        )
        for t in emu.truth()
        if t["provider"] == "smsc"
    ]


def mass_requests(emu) -> int:
    return emu.stats()["requests"].get("smsc.status_mass", 0)


async def test_one_mass_request_updates_every_message_then_the_budget_says_when(engine):
    engine, emu = engine
    stale = stale_copies(emu)
    assert len(stale) == 6
    engine.store.apply(stale)
    [report] = await engine.refresh_statuses([m.key for m in stale])
    assert (report.account, report.asked, report.refused) == ("main", 6, "")
    truth = {str(t["id"]): smsc_status(t["status"]).state for t in emu.truth()}
    assert report.changed == sum(1 for m in stale if truth[m.message_id] is not DeliveryState.SENT)
    assert report.final == sum(1 for m in stale if truth[m.message_id].is_final) > 0
    assert mass_requests(emu) == 1
    assert all(engine.store.get(m.key).state is truth[m.message_id] for m in stale)
    # A second mass request within the minute is refused by our budget, not sent to be
    # answered with error 9; the refusal says when, in words.
    [again] = await engine.refresh_statuses([m.key for m in stale])
    assert again.refused and "status_mass" in again.refused
    assert mass_requests(emu) == 1
    emu.clock.advance(65)
    [later] = await engine.refresh_statuses([m.key for m in stale[:3]])
    assert (later.asked, later.refused, later.changed) == (3, "", 0)  # nothing new to learn
    assert mass_requests(emu) == 2


async def test_an_unknown_account_is_reported_not_raised(engine):
    engine, emu = engine
    stale = stale_copies(emu)[:1]
    engine.store.apply(stale)
    reports = await engine.refresh_statuses([("nope", "1", "79160000000"), stale[0].key])
    assert reports[0].account == "nope" and "no account named" in reports[0].refused
    assert reports[1].refused == "" and reports[1].asked == 1
