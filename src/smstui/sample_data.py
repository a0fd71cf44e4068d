"""Deterministic sample data for the dashboard's tests, benchmark and screenshots (no Textual).

`make_messages` builds a seeded history, `fill_balances` an hour of balance samples, and
`SampleController` is a Controller over a real Store that answers without any network: resend
stores a queued copy, export writes a real CSV/JSONL through `smstui.export`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from smstui.budget import Budget, default_limits
from smstui.clock import Clock, FakeClock
from smstui.config import Account, Config
from smstui.controller import AccountHealth, Backoff, HealthSnapshot, LimitLeft, StatusRefresh
from smstui.errors import SmstuiError
from smstui.export import export_messages
from smstui.model import (
    Balance,
    DeliveryState,
    Key,
    Message,
    NumberInfo,
    Provider,
    SendResult,
    Source,
)
from smstui.store import Store
from smstui.webhook.counters import fresh_counters

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
# What each gateway would have said (smsc.md status codes, webcom.md state words).
RAW_STATUS = {
    (Provider.SMSC, DeliveryState.FAILED): "20",
    (Provider.SMSC, DeliveryState.EXPIRED): "3",
    (Provider.WEBCOM, DeliveryState.FAILED): "not_deliver",
    (Provider.WEBCOM, DeliveryState.EXPIRED): "expired",
}
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
        raw = RAW_STATUS.get((provider, state), "")
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


def fill_balances(store: Store, now: float, *, smsc_end: str = "1180.00") -> None:
    """An hour of samples: SMSC spending ~120/h (ending at `smsc_end`), Webcom flat."""
    for i in range(7):
        at = now - 3600 + i * 600
        amount = Decimal("1300.00") - (Decimal("1300.00") - Decimal(smsc_end)) * i / 6
        store.record_balance(Balance("smsc-main", amount, "RUB", at=at))
        store.record_balance(Balance("webcom-ru", Decimal("5400.00"), "RUB", at=at))


def sample_config(cache_dir: Path, *, low: float | None = None) -> Config:
    """The two sample accounts (nothing listens on their URLs); SMSC's low_balance optional."""
    return Config(
        accounts=(
            Account(
                "smsc-main", Provider.SMSC, "http://127.0.0.1:1", login="demo", low_balance=low
            ),
            Account("webcom-ru", Provider.WEBCOM, "http://127.0.0.1:2", login="demo"),
        ),
        cache_dir=cache_dir,
    )


def sample_health(now: float, *, down: bool = False) -> HealthSnapshot:
    """Both accounts polling; `down` marks the SMSC gateway unreachable and Webcom IP-blocked."""
    smsc = AccountHealth(
        "smsc-main",
        "smsc",
        gateway_down=down,
        last_poll_at=now - 20,
        next_poll_at=now + 40,
        last_error="connection refused (www.smsc.ru, www2.smsc.ru)" if down else "",
        limits=(
            LimitLeft("smsc.status_mass", 1, 1, now, 60, "smsc.md §3.8", endpoint="status_mass"),
            LimitLeft("smsc.history_any", 12, 30, now, 3600, "smsc.md §6.3", endpoint="history"),
            LimitLeft("smsc.balance", 9, 10, now, 60, "smsc.md §4", endpoint="balance"),
        ),
        rows=Budget(FakeClock(now), default_limits(Provider.SMSC)).rows_left(),
    )
    webcom = AccountHealth(
        "webcom-ru",
        "webcom",
        blocked_until=now + 900 if down else None,
        rows=Budget(FakeClock(now), default_limits(Provider.WEBCOM)).rows_left(),
        backoffs=(Backoff("*", now + 900, "error 4: this IP is blocked"),) if down else (),
        next_poll_at=now + 12,
    )
    return HealthSnapshot(
        now,
        (smsc, webcom),
        webhook_url="http://127.0.0.1:8088/hook",
        webhook_counters={**fresh_counters(), "accepted": 1234, "bad_400": 2, "rejected_403": 1},
    )


@dataclass
class SampleController:
    """A Controller over a real Store that never touches a network (tests, bench, screenshots).

    `calls` records every request; `fail_with` makes the gateway-facing calls raise it;
    `answers` are statuses the 'gateway' reports for those keys (else it agrees with the cache).
    """

    store: Store
    clock: Clock
    snapshot: HealthSnapshot | None = None
    calls: list[str] = field(default_factory=list)
    fail_with: Exception | None = None
    answers: dict[tuple[str, str, str], Message] = field(default_factory=dict)

    def health(self) -> HealthSnapshot:
        """The configured snapshot, or a healthy default."""
        return self.snapshot or sample_health(self.clock.now())

    def _call(self, text: str) -> None:
        self.calls.append(text)
        if self.fail_with is not None:
            raise self.fail_with

    async def refresh_status(self, key: tuple[str, str, str]) -> Message:
        """The stored message (the 'gateway' agrees with the cache)."""
        self._call(f"status {key[1]}")
        message = self.store.get(key)
        if message is None:
            raise SmstuiError(f"message {key[1]} is not in the cache")
        return message

    async def refresh_statuses(self, keys: Sequence[tuple[str, str, str]]) -> list[StatusRefresh]:
        """One 'request' per account; `answers` are applied as polled statuses."""
        by_account: dict[str, list[tuple[str, str, str]]] = {}
        for key in dict.fromkeys(keys):
            by_account.setdefault(key[0], []).append(key)
        reports = []
        for account, wanted in by_account.items():
            try:
                self._call(f"statuses {account} {len(wanted)}")
            except SmstuiError as err:
                reports.append(StatusRefresh(account, len(wanted), refused=str(err)))
                continue
            fresh = [self.answers[k] for k in wanted if k in self.answers]
            changed = len(await self.store.apply_async(fresh, source=Source.POLL))
            final = sum(1 for k in wanted if (m := self.store.get(k)) and m.state.is_final)
            reports.append(StatusRefresh(account, len(wanted), changed, final))
        return reports

    async def lookup(self, account: str, phone: str, *, hlr: bool = False) -> NumberInfo:
        """A fixed operator answer."""
        self._call(f"lookup {phone}")
        return NumberInfo(phone=phone, country="Россия", operator="МТС", region="Москва")

    async def resend(
        self, key: tuple[str, str, str], *, allow_permanent: bool = False
    ) -> SendResult:
        """Store the copy as a new queued message."""
        self._call(f"resend {key[1]}")
        old = self.store.get(key)
        if old is None:
            raise SmstuiError(f"message {key[1]} is not in the cache")
        new_id = f"r{len(self.calls)}"
        now = self.clock.now()
        copy = old.evolve(
            message_id=new_id, state=DeliveryState.QUEUED, sent_at=now, updated_at=now,
            error_code=None, raw_status="", resend_of=old.message_id,
        )  # fmt: skip
        self.store.apply([copy])
        return SendResult(old.account, new_id, old.phone, 1, old.cost)

    def prioritise(self, keys: Sequence[Key]) -> None:
        """Nothing polls the sample data."""

    async def refresh_balance(self, account: str) -> Balance:
        """Record a fresh sample."""
        self._call(f"balance {account}")
        balance = Balance(account, Decimal("999.00"), "RUB", at=self.clock.now())
        self.store.record_balance(balance)
        return balance

    async def load_older(self) -> int:
        """The store's next older partition (a real read, off the loop)."""
        return await self.store.load_older()

    async def export(self, path: Path, keys: list[tuple[str, str, str]], fmt: str) -> int:
        """Write the keyed messages with smstui's real exporter, off the event loop."""
        messages = [m for m in (self.store.get(k) for k in keys) if m is not None]
        return await asyncio.to_thread(export_messages, path, messages, fmt)
