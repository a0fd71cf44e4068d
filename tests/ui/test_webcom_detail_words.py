"""Webcom in the detail view and the history: a word for the send row, money, the missing reason."""

from __future__ import annotations

from decimal import Decimal

from test_screens_support import Host
from textual.widgets import Static

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, Provider, Source, StatusChange
from smstui.ui.screens.detail import DetailScreen
from smstui.ui.widgets.history_cells import cell_text
from smstui.ui.widgets.timeline import Timeline

T0 = 1_763_700_000.0
FAILED = Message("wc", Provider.WEBCOM, "1179", "79031234567", DeliveryState.FAILED,
                 text="Код 4821", sender="Shop", sent_at=T0 - 600, raw_status="not_deliver",
                 cost=Decimal("2.3"), parts=1, updated_at=T0 - 300)  # fmt: skip
TIMELINE = [
    StatusChange("wc", "1179", DeliveryState.QUEUED, "", T0 - 600, Source.SEND),
    StatusChange("wc", "1179", DeliveryState.SENT, "send", T0 - 590, Source.POLL),
    StatusChange("wc", "1179", DeliveryState.FAILED, "not_deliver", T0 - 300, Source.WEBHOOK),
]


async def test_webcom_detail_reads_whole_words_and_one_money_format() -> None:
    app = Host(lambda: DetailScreen(FAILED, TIMELINE, None, FakeClock(T0)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        timeline = str(screen.query_one(Timeline).render())
        assert "Unknown state" not in timeline  # the send's own row was "Unknown state ''"
        first = timeline.splitlines()[1]
        assert "queued" in first and "No gateway status yet" in first
        fields = str(screen.query_one("#detail-fields", Static).render())
        assert "Cost  2.30" in fields  # was "2.3"
        error = str(screen.query_one("#detail-error", Static).render())
        assert "Webcom gives no reason" in error


def test_history_err_cell_marks_a_failure_without_a_reason() -> None:
    assert cell_text(FAILED, "error", T0, None) == "—"
    assert cell_text(FAILED.evolve(state=DeliveryState.DELIVERED), "error", T0, None) == ""
    assert cell_text(FAILED.evolve(error_code=5), "error", T0, None) == "5"
