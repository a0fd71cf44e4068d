"""Fixed data and a tiny host app for the detail, resend and help screen tests (no tests here)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from textual.app import App
from textual.screen import Screen

from smstui.clock import FakeClock
from smstui.model import DeliveryState, Message, NumberInfo, Provider, Source, StatusChange
from smstui.moscow import MSK
from smstui.ui.paths import styles_dir
from smstui.ui.screens.detail import DetailAction
from smstui.ui.state_style import with_state_variables

START = 1_763_700_000.0  # 2025-11-21 07:40 MSK

FAILED = Message(
    account="smsc-main",
    provider=Provider.SMSC,
    message_id="100245",
    phone="79161234567",
    state=DeliveryState.FAILED,
    text="Ваш код: 4821. Никому не сообщайте его.",
    sender="SHOP",
    sent_at=START - 1800,
    raw_status="20",
    error_code=6,
    cost=Decimal("3.45"),
    parts=1,
    country="Россия",
    operator="МТС",
    region="Москва",
    updated_at=START - 1500,
)
PERMANENT = FAILED.evolve(message_id="100246", phone="79031112233", error_code=1, operator="Билайн")
DELIVERED = FAILED.evolve(
    message_id="100247", state=DeliveryState.DELIVERED, raw_status="1", error_code=0
)
WEBCOM_EXPIRED = FAILED.evolve(
    account="webcom-ru",
    provider=Provider.WEBCOM,
    message_id="w-77",
    state=DeliveryState.EXPIRED,
    raw_status="expired",
    error_code=None,
    cost=None,
    parts=None,
    text="Скидка 20% до воскресенья",
)

TIMELINE = [
    StatusChange("smsc-main", "100245", DeliveryState.QUEUED, "-1", START - 1800, Source.SEND,
                 phone="79161234567", observed_at=START - 1800),
    StatusChange("smsc-main", "100245", DeliveryState.SENT, "0", START - 1795, Source.POLL,
                 phone="79161234567", observed_at=START - 1780),
    StatusChange("smsc-main", "100245", DeliveryState.FAILED, "20", START - 1500, Source.WEBHOOK,
                 error_code=6, phone="79161234567", observed_at=START - 1380),
]  # fmt: skip

NUMBER = NumberInfo(
    phone="79161234567",
    country="Россия",
    operator="МТС",
    region="Москва",
    mcc="250",
    mnc="01",
    timezone="+3",  # the UTC offset as the parsers give it
    reachable=False,
    extra=(("hlr_err", "6"), ("psw", "hunter22")),
)

BINDINGS = [
    ("enter", "Detail"),
    ("r", "Resend…"),
    ("R", "Resend temporary failures"),
    ("l", "Look up now"),
    ("b", "Refresh balance"),
    ("/", "Filter"),
    ("f", "Failed only"),
    ("e", "Export"),
    ("space", "Pause / resume feed"),
    ("c", "Copy id"),
    ("m", "Maximise pane"),
    ("?", "Help"),
    ("q", "Quit"),
]


def bulk_messages() -> list[Message]:
    """Seven temporary failures, two permanent ones and a delivered message."""
    temps = [FAILED.evolve(message_id=str(200_000 + i), phone=f"7916555{i:04d}") for i in range(6)]
    return [*temps, WEBCOM_EXPIRED, PERMANENT, PERMANENT.evolve(message_id="9"), DELIVERED]


class Host(App[None]):
    """A bare app that opens one screen and records what it returns and posts."""

    CSS_PATH = [styles_dir() / "app.tcss", styles_dir() / "screens.tcss"]

    def __init__(self, factory: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self._factory = factory
        self.results: list[Any] = []
        self.actions: list[tuple[str, tuple[str, str, str]]] = []
        self.clock = FakeClock(START)
        self.tz = MSK

    def get_css_variables(self) -> dict[str, str]:
        """The state colours the real app adds to every theme."""
        return with_state_variables(super().get_css_variables())

    def on_mount(self) -> None:
        """Fixed theme, then the screen under test."""
        self.theme = "textual-dark"
        self.push_screen(self._factory(), self.results.append)

    def on_detail_action(self, event: DetailAction) -> None:
        """What the real app would run through the controller."""
        self.actions.append((event.action, event.key))
