"""Shared UI fixtures: deterministic messages, a fake clock, a filled store, a test Controller."""

from __future__ import annotations

import csv
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest

from smstui.clock import FakeClock
from smstui.config import Account, Config
from smstui.controller import AccountHealth, HealthSnapshot, LimitLeft
from smstui.model import (
    Balance,
    DeliveryState,
    Message,
    NumberInfo,
    Provider,
    SendResult,
)
from smstui.store import Store
from smstui.ui.app import SmstuiApp, make_app

_STORE_IDS = itertools.count()
START = 1_763_700_000.0  # 2025-11-21 04:40 UTC, the FakeClock's default
ACCOUNTS = (("smsc-main", Provider.SMSC), ("webcom-ru", Provider.WEBCOM))
OPERATORS = ("МТС", "Билайн", "МегаФон", "Tele2")
STATE_WEIGHTS = (
    (DeliveryState.DELIVERED, 60),
    (DeliveryState.SENT, 12),
    (DeliveryState.QUEUED, 6),
    (DeliveryState.FAILED, 8),
    (DeliveryState.EXPIRED, 5),
    (DeliveryState.REJECTED, 3),
    (DeliveryState.READ, 4),
    (DeliveryState.NOT_FOUND, 2),
)
TEXTS = ("Ваш код: {n}", "Заказ {n} доставлен", "Скидка 20% до воскресенья", "Запись на {n}:00")


def make_messages(
    n: int, *, seed: int = 7, now: float = START, span_s: float = 7200.0
) -> list[Message]:
    """n deterministic messages spread over the `span_s` seconds before `now`, newest first."""
    rnd = random.Random(seed)
    states = [s for s, _ in STATE_WEIGHTS]
    weights = [w for _, w in STATE_WEIGHTS]
    out = []
    for i in range(n):
        account, provider = ACCOUNTS[i % 2]
        state = rnd.choices(states, weights)[0]
        sent = now - span_s * (i + 1) / (n + 1)
        err = rnd.choice((1, 6, 8, 20)) if state is DeliveryState.FAILED else None
        raw = "3" if state is DeliveryState.EXPIRED else ""
        out.append(
            Message(
                account=account,
                provider=provider,
                message_id=str(100_000 + n - i),
                phone=f"7916{rnd.randrange(10**7):07d}",
                state=state,
                text=rnd.choice(TEXTS).format(n=rnd.randrange(1000, 9999)),
                sender="SHOP",
                sent_at=sent,
                raw_status=raw,
                error_code=err,
                cost=Decimal("3.45"),
                parts=1,
                country="Россия",
                operator=rnd.choice(OPERATORS),
                updated_at=sent + 30,
            )
        )
    return out


@dataclass
class FakeController:
    """A Controller over a real Store (the engine boundary): resend adds a message, export writes
    a real CSV."""

    store: Store
    clock: FakeClock
    snapshot: HealthSnapshot | None = None
    calls: list[str] = field(default_factory=list)
    fail_with: Exception | None = None

    def health(self) -> HealthSnapshot:
        """The configured snapshot, or a healthy default."""
        return self.snapshot or healthy_snapshot(self.clock.now())

    async def refresh_status(self, key) -> Message:
        """The stored message (the gateway 'agrees')."""
        self.calls.append(f"status {key[1]}")
        if self.fail_with:
            raise self.fail_with
        return self.store.get(key)

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """A fixed operator answer."""
        self.calls.append(f"lookup {phone}")
        return NumberInfo(phone=phone, country="Россия", operator="МТС", region="Москва")

    async def resend(self, key, *, allow_permanent: bool = False) -> SendResult:
        """Add the copy as a new queued message."""
        self.calls.append(f"resend {key[1]}")
        if self.fail_with:
            raise self.fail_with
        old = self.store.get(key)
        new_id = f"r{len(self.calls)}"
        self.store.apply(
            [
                old.evolve(
                    message_id=new_id,
                    state=DeliveryState.QUEUED,
                    sent_at=self.clock.now(),
                    error_code=None,
                )
            ]
        )
        return SendResult(old.account, new_id, old.phone, 1, old.cost)

    async def refresh_balance(self, account: str) -> Balance:
        """Record a fresh sample."""
        self.calls.append(f"balance {account}")
        bal = Balance(account, Decimal("999.00"), "RUB", at=self.clock.now())
        self.store.record_balance(bal)
        return bal

    async def export(self, path: Path, keys, fmt: str) -> int:
        """Write the keyed messages as CSV."""
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["account", "message_id", "phone", "state"])
            for key in keys:
                m = self.store.get(key)
                writer.writerow([m.account, m.message_id, m.phone, m.state.value])
        return len(keys)


def healthy_snapshot(now: float, *, down: bool = False) -> HealthSnapshot:
    """Both accounts polling; `down` marks the SMSC gateway unreachable and Webcom IP-blocked."""
    smsc = AccountHealth(
        "smsc-main",
        "smsc",
        gateway_down=down,
        last_poll_at=now - 20,
        next_poll_at=now + 40,
        last_error="connection refused (www.smsc.ru, www2.smsc.ru)" if down else "",
        limits=(LimitLeft("smsc.status_mass", 1, 1), LimitLeft("smsc.balance", 9, 10)),
    )
    webcom = AccountHealth(
        "webcom-ru",
        "webcom",
        blocked_until=now + 900 if down else None,
        next_poll_at=now + 12,
        limits=(LimitLeft("webcom.state", 58, 60),),
    )
    return HealthSnapshot(
        now,
        (smsc, webcom),
        webhook_url="http://127.0.0.1:8088/hook",
        webhook_counters={"ok": 12, "rejected": 1},
    )


def ui_config(tmp_path: Path, *, low: float | None = None) -> Config:
    """Two accounts; SMSC's low_balance threshold optional."""
    return Config(
        accounts=(
            Account(
                "smsc-main", Provider.SMSC, "http://127.0.0.1:1", login="demo", low_balance=low
            ),
            Account("webcom-ru", Provider.WEBCOM, "http://127.0.0.1:2", login="demo"),
        ),
        cache_dir=tmp_path,
    )


def fill_balances(store: Store, now: float, *, smsc_end: str = "1180.00") -> None:
    """An hour of samples: SMSC spending ~120/h, Webcom flat."""
    for i in range(7):
        at = now - 3600 + i * 600
        amount = Decimal("1300.00") - (Decimal("1300.00") - Decimal(smsc_end)) * i / 6
        store.record_balance(Balance("smsc-main", amount, "RUB", at=at))
        store.record_balance(Balance("webcom-ru", Decimal("5400.00"), "RUB", at=at))


def build_app(
    tmp_path: Path,
    *,
    n: int = 200,
    low: float | None = None,
    smsc_end: str = "1180.00",
    down: bool = False,
) -> tuple[SmstuiApp, Store, FakeController]:
    """A fully wired app over deterministic data (UTC, FakeClock, fixed theme)."""
    clock = FakeClock(START)
    # A fresh cache file per app: a second app in one test must not meet the first one's lock.
    store = Store.open(tmp_path / f"cache-{next(_STORE_IDS)}.json", clock=clock)
    store.apply(make_messages(n))
    fill_balances(store, clock.now(), smsc_end=smsc_end)
    controller = FakeController(store, clock)
    if down:
        controller.snapshot = healthy_snapshot(clock.now(), down=True)
    app = make_app(
        store=store,
        controller=controller,
        clock=clock,
        config=ui_config(tmp_path, low=low),
        tz=UTC,
        settings_dir=tmp_path,
        driver_size=(120, 36),
    )
    return app, store, controller


@pytest.fixture
def ui(tmp_path):
    """(app, store, controller) over 200 deterministic messages."""
    return build_app(tmp_path)


@pytest.fixture(autouse=True)
def _stable_env(monkeypatch):
    """No NO_COLOR leaking in from the developer's shell; snapshots stay in colour."""
    monkeypatch.delenv("NO_COLOR", raising=False)
