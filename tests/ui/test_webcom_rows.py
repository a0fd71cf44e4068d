"""Webcom rows without a phone (a push for a message sent elsewhere): honest, never blank."""

from __future__ import annotations

from test_screens_support import WEBCOM_EXPIRED, Host
from textual.widgets import Static

from smstui.clock import FakeClock
from smstui.model import NumberInfo
from smstui.ui.actions import lookup_text
from smstui.ui.screens.detail import DetailScreen

PUSHED = WEBCOM_EXPIRED.evolve(phone="", text="", sent_at=None, sender="")


def test_lookup_toast_always_names_the_message_and_the_number() -> None:
    assert lookup_text(PUSHED, NumberInfo(phone="")) == "id w-77: expired · no number to look up"
    known = WEBCOM_EXPIRED
    assert lookup_text(known, NumberInfo(phone=known.phone)) == (
        f"{known.phone}: expired · operator unknown"
    )
    info = NumberInfo(phone=known.phone, operator="МТС", region="Москва")
    assert lookup_text(known, info) == f"{known.phone}: expired · МТС Москва"
    assert not lookup_text(PUSHED, NumberInfo(phone="")).startswith(":")


async def test_detail_says_why_a_webcom_phone_is_unknown() -> None:
    app = Host(lambda: DetailScreen(PUSHED, [], None, FakeClock(1_763_700_000.0)))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        fields = str(app.screen.query_one("#detail-fields", Static).render())
        title = str(app.screen.query_one("#detail-title", Static).render())
        assert "Phone    unknown: not sent through smstui" in fields
        assert "phone unknown" in title and "Text     (not known)" in fields
