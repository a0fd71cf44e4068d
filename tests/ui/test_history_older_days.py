"""The history over a cache larger than memory: older days load as the operator scrolls."""

from __future__ import annotations

from datetime import UTC

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider
from smstui.sample_data import START, SampleController, sample_config
from smstui.store import Store
from smstui.ui.app import make_app
from smstui.ui.widgets.history import HistoryTable

DAYS, PER_DAY = 4, 150


def settled_days() -> list[Message]:
    return [
        Message("smsc-main", Provider.SMSC, f"{d}{i:04d}", f"7916{d}{i:06d}",
                DeliveryState.DELIVERED, text="old", sent_at=START - d * 86400 - i * 60,
                updated_at=START - d * 86400 - i * 60 + 5)
        for d in range(DAYS) for i in range(PER_DAY)
    ]  # fmt: skip


async def test_scrolling_to_the_end_loads_older_days(tmp_path):
    clock = FakeClock(START)
    with Store.open(tmp_path / "cache", clock=clock) as writer:
        writer.apply(settled_days())
    store = Store.open(tmp_path / "cache", clock=clock, memory_messages=PER_DAY)
    assert len(store) == PER_DAY and store.total() == DAYS * PER_DAY  # only the newest day
    app = make_app(
        store=store, controller=SampleController(store, clock), clock=clock,
        config=sample_config(tmp_path), tz=UTC, settings_dir=tmp_path, driver_size=(120, 36),
    )  # fmt: skip
    try:
        async with app.run_test() as pilot:
            table = app.screen.query_one(HistoryTable)
            assert f"{PER_DAY} of {DAYS * PER_DAY} loaded" in str(table.border_title)
            for _ in range(DAYS * 2):
                await pilot.press("G")
                await app.workers.wait_for_complete()
                await pilot.pause()
            assert len(table.rows) == DAYS * PER_DAY
            assert "loaded" not in str(table.border_title)
            sent = [m.sent_at for m in table.rows]
            assert sent == sorted(sent, reverse=True)  # older days joined in history order
            assert table.selected is not None and table.selected.message_id.startswith("3")
    finally:
        store.close()
