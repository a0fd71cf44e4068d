"""One SMSC send to several phones shares its id: a push for the second phone is that phone's
message, not a change of the first phone's (it waited for the history poll, 30 pages an hour)."""

from __future__ import annotations

from smstui.clock import FakeClock
from smstui.ingest import Ingest, Origin
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.store import Store

T0 = 1_763_700_000.0
A, B = "79161234567", "79031234567"


def pushed(phone: str, state: DeliveryState, at: float) -> StatusChange:
    return StatusChange("main", "5", state, "1", at, Source.WEBHOOK, phone=phone)


async def test_a_push_for_another_phone_of_the_same_id_is_its_own_message(tmp_path) -> None:
    clock = FakeClock(T0)
    with Store.open(tmp_path / "cache", clock=clock) as store:
        ingest = Ingest(store, clock, {"main": Origin(Provider.SMSC, has_history=True)})
        store.apply([Message("main", Provider.SMSC, "5", A, DeliveryState.SENT, sent_at=T0)])
        await ingest.push_changes([pushed(B, DeliveryState.DELIVERED, T0 + 5)])
        assert store.get(("main", "5", B)).state is DeliveryState.DELIVERED
        assert store.get(("main", "5", A)).state is DeliveryState.SENT  # untouched
        await ingest.push_changes([pushed(A, DeliveryState.FAILED, T0 + 6)])
        assert store.get(("main", "5", A)).state is DeliveryState.FAILED
        assert len(store) == 2  # the known phone's push made no third message
